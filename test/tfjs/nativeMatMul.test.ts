import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { mat } from '../../src/linalg/matrix.js';
import { loadNativeAddon } from '../../src/linalg/native.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { installNativeMatMul, nativeMatMulCalls, nativeMatMulState, SGEMM_SPLIT_FROM, setSgemmOneThreadBelow, setSgemmSplitFrom, uninstallNativeMatMul } from '../../src/tfjs/nativeMatMul.js';
import { trainRun } from '../../src/training/trainer.js';
import type { EvalRecord, TrainData } from '../../src/training/types.js';
import { Rng } from '../../src/util/random.js';

/**
 * The wasm backend's BatchMatMul on OpenBLAS sgemm (src/tfjs/nativeMatMul.ts), checked against an independent
 * float64 product of the same float32 inputs, computed here by plain loops.
 *
 * Tolerance: any summation order of a float32 dot product of length k satisfies |ĉ − c| ≤ γ_k·Σ|a_i||b_i| with
 * γ_k = k·u/(1 − k·u), u = 2⁻²⁴, plus one rounding of the result (u·|c|); we allow (k + 2)·2⁻²³·Σ|a_i||b_i|,
 * twice that bound, per entry.
 */
const addon = loadNativeAddon().addon;
const available = addon !== null && typeof addon.sgemm === 'function' && process.env.NTK_NATIVE_MATMUL !== '0';

/** Row-major op(X) of a batch entry, as a function of (row, col). */
function entry(x: Float32Array, shape: number[], batchIndex: number, trans: boolean): (i: number, j: number) => number {
  const r = shape[shape.length - 2];
  const c = shape[shape.length - 1];
  const base = batchIndex * r * c;
  return trans ? (i, j) => x[base + j * c + i] : (i, j) => x[base + i * c + j];
}

/** Float64 reference of matMul with numpy broadcasting of the batch dims, and the per-entry error bound. */
function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean): { out: Float64Array; bound: Float64Array; shape: number[] } {
  const m = ta ? aShape[aShape.length - 1] : aShape[aShape.length - 2];
  const k = ta ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const n = tb ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
  const oa = aShape.slice(0, -2);
  const ob = bShape.slice(0, -2);
  const rank = Math.max(oa.length, ob.length);
  const pa = [...new Array<number>(rank - oa.length).fill(1), ...oa];
  const pb = [...new Array<number>(rank - ob.length).fill(1), ...ob];
  const outer = pa.map((d, i) => Math.max(d, pb[i]));
  const batch = outer.reduce((p, q) => p * q, 1);
  const out = new Float64Array(batch * m * n);
  const bound = new Float64Array(batch * m * n);
  const tol = (k + 2) * 2 ** -23;
  for (let t = 0; t < batch; t++) {
    // the batch index of each operand: the output's multi-index with broadcast axes pinned to 0
    let rest = t;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let ax = rank - 1; ax >= 0; ax--) {
      const idx = rest % outer[ax];
      rest = Math.floor(rest / outer[ax]);
      ia += (pa[ax] === 1 ? 0 : idx) * sa;
      ib += (pb[ax] === 1 ? 0 : idx) * sb;
      sa *= pa[ax];
      sb *= pb[ax];
    }
    const A = entry(a, aShape, ia, ta);
    const B = entry(b, bShape, ib, tb);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          s += A(i, p) * B(p, j);
          abs += Math.abs(A(i, p) * B(p, j));
        }
        out[(t * m + i) * n + j] = s;
        bound[(t * m + i) * n + j] = tol * abs;
      }
    }
  }
  return { out, bound, shape: [...outer, m, n] };
}

function maxRelDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return worst;
}

/**
 * OpenBLAS's cblas_sgemm for this test's products (the default is the addon's own product, whose bits do not
 * depend on the thread count), put back when the test ends. A build without setSgemmKernel has OpenBLAS only.
 */
function onOpenBlas(): void {
  if (typeof addon?.setSgemmKernel !== 'function') return;
  const before = addon.setSgemmKernel('openblas');
  onTestFinished(() => void addon.setSgemmKernel!(before));
}

/** Whether sgemm runs the addon's own product by default (a CPU with AVX2+FMA or AVX-512). */
const ownByDefault = addon?.info().sgemmKernel !== undefined && addon.info().sgemmKernel !== 'openblas';

/** matMul of random float32 operands against the float64 reference; returns how many products went to sgemm. */
function check(aShape: number[], bShape: number[], ta: boolean, tb: boolean, rng: Rng): number {
  const size = (s: number[]): number => s.reduce((p, q) => p * q, 1);
  const a = Float32Array.from(rng.normals(size(aShape)));
  const b = Float32Array.from(rng.normals(size(bShape)));
  const before = nativeMatMulCalls();
  const got = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb));
  const values = got.dataSync();
  const shape = got.shape;
  got.dispose();
  const ref = reference(a, aShape, b, bShape, ta, tb);
  expect(shape).toEqual(ref.shape);
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - ref.out[i]) / ref.bound[i]);
  expect(worst, `${aShape}×${bShape} ta=${ta} tb=${tb}: error / bound`).toBeLessThanOrEqual(1);
  return nativeMatMulCalls() - before;
}

describe.skipIf(!available)('wasm BatchMatMul on OpenBLAS sgemm (skipped when native/build/Release/ntk_linalg.node is absent or has no sgemm, or NTK_NATIVE_MATMUL=0)', () => {
  beforeAll(async () => {
    await initTfjs('wasm');
    installNativeMatMul();
  });
  afterAll(() => installNativeMatMul());

  it('is active on wasm and takes the transpose flags itself', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(nativeMatMulState().active).toBe(true);
  });

  it('matches a float64 product within the float32 bound: all four transpose flags, odd sizes', () => {
    const rng = new Rng(11);
    const [m, k, n] = [37, 53, 41];
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        expect(check(aShape, bShape, ta, tb, rng)).toBe(1);
      }
    }
    // a tall-skinny and a wide product, still over the size threshold
    expect(check([257, 3], [3, 129], false, false, rng)).toBe(1);
    expect(check([5, 401], [33, 401], false, true, rng)).toBe(1);
  });

  it('batched shapes: equal batches, one side broadcast, rank 4, batch dims broadcast on both sides', () => {
    const rng = new Rng(12);
    expect(check([3, 33, 35], [3, 35, 31], false, false, rng)).toBe(1);
    expect(check([3, 35, 33], [3, 31, 35], true, true, rng)).toBe(1);
    expect(check([33, 35], [4, 35, 31], false, false, rng)).toBe(1); // a broadcast to every product
    expect(check([2, 3, 33, 35], [31, 35], false, true, rng)).toBe(1); // b broadcast
    expect(check([2, 3, 35, 33], [2, 3, 35, 31], true, false, rng)).toBe(1);
    // [2,1] against [1,3]: six products (tfjs 4.22's stock wasm and cpu kernels compute three); small ones too
    expect(check([2, 1, 33, 35], [1, 3, 35, 31], false, false, rng)).toBe(1);
    expect(check([2, 1, 4, 5], [3, 4, 5], true, false, rng)).toBe(1);
  });

  it('tiny products keep the stock kernel', () => {
    const rng = new Rng(13);
    expect(check([4, 5], [5, 3], false, false, rng)).toBe(0);
    expect(check([4, 5], [3, 5], false, true, rng)).toBe(0);
  });

  it('on OpenBLAS, sgemm with maxThreads = 1 gives the bits of one OpenBLAS thread and puts the count back', () => {
    onOpenBlas();
    const count = addon!.info().numThreads;
    const rng = new Rng(21);
    for (const [m, n, k] of [[128, 256, 256], [6272, 32, 144], [144, 32, 6272]]) {
      const a = Float32Array.from(rng.normals(m * k));
      const b = Float32Array.from(rng.normals(k * n));
      const all = new Float32Array(m * n);
      const capped = new Float32Array(m * n);
      const one = new Float32Array(m * n);
      addon!.sgemm!(a, b, all, 1, m, n, k, false, false, 0, 0);
      addon!.sgemm!(a, b, capped, 1, m, n, k, false, false, 0, 0, 1);
      expect(addon!.info().numThreads).toBe(count);
      const prev = addon!.setNumThreads(1);
      try {
        addon!.sgemm!(a, b, one, 1, m, n, k, false, false, 0, 0);
      } finally {
        addon!.setNumThreads(prev);
      }
      expect(Array.from(capped)).toEqual(Array.from(one));
      // the test can tell: on more than one thread these products give other last bits (measured for all three)
      if (count > 1) expect(Array.from(all)).not.toEqual(Array.from(one));
    }
  });

  it('on OpenBLAS, products under the one-thread size run on one thread, larger ones on all (setSgemmOneThreadBelow)', () => {
    onOpenBlas();
    const splitBefore = setSgemmSplitFrom(0); // the split off: OpenBLAS's own threads above the size
    onTestFinished(() => void setSgemmSplitFrom(splitBefore));
    const count = addon!.info().numThreads;
    const rng = new Rng(22);
    const a = tf.tensor(Float32Array.from(rng.normals(128 * 256)), [128, 256]);
    const b = tf.tensor(Float32Array.from(rng.normals(256 * 256)), [256, 256]);
    const product = (below: number): number[] => {
      const before = setSgemmOneThreadBelow(below);
      try {
        return Array.from(tf.matMul(a, b).dataSync());
      } finally {
        setSgemmOneThreadBelow(before);
      }
    };
    const prev = addon!.setNumThreads(1);
    let one: number[];
    try {
      one = product(0);
    } finally {
      addon!.setNumThreads(prev);
    }
    const macs = 128 * 256 * 256;
    expect(product(macs + 1)).toEqual(one); // under the size: one thread
    if (count > 1) expect(product(macs)).not.toEqual(one); // at the size: all threads, other last bits
    expect(addon!.info().numThreads).toBe(count);
    expect(() => setSgemmOneThreadBelow(-1)).toThrow(RangeError);
  });

  it('products from the split size run in two halves on two threads (the helper runs one): within the bound, the same bits run to run, one part on one OpenBLAS thread', () => {
    // two OpenBLAS threads whatever the machine (the split needs a count ≥ 2, not two cores, to run)
    const prev = addon!.setNumThreads(2);
    const splitBefore = setSgemmSplitFrom(1);
    onTestFinished(() => {
      addon!.setNumThreads(prev);
      setSgemmSplitFrom(splitBefore);
    });
    expect(SGEMM_SPLIT_FROM).toBeGreaterThan(0); // on by default
    const rng = new Rng(31);
    const jobs = () => addon!.info().helperJobs ?? 0;
    // halves of rows (m ≥ n), of columns (m < n), of a batch; transposes on either side
    const cases: [number[], number[], boolean, boolean][] = [
      [[97, 40], [40, 33], false, false],
      [[40, 97], [33, 40], true, true],
      [[21, 50], [50, 77], false, false],
      [[50, 21], [77, 50], true, true],
      [[5, 33, 35], [5, 35, 31], false, false],
    ];
    for (const [aShape, bShape, ta, tb] of cases) {
      const before = jobs();
      expect(check(aShape, bShape, ta, tb, rng)).toBe(1);
      expect(jobs()).toBeGreaterThan(before); // the helper thread ran the second half
    }
    // run to run the same bits; with OpenBLAS on one thread (a pool's worker) one part: one thread's bits, no helper
    const a = tf.tensor(Float32Array.from(rng.normals(300 * 200)), [300, 200]);
    const b = tf.tensor(Float32Array.from(rng.normals(200 * 64)), [200, 64]);
    const split1 = Array.from(tf.matMul(a, b).dataSync());
    expect(Array.from(tf.matMul(a, b).dataSync())).toEqual(split1);
    addon!.setNumThreads(1);
    const before = jobs();
    const one = Array.from(tf.matMul(a, b).dataSync());
    expect(jobs()).toBe(before);
    const off = setSgemmSplitFrom(0);
    expect(Array.from(tf.matMul(a, b).dataSync())).toEqual(one);
    setSgemmSplitFrom(off);
    expect(() => setSgemmSplitFrom(-1)).toThrow(RangeError);
    tf.dispose([a, b]);
  });

  it('a seeded training run: identical logs run to run (at 2 and at 1 OpenBLAS threads), and the stock kernel\'s losses within 1e-4 relative', async () => {
    // every product on all of OpenBLAS's threads here (no cap, no split), so that "2 threads" means it
    const belowBefore = setSgemmOneThreadBelow(0);
    const splitBefore = setSgemmSplitFrom(0);
    onTestFinished(() => {
      setSgemmOneThreadBelow(belowBefore);
      setSgemmSplitFrom(splitBefore);
    });
    // MLP 32-96-96-10 (products of 64×32×96 … 64×96×96, all over the threshold), MSE, SGD + L2, 40 steps of batch 64
    const rng = new Rng(3);
    const n = 256;
    const data: TrainData = { x: mat(n, 32, rng.normals(n * 32)), y: mat(n, 10, rng.normals(n * 10)), xTest: mat(64, 32, rng.normals(64 * 32)), yTest: mat(64, 10, rng.normals(64 * 10)) };
    const spec = parseOneLineSpec('[dense(96, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
    const opts = { spec, data, lr: 0.5, budget: 0.5 * 40, lambda: 1e-3, batchSize: 64, evalsPerDecade: 8, backend: 'wasm' as const, seed: 5 };
    const losses = (recs: EvalRecord[]): number[] => recs.flatMap((r) => [r.trainLoss, r.testLoss]);
    const before = nativeMatMulCalls();
    const first = await trainRun(opts);
    expect(nativeMatMulCalls() - before).toBeGreaterThan(40 * 3);
    const second = await trainRun(opts);
    expect(losses(second.records)).toEqual(losses(first.records));
    // one OpenBLAS thread (OPENBLAS_NUM_THREADS=1, a run pool's worker): reproducible too. On the addon's own
    // product the same bits as two threads; on OpenBLAS other bits (measured: from the first forward pass on),
    // within the same tolerance as XNNPACK below
    const prev = addon!.setNumThreads(1);
    let single;
    let single2;
    try {
      single = await trainRun(opts);
      single2 = await trainRun(opts);
    } finally {
      addon!.setNumThreads(prev);
    }
    expect(losses(single2.records)).toEqual(losses(single.records));
    if (ownByDefault) expect(losses(single.records)).toEqual(losses(first.records));
    const threadDiff = maxRelDiff(losses(single.records), losses(first.records));
    console.log(`OpenBLAS 1 vs ${prev} threads, training losses: max relative difference ${threadDiff.toExponential(2)}`);
    expect(threadDiff).toBeLessThan(1e-4);
    uninstallNativeMatMul();
    let stock;
    try {
      stock = await trainRun(opts);
    } finally {
      installNativeMatMul();
    }
    const a = losses(first.records);
    const b = losses(stock.records);
    expect(a.length).toBe(b.length);
    // float32 rounding order only: each product differs by ≲ k·2⁻²⁴ ≈ 6e-6 relative; 40 contracting GD steps do
    // not amplify that past 1e-4 (measured: see the report printed below)
    const worst = maxRelDiff(a, b);
    console.log(`OpenBLAS vs XNNPACK training losses: max relative difference ${worst.toExponential(2)} over ${a.length} values`);
    expect(worst).toBeLessThan(1e-4);
    expect(a.some((v, i) => v !== b[i])).toBe(true); // the two kernels really ran (different rounding order)
  }, 60_000);
});
