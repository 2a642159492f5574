import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import { batchNorm } from '../../src/layers/batchNorm.js';
import { runWithState } from '../../src/layers/finiteState.js';
import { loadNativeKernels } from '../../src/linalg/nativeKernels.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, setFusedBatchNormEnabled, wasmBatchNormCalls } from '../../src/tfjs/wasmBatchNorm.js';
import { Rng } from '../../src/util/random.js';

/**
 * A training-mode batchNorm on the wasm backend runs as one native op forward and one backward
 * (src/tfjs/wasmBatchNorm.ts, native/src/kernels.c batchNormTrain / batchNormTrainGrad), with its channel sums in
 * double. Checked against an independent float64 reference written here (the maps by direct loops, the gradient
 * both by its formula and by central differences of the reference forward map), and against tfjs's own ops (the
 * same process with the fused op switched off).
 *
 * Tolerances. The fused op reads float32 x, sums in double and rounds each output once, so y is within one float32
 * rounding of the reference: 2e-7·(1 + |y|) (one ulp is ≤ 1.2e-7 relative), asserted at 3e-7·(1 + |y|). The
 * gradient rounds y and invStd to float32 before use (two more roundings, each ≤ 6e-8 relative, of terms of size
 * ≤ invStd·(|dy| + mean|dy| + |y|·mean|dy·y|)); asserted at 1e-6 of that scale. tfjs's form sums in float32: with
 * M = 25 088 values per channel its error grows with M (≈ √M·6e-8 typically), and with a mean 300 standard
 * deviations from zero it loses digits to cancellation in x − μ; the fused op must be at least as close to the
 * reference as tfjs's form is, and within 1e-4 of it at unit scale.
 */

const EPS = 1e-3;
const MOM = 0.9;

/** Float64 reference over x [M][C]: mean, biased variance, y, and the gradient for an upstream dy. */
function reference(x: Float32Array, c: number, dy?: Float32Array) {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let r = 0; r < m; r++) for (let k = 0; k < c; k++) mean[k] += x[r * c + k];
  for (let k = 0; k < c; k++) mean[k] /= m;
  for (let r = 0; r < m; r++) for (let k = 0; k < c; k++) variance[k] += (x[r * c + k] - mean[k]) ** 2;
  for (let k = 0; k < c; k++) variance[k] /= m;
  const inv = Array.from(variance, (v) => 1 / Math.sqrt(v + EPS));
  const y = Float64Array.from(x, (v, i) => (v - mean[i % c]) * inv[i % c]);
  let dx: Float64Array | null = null;
  if (dy) {
    const sd = new Float64Array(c);
    const sdy = new Float64Array(c);
    for (let i = 0; i < x.length; i++) {
      sd[i % c] += dy[i] / m;
      sdy[i % c] += (dy[i] * y[i]) / m;
    }
    dx = Float64Array.from(x, (_, i) => inv[i % c] * (dy[i] - sd[i % c] - y[i] * sdy[i % c]));
  }
  return { mean, variance, inv, y, dx };
}

/** The layer in train mode on x, with running statistics (runMean, runVar): y, the new statistics and dL/dx for L = Σ dy·y. */
function trainPass(x: Tensor, dy: Tensor, runMean: Float32Array, runVar: Float32Array, affine = false) {
  const c = x.shape[x.shape.length - 1];
  const bn = batchNorm({ momentum: MOM, epsilon: EPS, affine }).finite!({ parameterization: 'ntk', fanIn: c, ...(x.rank > 2 ? { spatial: x.shape.slice(1, -1) } : {}) });
  const params = affine ? [tf.tensor(Float32Array.from({ length: c }, (_, k) => 1 + 0.1 * k)), tf.tensor(Float32Array.from({ length: c }, (_, k) => 0.05 * k))] : [];
  const state = [tf.tensor(runMean), tf.tensor(runVar)];
  const forward = (t: Tensor, ps: Tensor[]) => runWithState('train', state, () => bn.apply(ps, t as never) as unknown as Tensor);
  const { value: y, state: next } = forward(x, params);
  const grads = tf.grads((t: Tensor, ...ps: Tensor[]) => tf.sum(tf.mul(dy, forward(t, ps).value)))([x, ...params]);
  return { y: y.dataSync() as Float32Array, runMean: next[0].dataSync() as Float32Array, runVar: next[1].dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
}

function withFused<T>(on: boolean, f: () => T): T {
  const before = setFusedBatchNormEnabled(on);
  try {
    return f();
  } finally {
    setFusedBatchNormEnabled(before);
  }
}

const maxErr = (got: ArrayLike<number>, want: ArrayLike<number>, scale: (i: number) => number): number => {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale(i));
  return e;
};

describe('fused batchNorm in training mode (wasm)', () => {
  it('matches a float64 reference (y, running statistics, input gradient) and tfjs\'s ops, on 2-D and image batches', async () => {
    await initTfjs('wasm');
    const cases: { shape: number[]; offset: number }[] = [
      { shape: [7, 3], offset: 0 },
      { shape: [5, 4, 3, 6], offset: 2 },
      { shape: [128, 14, 14, 8], offset: 0 }, // the wrn setup's first stage: M = 25 088 rows per channel
      { shape: [64, 4, 4, 16], offset: 300 }, // a mean 300 standard deviations away: cancellation in float32
    ];
    const rng = new Rng(5);
    for (const { shape, offset } of cases) {
      const size = shape.reduce((p, q) => p * q, 1);
      const c = shape[shape.length - 1];
      const xv = Float32Array.from(rng.normals(size), (v, i) => v * (1 + (i % c) * 0.5) + offset + (i % c));
      const dv = Float32Array.from(rng.normals(size));
      const runMean = Float32Array.from({ length: c }, (_, k) => 0.1 * k);
      const runVar = Float32Array.from({ length: c }, (_, k) => 1 + 0.2 * k);
      const x = tf.tensor(xv, shape);
      const dy = tf.tensor(dv, shape);
      const calls = wasmBatchNormCalls();
      const fused = withFused(true, () => trainPass(x, dy, runMean, runVar));
      expect(wasmBatchNormCalls() - calls).toBeGreaterThanOrEqual(2); // forward and gradient ran natively
      const stock = withFused(false, () => trainPass(x, dy, runMean, runVar));
      const ref = reference(xv, c, dv);

      const yErr = maxErr(fused.y, ref.y, (i) => 1 + Math.abs(ref.y[i]));
      expect(yErr).toBeLessThanOrEqual(3e-7);
      const want = (run: ArrayLike<number>, batch: ArrayLike<number>) => Array.from(run, (r, k) => Math.fround(Math.fround(r * Math.fround(MOM)) + Math.fround(Math.fround(batch[k]) * Math.fround(1 - MOM))));
      expect(Array.from(fused.runMean)).toEqual(want(runMean, ref.mean));
      expect(maxErr(fused.runVar, want(runVar, ref.variance), (k) => 1 + Math.abs(ref.variance[k]))).toBeLessThanOrEqual(3e-7);

      const m = size / c;
      const meanAbs = (f: (i: number) => number) => {
        const s = new Float64Array(c);
        for (let i = 0; i < size; i++) s[i % c] += Math.abs(f(i)) / m;
        return s;
      };
      const mdy = meanAbs((i) => dv[i]);
      const mdyy = meanAbs((i) => dv[i] * ref.y[i]);
      const gScale = (i: number) => ref.inv[i % c] * (Math.abs(dv[i]) + mdy[i % c] + Math.abs(ref.y[i]) * mdyy[i % c]);
      const dx = ref.dx as Float64Array;
      expect(maxErr(fused.grads[0], dx, gScale)).toBeLessThanOrEqual(1e-6);

      // tfjs's own ops: the same maps to float32 accuracy, and never closer to the reference than the fused op
      const stockY = maxErr(stock.y, ref.y, (i) => 1 + Math.abs(ref.y[i]));
      expect(yErr).toBeLessThanOrEqual(Math.max(stockY, 3e-7));
      if (offset === 0) {
        expect(maxErr(stock.y, fused.y, (i) => 1 + Math.abs(ref.y[i]))).toBeLessThanOrEqual(1e-4);
        expect(maxErr(stock.grads[0], fused.grads[0], gScale)).toBeLessThanOrEqual(1e-4);
      }
      tf.dispose([x, dy]);
    }
  });

  it('the gradient equals central differences of the float64 forward map, and the affine γ, β gradients match tfjs\'s', async () => {
    await initTfjs('wasm');
    const shape = [6, 2, 2, 3];
    const c = 3;
    const size = 72;
    const rng = new Rng(8);
    const xv = Float32Array.from(rng.normals(size), (v, i) => 2 * v + (i % c));
    const dv = Float32Array.from(rng.normals(size));
    const fused = withFused(true, () => trainPass(tf.tensor(xv, shape), tf.tensor(dv, shape), new Float32Array(c), new Float32Array(c).fill(1)));
    // L(x) = Σ dy·y(x) in float64; step h = 1e-4 on values of order 1: truncation O(h²) ≈ 1e-8, cancellation ≈ 1e-12
    const loss = (xs: Float64Array) => {
      const r = reference(Float32Array.from(xs), c); // float32 inputs are exact in float64 for this check's steps
      let s = 0;
      for (let i = 0; i < size; i++) s += dv[i] * r.y[i];
      return s;
    };
    const h = 2 ** -13; // exact in float32 around values of order 1, so x ± h stays representable
    const base = Float64Array.from(xv);
    for (const i of [0, 7, 35, 71]) {
      const up = Float64Array.from(base);
      const down = Float64Array.from(base);
      up[i] += h;
      down[i] -= h;
      const fd = (loss(up) - loss(down)) / (2 * h);
      expect(Math.abs(fused.grads[0][i] - fd)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(fd)));
    }
    // with affine γ, β: y·γ + β stays tfjs ops; the γ and β gradients agree with the tfjs form to float32 accuracy
    const runs = (on: boolean) => withFused(on, () => trainPass(tf.tensor(xv, shape), tf.tensor(dv, shape), new Float32Array(c), new Float32Array(c).fill(1), true));
    const [a, b] = [runs(true), runs(false)];
    for (let g = 0; g < 3; g++) {
      const s = Math.max(...Array.from(b.grads[g], Math.abs));
      expect(maxErr(a.grads[g], b.grads[g], () => 1 + s)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('runs as two kernels (no tfjs Mean or Sub), tfjs\'s ops when switched off', async () => {
    await initTfjs('wasm');
    const x = tf.tensor(Float32Array.from(new Rng(2).normals(48)), [4, 3, 4]);
    const dy = tf.tensor(Float32Array.from(new Rng(3).normals(48)), [4, 3, 4]);
    const kernels = async (on: boolean) => (await tf.profile(() => withFused(on, () => tf.grad((t: Tensor) => tf.sum(tf.mul(dy, trainPassY(t))))(x)))).kernels.map((k) => k.name);
    const on = await kernels(true);
    expect(on).toContain(BATCH_NORM_TRAIN);
    expect(on).toContain(BATCH_NORM_TRAIN_GRAD);
    expect(on).not.toContain('Mean');
    const off = await kernels(false);
    expect(off).not.toContain(BATCH_NORM_TRAIN);
    expect(off).toContain('Mean');
  });

  it('the addon rejects arrays of the wrong length and bad ε or momentum with a TypeError, not a wrong number', () => {
    const k = loadNativeKernels().kernels;
    if (!k?.batchNormTrain || !k.batchNormTrainGrad) return; // the TypeScript path is covered above
    const f = (n: number) => new Float32Array(n);
    expect(() => k.batchNormTrain!(f(5), f(2), f(2), f(6), f(2), f(2), f(2), 3, 2, 1e-3, 0.9)).toThrow(/M·C/);
    expect(() => k.batchNormTrain!(f(6), f(1), f(2), f(6), f(2), f(2), f(2), 3, 2, 1e-3, 0.9)).toThrow(/C floats/);
    expect(() => k.batchNormTrain!(f(6), f(2), f(2), f(6), f(2), f(2), f(2), 3, 2, 0, 0.9)).toThrow(/epsilon/);
    expect(() => k.batchNormTrain!(f(6), f(2), f(2), f(6), f(2), f(2), f(2), 3, 2, 1e-3, 1)).toThrow(/momentum/);
    expect(() => k.batchNormTrainGrad!(f(6), f(6), f(2), f(5), 3, 2)).toThrow(/M·C/);
  });
});

/** y of a train-mode pass with fresh running statistics (for the kernel listing). */
function trainPassY(x: Tensor): Tensor {
  const c = x.shape[x.shape.length - 1];
  const bn = batchNorm({ momentum: MOM, epsilon: EPS }).finite!({ parameterization: 'ntk', fanIn: c, spatial: x.shape.slice(1, -1) });
  return runWithState('train', [], () => bn.apply([], x as never) as unknown as Tensor).value;
}
