import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Images } from '../../src/data/images.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { relu } from '../../src/layers/abrelu.js';
import { batchNorm } from '../../src/layers/batchNorm.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { runWithState } from '../../src/layers/finiteState.js';
import { globalAvgPool } from '../../src/layers/globalAvgPool.js';
import { parseOneLineSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { applyNetwork, applyNetworkWithState, bindFinite, initParams } from '../../src/layers/network.js';
import { serial } from '../../src/layers/serial.js';
import { serial as serialNetwork } from '../../src/network/network.js';
import { SpecError } from '../../src/layers/specError.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { tfRuntime } from '../../src/tfjs/runtime.js';
import { trainRun, type TrainData } from '../../src/training/trainer.js';
import { Rng } from '../../src/util/random.js';
import { randomMatrix } from '../helpers.js';

beforeAll(async () => {
  await initTfjs('auto');
});
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// ---- an independent float64 reference: batch normalization per channel by direct loops ----

/** x as rows of C channels (N·positions rows): mean and biased variance of each channel over all rows. */
function channelStats(x: ArrayLike<number>, c: number): { mean: number[]; variance: number[] } {
  const rows = x.length / c;
  const mean = new Array<number>(c).fill(0);
  const variance = new Array<number>(c).fill(0);
  for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) mean[k] += x[r * c + k] / rows;
  for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) variance[k] += (x[r * c + k] - mean[k]) ** 2 / rows;
  return { mean, variance };
}

function normalize(x: ArrayLike<number>, c: number, mean: number[], variance: number[], eps: number, gamma?: number[], beta?: number[]): number[] {
  return Array.from(x, (v, i) => {
    const k = i % c;
    const y = (v - mean[k]) / Math.sqrt(variance[k] + eps);
    return gamma && beta ? y * gamma[k] + beta[k] : y;
  });
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
}

/** Float32 rounding of values of order 1 through a handful of ops: 1e-5 relative (plus 1e-5 absolute). */
const F32 = 1e-5;

describe('batchNorm forward: batch statistics in training, running statistics in evaluation', () => {
  it('train mode on N×C and on N×H×W×C (per channel over examples and positions) against a direct loop, and the running update', () => {
    const tf = tfRuntime();
    for (const shape of [[7, 4], [3, 4, 5, 2]]) {
      const c = shape[shape.length - 1];
      const data = new Rng(3).normals(shape.reduce((a, b) => a * b, 1), 2).map((v, i) => v + (i % c) - 1);
      const x = tf.tensor(Float32Array.from(data), shape);
      const bn = batchNorm({ momentum: 0.9, epsilon: 1e-3 }).finite!({ parameterization: 'ntk', fanIn: c, ...(shape.length > 2 ? { spatial: shape.slice(1, -1) } : {}) });
      const { value, state } = runWithState('train', [], () => bn.apply([], x as Tensor2D) as unknown as Tensor);
      const { mean, variance } = channelStats(data, c);
      expectClose(value.dataSync(), normalize(data, c, mean, variance, 1e-3), F32);
      expect(state.length).toBe(2);
      // running ← 0.9·(0, 1) + 0.1·batch
      expectClose(state[0].dataSync(), mean.map((m) => 0.1 * m), F32);
      expectClose(state[1].dataSync(), variance.map((v) => 0.9 + 0.1 * v), F32);
      // eval mode with that state: (x − running mean)/√(running var + ε), each example on its own
      const run = runWithState('eval', state, () => bn.apply([], x as Tensor2D) as unknown as Tensor);
      expectClose(
        run.value.dataSync(),
        normalize(data, c, mean.map((m) => 0.1 * m), variance.map((v) => 0.9 + 0.1 * v), 1e-3),
        F32,
      );
      expect(run.state).toEqual(state); // unchanged, the same tensors
      const one = runWithState('eval', state, () => bn.apply([], tf.slice(x, 0, 1) as Tensor2D) as unknown as Tensor).value;
      expectClose(one.dataSync(), Array.from(run.value.dataSync()).slice(0, one.size), F32);
      // outside any pass: eval with the initial statistics (mean 0, variance 1)
      expectClose((bn.apply([], x as Tensor2D) as unknown as Tensor).dataSync(), Array.from(data, (v) => v / Math.sqrt(1 + 1e-3)), F32);
      state.forEach((t) => t.dispose());
    }
  });

  it('running statistics after 5 training passes of a network (dense > batchNorm > relu > dense) against the direct recursion', () => {
    const tf = tfRuntime();
    const spec = serial(dense(5, { wStd: 1.3, bStd: 0.4 }), batchNorm(), relu(), dense(2));
    const net = bindFinite(spec, 3);
    const params = initParams(net, 7);
    const w = params.layers[0][0].dataSync(); // [3, 5], NTK parameterization: z = (1.3/√3)·x·W + 0.4·b
    const b = params.layers[0][1].dataSync();
    let state: Tensor[] = [];
    let runMean = new Array<number>(5).fill(0);
    let runVar = new Array<number>(5).fill(1);
    for (let step = 0; step < 5; step++) {
      const xs = new Rng(100 + step).normals(6 * 3);
      const { state: next } = applyNetworkWithState(net, params.layers, tf.tensor2d(Float32Array.from(xs), [6, 3]), 'train', state);
      state.forEach((t) => t.dispose());
      state = next;
      const z: number[] = [];
      for (let i = 0; i < 6; i++)
        for (let u = 0; u < 5; u++) {
          let s = 0;
          for (let j = 0; j < 3; j++) s += xs[i * 3 + j] * w[j * 5 + u];
          z.push((1.3 / Math.sqrt(3)) * s + 0.4 * b[u]);
        }
      const { mean, variance } = channelStats(z, 5);
      runMean = runMean.map((m, u) => 0.99 * m + 0.01 * mean[u]);
      runVar = runVar.map((v, u) => 0.99 * v + 0.01 * variance[u]);
    }
    expectClose(state[0].dataSync(), runMean, F32);
    expectClose(state[1].dataSync(), runVar, F32);
    // without batchNorm, a network's state stays empty and both modes give applyNetwork's outputs exactly
    const plain = bindFinite(serial(dense(4), relu(), dense(1)), 3);
    const p2 = initParams(plain, 1);
    const x = tf.tensor2d(Float32Array.from(new Rng(9).normals(12)), [4, 3]);
    const ref = applyNetwork(plain, p2.layers, x).dataSync();
    for (const mode of ['train', 'eval'] as const) {
      const r = applyNetworkWithState(plain, p2.layers, x, mode);
      expect(r.state).toEqual([]);
      expect(Array.from(r.output.dataSync())).toEqual(Array.from(ref));
    }
  });

  it('the Network face: applyWithState in train returns the running statistics, eval uses them, apply is eval with the initial ones', () => {
    const tf = tfRuntime();
    const net = serialNetwork(dense(4, { bStd: 1 }), batchNorm({ momentum: 0.5 }), dense(1));
    const params = net.init(3, 2);
    const x = tf.tensor2d(Float32Array.from(new Rng(5).normals(15)), [5, 3]);
    const tr = net.applyWithState(params, x, 'train');
    expect(tr.state.map((t) => t.shape)).toEqual([[4], [4]]);
    const bound = bindFinite(net, 3);
    const want = applyNetworkWithState(bound, params.layers, x, 'eval', tr.state).output.dataSync();
    expect(Array.from(net.applyWithState(params, x, 'eval', tr.state).output.dataSync())).toEqual(Array.from(want));
    expect(Array.from(net.apply(params, x).dataSync())).toEqual(Array.from(applyNetworkWithState(bound, params.layers, x, 'eval').output.dataSync()));
    // the running statistics moved away from (0, 1): eval with them differs from eval with the initial ones
    expect(Array.from(want)).not.toEqual(Array.from(net.apply(params, x).dataSync()));
  });

  it('affine: y·γ + β with γ, β trainable per channel (init 1 and 0)', () => {
    const tf = tfRuntime();
    const bn = batchNorm({ affine: true }).finite!({ parameterization: 'ntk', fanIn: 3 });
    expect(bn.paramShapes).toEqual([[3], [3]]);
    expect(bn.init(new Rng(0)).map((a) => Array.from(a))).toEqual([[1, 1, 1], [0, 0, 0]]);
    const data = new Rng(4).normals(15);
    const gamma = [0.5, -2, 1.5];
    const beta = [0.1, 0, -3];
    const y = runWithState('train', [], () => bn.apply([tf.tensor1d(gamma), tf.tensor1d(beta)], tf.tensor2d(Float32Array.from(data), [5, 3])) as unknown as Tensor);
    const { mean, variance } = channelStats(data, 3);
    expectClose(y.value.dataSync(), normalize(data, 3, mean, variance, 1e-5, gamma, beta), F32);
  });
});

describe('batchNorm gradients (train mode) against a float64 finite difference of a direct loop', () => {
  it('∂L/∂(first-layer weights), ∂L/∂γ, ∂L/∂β of dense(4) > batchNorm(affine) > relu > dense(1)', () => {
    const tf = tfRuntime();
    const spec = serial(dense(4, { wStd: 1.2 }), batchNorm({ affine: true, epsilon: 1e-3 }), relu(), dense(1));
    const net = bindFinite(spec, 3);
    const params = initParams(net, 11);
    const gInit = [0.8, 1.3, -0.7, 1.1];
    const bInit = [0.2, -0.1, 0.3, 0];
    const layers = [params.layers[0], [tf.tensor1d(gInit), tf.tensor1d(bInit)], [], params.layers[3]];
    const n = 6;
    const xs = new Rng(21).normals(n * 3);
    const x = tf.tensor2d(Float32Array.from(xs), [n, 3]);
    const loss = (...ps: Tensor[]): Tensor => {
      const r = applyNetworkWithState(net, [[ps[0]], [ps[1], ps[2]], [], layers[3]], x, 'train');
      r.state.forEach((t) => t.dispose());
      return tf.sum(tf.square(r.output));
    };
    const grads = tf.grads(loss)([layers[0][0], layers[1][0], layers[1][1]]).map((g) => Array.from(g.dataSync()));
    // the same function in float64 by direct loops
    const w2 = Array.from(layers[3][0].dataSync());
    const f64 = (w1: number[], gamma: number[], beta: number[]): number => {
      const z: number[] = [];
      for (let i = 0; i < n; i++)
        for (let u = 0; u < 4; u++) {
          let s = 0;
          for (let j = 0; j < 3; j++) s += xs[i * 3 + j] * w1[j * 4 + u];
          z.push((1.2 / Math.sqrt(3)) * s);
        }
      const { mean, variance } = channelStats(z, 4);
      const h = normalize(z, 4, mean, variance, 1e-3, gamma, beta).map((v) => Math.max(v, 0));
      let total = 0;
      for (let i = 0; i < n; i++) {
        let f = 0;
        for (let u = 0; u < 4; u++) f += h[i * 4 + u] * w2[u];
        total += (f / 2) ** 2; // dense(1): σ_w/√4 = 1/2
      }
      return total;
    };
    const base = [Array.from(layers[0][0].dataSync()), gInit, bInit];
    const h = 1e-6;
    base.forEach((vec, which) => {
      const fd = vec.map((_, q) => {
        const up = base.map((v) => [...v]);
        const down = base.map((v) => [...v]);
        up[which][q] += h;
        down[which][q] -= h;
        return (f64(up[0], up[1], up[2]) - f64(down[0], down[1], down[2])) / (2 * h);
      });
      const scale = Math.max(...fd.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      // float32 backprop against a float64 central difference (error ~1e-9): 1e-4 of the largest component
      for (let q = 0; q < fd.length; q++) expect(Math.abs(grads[which][q] - fd[q])).toBeLessThanOrEqual(1e-4 * scale);
    });
  });
});

describe('batchNorm: kernels, specs, training', () => {
  const images = (n: number, seed: number): Images => ({ shape: [n, 4, 4, 1], data: Float64Array.from(new Rng(seed).normals(n * 16)), dtype: 'float64' });
  it('its analytic kernel is a one-line SpecError; the structured empirical NTK names the Jacobian method, which works', async () => {
    const spec = serial(conv(4, { filter: [3, 3] }), batchNorm(), relu(), globalAvgPool(), dense(1));
    const x = images(3, 5);
    let msg = '';
    try {
      analyticKernelSync(spec, x);
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/batchNorm has no closed-form kernel/);
    expect(msg).not.toContain('\n');
    await expect(empiricalKernel(spec, x, undefined, { method: 'structured', seed: 1 })).rejects.toThrow(/Jacobian method/);
    const jc = await empiricalKernel(spec, x, undefined, { method: 'jacobian', seed: 1 });
    expect(jc.ntk.data.every(Number.isFinite)).toBe(true);
    expect(jc.ntk.data[0]).toBeGreaterThan(0);
  });

  it('JSON and one-line forms, defaults and errors', () => {
    expect(specToJson(specFromJson({ layers: [{ type: 'dense', width: 2 }, { type: 'batchNorm' }] })).layers[1]).toEqual({ type: 'batchNorm', momentum: 0.99, epsilon: 1e-5, affine: false });
    const line = parseOneLineSpec('dense(8) > batchnorm(momentum=0.9, affine=true) > relu > dense(1)');
    const json = specToJson(line);
    expect(json.layers[1]).toEqual({ type: 'batchNorm', momentum: 0.9, epsilon: 1e-5, affine: true });
    expect(specToJson(specFromJson(json))).toEqual(json);
    expect(line.layers[1].hasWeights).toBe(true);
    // L2 scales the affine parameters' initial values (γ₀ = s, β₀ = 0); without affine there is nothing to scale
    const scaled = batchNorm({ affine: true }).scaleParams(0.5).finite!({ parameterization: 'ntk', fanIn: 2 });
    expect(scaled.init(new Rng(0)).map((a) => Array.from(a))).toEqual([[0.5, 0.5], [0, 0]]);
    const plain = batchNorm();
    expect(plain.scaleParams(0.5)).toBe(plain);
    expect(plain.hasWeights).toBe(false);
    expect(() => parseOneLineSpec('batchnorm(momentum=1)')).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => parseOneLineSpec('batchnorm(affine=yes)')).toThrow(/affine must be true or false/);
    expect(() => specFromJson({ layers: [{ type: 'batchNorm', epsilon: 0 }] })).toThrow(/epsilon must be finite and > 0/);
  });

  function toyData(n: number, d: number): TrainData {
    const x = randomMatrix(n, d, 1);
    const xTest = randomMatrix(10, d, 2);
    const target = (m: typeof x) => ({ rows: m.rows, cols: 1, data: Float64Array.from({ length: m.rows }, (_, i) => Math.sin(m.data[i * d]) + 0.5 * m.data[i * d + 1]) });
    return { x, y: target(x), xTest, yTest: target(xTest), description: 'toy' };
  }

  it('training updates the running statistics and evaluation uses them (momentum 0, η → 0: eval after training = train-mode loss at init)', async () => {
    const data = toyData(12, 3);
    const spec = serial(dense(6, { wStd: 1.4, bStd: 2 }), batchNorm({ momentum: 0 }), relu(), dense(1));
    const res = await trainRun({ spec, data, lr: 1e-7, budget: 2e-7, lambda: 0, batchSize: 12, evalsPerDecade: 1 });
    const first = res.records[0];
    const last = res.records[res.records.length - 1];
    // references at the initial parameters (η = 1e-7: two steps move them by ~1e-7)
    const tf = tfRuntime();
    const net = bindFinite(spec, 3);
    const params = initParams(net, 0);
    const x = tf.tensor2d(Float32Array.from(data.x.data), [12, 3]);
    const y = Array.from(data.y.data);
    const mse = (f: Tensor2D): number => Array.from(f.dataSync()).reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / 24;
    const lossInitStats = mse(applyNetwork(net, params.layers, x));
    const lossBatchStats = mse(applyNetworkWithState(net, params.layers, x, 'train').output);
    // the bias (σ_b = 2) shifts the units far from the initial running mean 0: the two losses differ clearly
    expect(Math.abs(lossInitStats - lossBatchStats)).toBeGreaterThan(0.05 * lossBatchStats);
    expect(Math.abs(first.trainLoss - lossInitStats)).toBeLessThan(1e-5 * lossInitStats);
    expect(Math.abs(last.trainLoss - lossBatchStats)).toBeLessThan(1e-5 * lossBatchStats);
  });

  it('a short mini-batch training run with batchNorm learns (train loss at least halves)', async () => {
    const data = toyData(64, 3);
    const spec = parseOneLineSpec('dense(32, wStd=1.4, bStd=0.1) > batchnorm(momentum=0.9) > relu > dense(1)');
    const res = await trainRun({ spec, data, lr: 0.1, budget: 30, lambda: 1e-3, batchSize: 16, evalsPerDecade: 4 });
    const first = res.records[0];
    const last = res.records[res.records.length - 1];
    expect(res.steps).toBe(300);
    expect(Number.isFinite(last.trainLoss)).toBe(true);
    expect(last.trainLoss).toBeLessThan(0.5 * first.trainLoss);
  }, 60_000);

  it('a killed run with batchNorm resumes from its checkpoint (running statistics included) with exactly the log of an uninterrupted run', async () => {
    const data = toyData(32, 3);
    const spec = parseOneLineSpec('dense(16, wStd=1.4, bStd=0.5) > batchnorm(momentum=0.8) > relu > dense(1)');
    const opts = { spec, data, lr: 0.05, budget: 0.05 * 40, lambda: 0.01, batchSize: 8, evalsPerDecade: 10 } as const;
    const a = mkdtempSync(join(tmpdir(), 'ntk-bn-'));
    const b = mkdtempSync(join(tmpdir(), 'ntk-bn-'));
    dirs.push(a, b);
    await trainRun({ ...opts, dir: a });
    await expect(
      trainRun({
        ...opts,
        dir: b,
        checkpointSeconds: 0,
        onEval: (r) => {
          if (r.step >= 20) throw new Error('simulated kill');
        },
      }),
    ).rejects.toThrow('simulated kill');
    const resumed = await trainRun({ ...opts, dir: b });
    expect(resumed.resumedFromStep).toBeGreaterThan(0);
    expect(readFileSync(join(b, 'log.jsonl'), 'utf8')).toBe(readFileSync(join(a, 'log.jsonl'), 'utf8'));
  }, 60_000);
});
