import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { withHiddenWidth } from '../../src/layers/network.js';
import { checkTrainMemory, trainMemoryBytes } from '../../src/training/memory.js';
import type { TrainData, TrainOptions } from '../../src/training/trainer.js';
import { checkTrainOptions } from '../../src/training/validate.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

const data = (n: number, nTest: number, d: number, k: number): TrainData => ({ x: randomMatrix(n, d, 1), y: randomMatrix(n, k, 2), xTest: randomMatrix(nTest, d, 3), yTest: randomMatrix(nTest, k, 4) });

describe('trainMemoryBytes', () => {
  it('matches a hand count for a small MLP', () => {
    // d = 4 → dense(5) → relu → dense(3): P = 4·5 + 5 + 5·3 + 3 = 43 (Dense layers carry a bias here)
    const spec = parseOneLineSpec('dense(5, bStd=1) > relu > dense(3, bStd=1)');
    const o: TrainOptions = { spec, data: data(10, 6, 4, 3), lr: 0.1, budget: 1, lambda: 0, batchSize: 4 };
    const P = 43;
    const H = 5 + 5 + 3; // outputs of dense, relu, dense
    const plain = trainMemoryBytes(o);
    expect(plain.optimizer).toBe(4 * (2 * P + 2 * P)); // θ, next θ, gradient, temporary
    expect(plain.checkpoint).toBe(4 * 2 * P);
    expect(plain.activations).toBe(4 * H * (2 * 4 + 10 + 6)); // batch forward+backward, all 10 train points, 6 test points
    expect(plain.data).toBe(12 * (10 + 6) * (4 + 3));
    expect(plain.kernelProbe).toBe(0);
    expect(plain.total).toBe(4 * 4 * P + 4 * 2 * P + 4 * H * 24 + 12 * 16 * 7);

    const m = trainMemoryBytes({ ...o, momentum: 0.9, kernelProbe: 4, evalTrainSize: 8 });
    expect(m.optimizer).toBe(4 * (2 * 2 * P + 2 * P)); // the state is θ and v
    expect(m.checkpoint).toBe(4 * 2 * 2 * P);
    expect(m.activations).toBe(4 * H * (2 * 4 + 8 + 6));
    // 4 probe points: layer inputs 4·(4 + 13), δ 3·3·4·5, Grams 3·16 (float32); two 4×4 float64 accumulators
    expect(m.kernelProbe).toBe(4 * (4 * 17 + 3 * 3 * 4 * 5 + 3 * 16) + 16 * 16);
  });
});

describe('checkTrainMemory', () => {
  const spec = parseOneLineSpec('[dense(512) > relu]*2 > dense(10)');
  const o: TrainOptions = { spec, data: data(64, 32, 784, 10), lr: 0.5, budget: 1, lambda: 0 };

  it('refuses a network too wide for the limit, naming the estimate, before anything is created', () => {
    const wide = { ...o, spec: withHiddenWidth(spec, 5_000_000) };
    expect(() => checkTrainOptions(wide)).toThrow(InputError);
    expect(() => checkTrainOptions(wide)).toThrow(/needs about [\d.]+ TiB, over the memory limit of [\d.]+ GiB; .*--max-memory/);
    expect(() => checkTrainMemory(o)).not.toThrow();
    // the limit applies: this run needs a few MiB
    expect(() => checkTrainMemory({ ...o, maxMemoryBytes: 2 ** 20 })).toThrow(/needs about [\d.]+ MiB, over the memory limit of 1.0 MiB/);
  });

  it('refuses a limit above the machine\'s memory or not positive', () => {
    expect(() => checkTrainMemory({ ...o, maxMemoryBytes: totalmem() + 1 })).toThrow(/above this machine's total memory/);
    expect(() => checkTrainMemory({ ...o, maxMemoryBytes: 0 })).toThrow(/must be a positive size/);
  });
});
