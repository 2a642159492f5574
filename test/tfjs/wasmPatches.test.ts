import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import { windowPatches, windowSum } from '../../src/layers/patches.js';
import { windowTable, type Padding, type WindowTable } from '../../src/layers/window.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { setWasmPatchesEnabled, wasmPatchCalls, wasmPatchesState, wasmPatchesUsable } from '../../src/tfjs/wasmPatches.js';
import { Rng } from '../../src/util/random.js';

/**
 * The native im2col / col2im of the wasm backend (src/tfjs/wasmPatches.ts, native/src/kernels.c) against (a) the
 * tfjs form of src/layers/patches.ts (pad, slices, concat; the same process with the kernels switched off) and
 * (b) index arithmetic written here from the padding rules (TensorFlow's SAME amounts, odd one after; CIRCULAR
 * wraps; VALID none), on random 1-D and 2-D shapes, strides 1 and 2, every padding, 1–6, 8, 16, 32 and 64 channels.
 */
interface Case {
  n: number;
  spatial: number[];
  window: number[];
  strides: number[];
  padding: Padding;
  c: number;
  out: number[];
}

function randomCase(rng: Rng, trial: number): Case {
  const pick = (k: number): number => Math.min(k - 1, Math.floor(rng.uniform() * k));
  const rank = 1 + (trial % 2);
  const padding = (['SAME', 'VALID', 'CIRCULAR'] as const)[Math.floor(trial / 2) % 3];
  const spatial = Array.from({ length: rank }, () => 1 + pick(7));
  const window = spatial.map((s) => 1 + pick(padding === 'VALID' ? s : 4));
  const strides = spatial.map(() => 1 + pick(2));
  const out = spatial.map((s, a) => (padding === 'VALID' ? Math.floor((s - window[a]) / strides[a]) + 1 : Math.ceil(s / strides[a])));
  // 1–6 channels and the counts the native loops copy and add with fixed sizes (kernels.c copy_channels, add_channels)
  return { n: 1 + pick(3), spatial, window, strides, padding, c: [1, 2, 3, 4, 5, 6, 8, 16, 32, 64][pick(10)], out };
}

/** For output q (per-axis coordinates) and offset o, the input coordinates read, or null for zero padding. */
function source(k: Case, q: number[], o: number[]): number[] | null {
  const coords: number[] = [];
  for (let a = 0; a < k.spatial.length; a++) {
    const total = k.padding === 'VALID' ? 0 : Math.max((k.out[a] - 1) * k.strides[a] + k.window[a] - k.spatial[a], 0);
    let p = q[a] * k.strides[a] - Math.floor(total / 2) + o[a];
    if (k.padding === 'CIRCULAR') p = ((p % k.spatial[a]) + k.spatial[a]) % k.spatial[a];
    else if (p < 0 || p >= k.spatial[a]) return null;
    coords.push(p);
  }
  return coords;
}

/** Every (q, o) pair in C order with the flat input position (−1 padding). */
function pairs(k: Case): { q: number; o: number; s: number }[] {
  const So = k.out.reduce((p, v) => p * v, 1);
  const F = k.window.reduce((p, v) => p * v, 1);
  const unflat = (i: number, dims: number[]): number[] => {
    const r: number[] = [];
    for (let a = dims.length - 1; a >= 0; a--) {
      r.unshift(i % dims[a]);
      i = Math.floor(i / dims[a]);
    }
    return r;
  };
  const res: { q: number; o: number; s: number }[] = [];
  for (let q = 0; q < So; q++) {
    for (let o = 0; o < F; o++) {
      const src = source(k, unflat(q, k.out), unflat(o, k.window));
      res.push({ q, o, s: src ? src.reduce((p, v, a) => p * k.spatial[a] + v, 0) : -1 });
    }
  }
  return res;
}

/** The layer's window table for the case; its output extent must be the one computed here independently. */
function tableOf(k: Case): WindowTable {
  const tab = windowTable(k.spatial, k.window, k.strides, k.padding, 'test');
  expect(tab.out).toEqual(k.out);
  return tab;
}

const Si = (k: Case): number => k.spatial.reduce((p, v) => p * v, 1);
const So = (k: Case): number => k.out.reduce((p, v) => p * v, 1);
const Fw = (k: Case): number => k.window.reduce((p, v) => p * v, 1);

/** Runs f with the native kernels on (true) or off. */
function withNative<T>(on: boolean, f: () => T): T {
  const before = setWasmPatchesEnabled(on);
  try {
    return f();
  } finally {
    setWasmPatchesEnabled(before);
  }
}

describe('native im2col / col2im on wasm', () => {
  it('is installed on the wasm backend', async () => {
    await initTfjs('wasm');
    expect(wasmPatchesState().active, wasmPatchesState().reason).toBe(true);
    expect(wasmPatchesUsable()).toBe(true);
  });

  it('patches equal the tfjs form and index arithmetic bit for bit; their gradient agrees to float32 rounding', async () => {
    await initTfjs('wasm');
    const rng = new Rng(11);
    for (let trial = 0; trial < 60; trial++) {
      const k = randomCase(rng, trial);
      const F = Fw(k);
      const xs = Float32Array.from(rng.normals(k.n * Si(k) * k.c));
      const ds = Float32Array.from(rng.normals(k.n * So(k) * F * k.c));
      const x = tf.tensor(xs, [k.n, ...k.spatial, k.c]);
      const dy = tf.tensor(ds, [k.n, ...k.out, F, k.c]);
      const tab = tableOf(k);
      const patches = (t: Tensor): Tensor => windowPatches(t, k.spatial, tab, k.window, k.strides, k.padding);
      const before = wasmPatchCalls();
      const mine = withNative(true, () => patches(x));
      expect(wasmPatchCalls()).toBe(before + 1);
      const stock = withNative(false, () => patches(x));
      expect(wasmPatchCalls()).toBe(before + 1);
      expect(mine.shape).toEqual([k.n, ...k.out, F, k.c]);
      const got = mine.dataSync();
      expect(Array.from(got)).toEqual(Array.from(stock.dataSync()));
      // index arithmetic, and the adjoint accumulated in float64 from the same pairs
      const want = new Float32Array(got.length);
      const adj = new Float64Array(xs.length);
      const absSum = new Float64Array(xs.length);
      for (let i = 0; i < k.n; i++) {
        for (const { q, o, s } of pairs(k)) {
          for (let c = 0; c < k.c; c++) {
            const e = ((i * So(k) + q) * F + o) * k.c + c;
            if (s < 0) continue;
            want[e] = xs[(i * Si(k) + s) * k.c + c];
            adj[(i * Si(k) + s) * k.c + c] += ds[e];
            absSum[(i * Si(k) + s) * k.c + c] += Math.abs(ds[e]);
          }
        }
      }
      expect(Array.from(got)).toEqual(Array.from(want));
      const gMine = withNative(true, () => tf.grad(patches)(x, dy)).dataSync();
      expect(wasmPatchCalls()).toBe(before + 3); // forward and col2im
      const gStock = withNative(false, () => tf.grad(patches)(x, dy)).dataSync();
      // each entry is a float32 sum of at most F ≤ 16 terms: |error| ≤ F·2⁻²⁴·Σ|terms| (< 1e-6·Σ|terms|); the two
      // float32 sums may add in different orders, so they are held to twice that
      for (let e = 0; e < adj.length; e++) {
        expect(Math.abs(gMine[e] - adj[e])).toBeLessThanOrEqual(1e-6 * absSum[e] + 1e-30);
        expect(Math.abs(gMine[e] - gStock[e])).toBeLessThanOrEqual(2e-6 * absSum[e] + 1e-30);
      }
      tf.dispose([x, dy, mine, stock]);
    }
  });

  it('window sums (plain and scaled per output position) equal the tfjs form bit for bit and index arithmetic to float32 rounding; so does their gradient', async () => {
    await initTfjs('wasm');
    const rng = new Rng(12);
    for (let trial = 0; trial < 60; trial++) {
      const k = randomCase(rng, trial);
      const xs = Float32Array.from(rng.normals(k.n * Si(k) * k.c));
      const ds = Float32Array.from(rng.normals(k.n * So(k) * k.c));
      const x = tf.tensor(xs, [k.n, ...k.spatial, k.c]);
      const dy = tf.tensor(ds, [k.n, ...k.out, k.c]);
      const tab = tableOf(k);
      const sum = (t: Tensor): Tensor => windowSum(t, k.spatial, tab, k.window, k.strides, k.padding);
      const before = wasmPatchCalls();
      const mine = withNative(true, () => sum(x));
      const stock = withNative(false, () => sum(x));
      expect(wasmPatchCalls()).toBe(before + 1);
      expect(mine.shape).toEqual([k.n, ...k.out, k.c]);
      const got = mine.dataSync();
      // both add the offsets in order o = 0, 1, … in float32 (padding adds 0)
      expect(Array.from(got)).toEqual(Array.from(stock.dataSync()));
      const want = new Float64Array(got.length);
      const wantAbs = new Float64Array(got.length);
      const adj = new Float64Array(xs.length);
      const absSum = new Float64Array(xs.length);
      for (let i = 0; i < k.n; i++) {
        for (const { q, s } of pairs(k)) {
          for (let c = 0; c < k.c; c++) {
            if (s < 0) continue;
            const e = (i * So(k) + q) * k.c + c;
            const xe = (i * Si(k) + s) * k.c + c;
            want[e] += xs[xe];
            wantAbs[e] += Math.abs(xs[xe]);
            adj[xe] += ds[e];
            absSum[xe] += Math.abs(ds[e]);
          }
        }
      }
      // float32 sums of ≤ 16 terms against float64: ≤ 16·2⁻²⁴·Σ|terms| < 1e-6·Σ|terms|
      for (let e = 0; e < want.length; e++) expect(Math.abs(got[e] - want[e])).toBeLessThanOrEqual(1e-6 * wantAbs[e] + 1e-30);
      const gMine = withNative(true, () => tf.grad(sum)(x, dy)).dataSync();
      const gStock = withNative(false, () => tf.grad(sum)(x, dy)).dataSync();
      for (let e = 0; e < adj.length; e++) {
        expect(Math.abs(gMine[e] - adj[e])).toBeLessThanOrEqual(1e-6 * absSum[e] + 1e-30);
        expect(Math.abs(gMine[e] - gStock[e])).toBeLessThanOrEqual(2e-6 * absSum[e] + 1e-30);
      }
      // scaled by a factor per output position (avgPool's 1/count): one float32 product after the sum, both forms
      const scale = Float32Array.from(rng.normals(So(k)), (v) => 0.25 + Math.abs(v));
      const scaled = (t: Tensor): Tensor => windowSum(t, k.spatial, tab, k.window, k.strides, k.padding, scale);
      const sMine = withNative(true, () => scaled(x)).dataSync();
      expect(Array.from(sMine)).toEqual(Array.from(withNative(false, () => scaled(x)).dataSync()));
      for (let e = 0; e < want.length; e++) expect(Math.abs(sMine[e] - want[e] * scale[Math.floor(e / k.c) % So(k)])).toBeLessThanOrEqual(2e-6 * wantAbs[e] * scale[Math.floor(e / k.c) % So(k)] + 1e-30);
      const sgMine = withNative(true, () => tf.grad(scaled)(x, dy)).dataSync();
      const sgStock = withNative(false, () => tf.grad(scaled)(x, dy)).dataSync();
      const sAdj = new Float64Array(xs.length);
      const sAbs = new Float64Array(xs.length);
      for (let i = 0; i < k.n; i++) {
        for (const { q, s } of pairs(k)) {
          for (let c = 0; c < k.c; c++) {
            if (s < 0) continue;
            const term = ds[(i * So(k) + q) * k.c + c] * scale[q];
            sAdj[(i * Si(k) + s) * k.c + c] += term;
            sAbs[(i * Si(k) + s) * k.c + c] += Math.abs(term);
          }
        }
      }
      // one more rounding (the product) per term than above: 2e-6 and 4e-6
      for (let e = 0; e < sAdj.length; e++) {
        expect(Math.abs(sgMine[e] - sAdj[e])).toBeLessThanOrEqual(2e-6 * sAbs[e] + 1e-30);
        expect(Math.abs(sgMine[e] - sgStock[e])).toBeLessThanOrEqual(4e-6 * sAbs[e] + 1e-30);
      }
      tf.dispose([x, dy, mine, stock]);
    }
  });

  it('second derivatives: the gradient of col2im is im2col again', async () => {
    await initTfjs('wasm');
    const rng = new Rng(13);
    const k: Case = { n: 2, spatial: [5, 4], window: [3, 2], strides: [2, 1], padding: 'SAME', c: 3, out: [3, 4] };
    const x = tf.tensor(Float32Array.from(rng.normals(2 * 20 * 3)), [2, 5, 4, 3]);
    const dy = tf.tensor(Float32Array.from(rng.normals(2 * 12 * 6 * 3)), [2, 3, 4, 6, 3]);
    const tab = tableOf(k);
    const patches = (t: Tensor): Tensor => windowPatches(t, k.spatial, tab, k.window, k.strides, k.padding);
    // col2im is linear in dy; its gradient with respect to dy, applied to x's patches' cotangent v, is patches(v)
    const col2im = (d: Tensor): Tensor => tf.grad(patches)(tf.zerosLike(x), d);
    const v = tf.tensor(Float32Array.from(rng.normals(2 * 20 * 3)), [2, 5, 4, 3]);
    const second = withNative(true, () => tf.grad(col2im)(dy, v));
    expect(Array.from(second.dataSync())).toEqual(Array.from(withNative(true, () => patches(v)).dataSync()));
    tf.dispose([x, dy, v, second]);
  });
});
