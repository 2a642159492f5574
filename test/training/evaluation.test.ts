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

  it('chunked evaluation (chunks of 4 rows: 8 train rows in 2, 9 test rows in 3 with a remainder of 1) gives the float64 metrics; xent too', async () => {
    const [n, d, k] = [12, 5, 3];
    const x = randomMatrix(n, d, 11);
    const xTest = randomMatrix(9, d, 12);
    const y = randomMatrix(n, k, 13);
    const yTest = randomMatrix(9, k, 14);
    const net = bindFinite(parseOneLineSpec('dense(3, wStd=1.5)'), d);
    const state = initialRunState(net, { seed: 3, momentum: 0, n, batchSize: 4, policy: constantLambda(0) });
    const rows = Int32Array.from([0, 2, 3, 5, 7, 8, 10, 11]); // a subset by row indices (as evalTrainSubset uploads it)
    const tensors = uploadTrainData({ x, y, xTest, yTest }, rows, 0);
    const w = Array.from(state.params[0][0].dataSync());
    // float64 forward of f = (σ/√d)·x·W on the float32 inputs, then MSE, cross-entropy (labels = argmax y) and argmax accuracy
    const metrics = (xs: typeof x, ys: typeof y, idx: number[]) => {
      let mse = 0;
      let xent = 0;
      let hits = 0;
      for (const i of idx) {
        const f = [0, 0, 0];
        for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) f[c] += (1.5 / Math.sqrt(d)) * Math.fround(xs.data[i * d + j]) * w[j * k + c];
        const yi = [0, 1, 2].map((c) => Math.fround(ys.data[i * k + c]));
        const label = yi.indexOf(Math.max(...yi));
        mse += f.reduce((s, v, c) => s + (v - yi[c]) ** 2, 0);
        const mx = Math.max(...f);
        xent += mx + Math.log(f.reduce((s, v) => s + Math.exp(v - mx), 0)) - f[label];
        if (f.indexOf(mx) === label) hits++;
      }
      return { mse: mse / (2 * idx.length), xent: xent / idx.length, acc: hits / idx.length };
    };
    const tr = metrics(x, y, Array.from(rows));
    const te = metrics(xTest, yTest, [...Array(9).keys()]);
    for (const chunk of [4, 1, 1024]) {
      const mse = await evaluateRun(net, state, tensors, 'mse', 0.5, chunk);
      const xent = await evaluateRun(net, state, tensors, 'xent', 0.5, chunk);
      // float32 passes against float64 (relative ~1e-7; 1e-5 as above); accuracies are ratios of small counts, exact up to float32 rounding
      expect(Math.abs(mse.trainLoss / tr.mse - 1)).toBeLessThan(1e-5);
      expect(Math.abs(mse.testLoss / te.mse - 1)).toBeLessThan(1e-5);
      expect(Math.abs(xent.trainLoss / tr.xent - 1)).toBeLessThan(1e-5);
      expect(Math.abs(xent.testLoss / te.xent - 1)).toBeLessThan(1e-5);
      expect(Math.abs(mse.trainAcc - tr.acc)).toBeLessThan(1e-6);
      expect(Math.abs(mse.testAcc - te.acc)).toBeLessThan(1e-6);
    }
    tensors.dispose();
  });

  it('a non-finite train loss stops the run, naming the step, t and η', () => {
    const rec: EvalRecord = { step: 12, t: 6, lambda: 0, integratedLambda: 0, trainLoss: NaN, trainAcc: 0, testLoss: NaN, testAcc: 0, paramNorm2: Infinity };
    expect(() => checkNotDiverged(rec, 0.5)).toThrow(InputError);
    expect(() => checkNotDiverged(rec, 0.5)).toThrow('training diverged at step 12 (t = 6): the train loss is NaN; lower the learning rate (η = 0.5)');
    expect(() => checkNotDiverged({ ...rec, trainLoss: 1 }, 0.5)).not.toThrow();
  });
});
