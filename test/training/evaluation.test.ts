import { beforeAll, describe, expect, it } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { bindFinite } from '../../src/layers/network.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { checkNotDiverged, evaluateRun } from '../../src/training/evaluation.js';
import { constantLambda } from '../../src/training/policy.js';
import { initialRunState } from '../../src/training/runState.js';
import { uploadTrainData } from '../../src/training/trainTensors.js';
import type { EvalRecord, TrainData } from '../../src/training/types.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

// Float32 forward passes of a one-layer net on O(1) values against float64 sums: relative errors ~1e-7; 1e-5 is
// a margin of ~100× that still catches any wrong normalisation (a factor 2 or n).

describe('evaluateRun', () => {
  beforeAll(async () => {
    await initTfjs('auto');
  });

  it('a one-layer net: MSE (1/2m)Σ|f − y|², sign accuracy and |θ|², on the evaluated prefix and the test set, against float64', async () => {
    const [n, d, sigma] = [12, 4, 1.2];
    const x = randomMatrix(n, d, 1);
    const xTest = randomMatrix(9, d, 2);
    const y = randomMatrix(n, 1, 3);
    const yTest = randomMatrix(9, 1, 4);
    const data: TrainData = { x, y, xTest, yTest };
    const net = bindFinite(parseOneLineSpec(`dense(1, wStd=${sigma})`), d);
    const state = initialRunState(net, { seed: 7, momentum: 0, n, batchSize: 4, policy: constantLambda(0.02) });
    state.step = 6;
    state.integratedLambda = 0.06;
    const tensors = uploadTrainData(data, 8, 0); // the train metrics use the first 8 examples
    const rec = await evaluateRun(net, state, tensors, 'mse', 0.5);
    const w = Array.from(state.params[0][0].dataSync());
    const metrics = (xs: typeof x, ys: typeof y, m: number) => {
      let loss = 0;
      let hits = 0;
      for (let i = 0; i < m; i++) {
        let f = 0;
        for (let j = 0; j < d; j++) f += (sigma / Math.sqrt(d)) * Math.fround(xs.data[i * d + j]) * w[j];
        const yi = Math.fround(ys.data[i]);
        loss += (f - yi) ** 2;
        if (Math.sign(f) === Math.sign(yi)) hits++;
      }
      return { loss: loss / (2 * m), acc: hits / m };
    };
    const tr = metrics(x, y, 8);
    const te = metrics(xTest, yTest, 9);
    expect([rec.step, rec.t, rec.lambda, rec.integratedLambda]).toEqual([6, 3, 0.02, 0.06]);
    expect(Math.abs(rec.trainLoss / tr.loss - 1)).toBeLessThan(1e-5);
    expect(Math.abs(rec.testLoss / te.loss - 1)).toBeLessThan(1e-5);
    expect([rec.trainAcc, rec.testAcc]).toEqual([Math.fround(tr.acc), Math.fround(te.acc)]);
    expect(Math.abs(rec.paramNorm2 / w.reduce((s, v) => s + v * v, 0) - 1)).toBeLessThan(1e-5);
    expect(rec.kernelTrace).toBeUndefined();
    tensors.dispose();
  });

  it('a non-finite train loss stops the run, naming the step, t and η', () => {
    const rec: EvalRecord = { step: 12, t: 6, lambda: 0, integratedLambda: 0, trainLoss: NaN, trainAcc: 0, testLoss: NaN, testAcc: 0, paramNorm2: Infinity };
    expect(() => checkNotDiverged(rec, 0.5)).toThrow(InputError);
    expect(() => checkNotDiverged(rec, 0.5)).toThrow('training diverged at step 12 (t = 6): the train loss is NaN; lower the learning rate (η = 0.5)');
    expect(() => checkNotDiverged({ ...rec, trainLoss: 1 }, 0.5)).not.toThrow();
  });
});
