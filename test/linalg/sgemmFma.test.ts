import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeAddon, type SgemmKernel } from '../../src/linalg/native.js';
import { Rng } from '../../src/util/random.js';

/**
 * The addon's own float32 product (native/src/sgemmFma.c) promises one thing beyond accuracy: every output is the
 * chain c ← fma(a_p, b_p, c) over p = 0, 1, …, k−1 from c = +0, so its bits depend on the inputs alone. The truth
 * here is that chain computed in this file: a correctly rounded float32 fma from float64 arithmetic (a·b of two
 * floats is exact in float64; a TwoSum gives the exact a·b + c as s + e; s rounds to the nearest float32 unless it
 * sits exactly on a tie, where e decides). Every kernel this CPU runs, the two-halves split and OpenBLAS-free thread
 * counts must give exactly those bits.
 */
const addon = loadNativeAddon().addon;
const available = addon !== null && typeof addon.sgemm === 'function' && typeof addon.setSgemmKernel === 'function';

/** The correctly rounded float32 value of a·b + c for floats a, b, c (round to nearest, ties to even). */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact: 24 + 24 significant bits
  const s = p + c;
  const bb = s - p;
  const e = p - (s - bb) + (c - bb); // TwoSum: p + c = s + e exactly
  const r = Math.fround(s);
  if (e === 0 || r === s) return r === 0 && s === 0 ? s : r;
  // s lies strictly between two floats: only an exact tie can be broken the other way by e
  const other = 2 * s - r; // the other neighbour when s is their midpoint
  if (Math.fround(other) !== other || (r + other) / 2 !== s) return r;
  const up = Math.max(r, other);
  const down = Math.min(r, other);
  return e > 0 ? up : down;
}

/** The chain for op(A) m×k · op(B) k×n, row-major, with A k×m when ta and B n×k when tb. */
function chain(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let p = 0; p < k; p++) x = fmaf(ta ? a[p * m + i] : a[i * k + p], tb ? b[j * k + p] : b[p * n + j], x);
      c[i * n + j] = x;
    }
  return c;
}

function same(x: Float32Array, y: Float32Array): boolean {
  return Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
}

/** The kernels of the own product this CPU runs (setSgemmKernel refuses the others). */
function kernels(): SgemmKernel[] {
  const out: SgemmKernel[] = [];
  for (const name of ['avx512', 'avx2', 'portable'] as const) {
    try {
      addon!.setSgemmKernel!(name);
      out.push(name);
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
    }
  }
  addon!.setSgemmKernel!('auto');
  return out;
}

describe.skipIf(!available)('the addon\'s own float32 product: one fma chain per output (skipped without the native addon)', () => {
  afterEach(() => {
    addon!.setSgemmKernel!('auto');
  });

  it('the fma written here is correctly rounded (its cases checked by hand)', () => {
    const u = 2 ** -23;
    // (1 + 2⁻²³)² = 1 + 2⁻²² + 2⁻⁴⁶: a product rounded once gives 1 + 2⁻²²; minus (1 + 2⁻²²) leaves 2⁻⁴⁶ exactly
    expect(fmaf(1 + u, 1 + u, -(1 + 2 * u))).toBe(2 ** -46);
    // (1 + 2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ is a float32 tie (halfway between 1 + 2⁻¹¹ and 1 + 2⁻¹¹ + 2⁻²³), and adding
    // ±2⁻¹⁰⁰ leaves float64's s on the tie: the sign of e must decide, and with nothing added ties go to even
    const t = 1 + 2 ** -12;
    expect(fmaf(t, t, 2 ** -100)).toBe(1 + 2 ** -11 + 2 ** -23);
    expect(fmaf(t, t, -(2 ** -100))).toBe(1 + 2 ** -11);
    expect(fmaf(t, t, 0)).toBe(1 + 2 ** -11);
    expect(fmaf(-t, t, -(2 ** -100))).toBe(-(1 + 2 ** -11 + 2 ** -23));
    expect(Object.is(fmaf(-0, 1, 0), 0)).toBe(true); // −0 + +0 = +0
    expect(fmaf(3, 0.5, 0)).toBe(1.5);
  });

  it('every kernel this CPU runs gives the chain\'s bits: odd sizes, all four transposes, k across blocks', () => {
    const names = kernels();
    expect(names).toContain('portable');
    const rng = new Rng(41);
    // m across the A block (192 rows), k across the k-block (384), n past one panel; tiny and one-element shapes
    const shapes: [number, number, number][] = [[37, 53, 41], [401, 45, 800], [13, 70, 3], [1, 1, 1], [5, 1, 9], [1, 33, 2]];
    for (const [m, n, k] of shapes) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = Float32Array.from(rng.normals(m * k));
          const b = Float32Array.from(rng.normals(k * n));
          const want = chain(a, b, m, n, k, ta, tb);
          for (const name of names) {
            addon!.setSgemmKernel!(name);
            const c = new Float32Array(m * n).fill(Number.NaN); // overwritten, never accumulated
            addon!.sgemm!(a, b, c, 1, m, n, k, ta, tb, 0, 0);
            expect(same(c, want), `${name} ${m}×${n}×${k} ta=${ta} tb=${tb}`).toBe(true);
          }
        }
      }
    }
  });

  it('the same bits in two halves on two threads, at one OpenBLAS thread, and batched (strides, broadcast)', () => {
    const rng = new Rng(42);
    const [m, n, k] = [300, 70, 129];
    const a = Float32Array.from(rng.normals(3 * m * k));
    const b = Float32Array.from(rng.normals(k * n));
    const want = new Float32Array(3 * m * n);
    for (let t = 0; t < 3; t++) want.set(chain(a.subarray(t * m * k, (t + 1) * m * k), b, m, n, k, false, false), t * m * n);
    const prev = addon!.setNumThreads(2); // the split needs a count ≥ 2 (not two cores) to run
    try {
      const jobs = addon!.info().helperJobs ?? 0;
      for (const parts of [0, 2]) {
        const c = new Float32Array(3 * m * n);
        addon!.sgemm!(a, b, c, 3, m, n, k, false, false, m * k, 0, 0, parts); // b broadcast to the batch
        expect(same(c, want), `parts ${parts}`).toBe(true);
        const one = new Float32Array(m * n);
        addon!.sgemm!(a, b, one, 1, m, n, k, false, false, 0, 0, 0, parts); // one product: halves of rows
        expect(same(one, want.subarray(0, m * n)), `one product, parts ${parts}`).toBe(true);
      }
      expect(addon!.info().helperJobs ?? 0).toBeGreaterThan(jobs); // the halves really ran on the helper
      addon!.setNumThreads(1);
      const c1 = new Float32Array(3 * m * n);
      addon!.sgemm!(a, b, c1, 3, m, n, k, false, false, m * k, 0, 0, 2);
      expect(same(c1, want)).toBe(true);
    } finally {
      addon!.setNumThreads(prev);
    }
  });

  it('IEEE specials pass through as the chain has them (NaN, ±∞, signed zeros, subnormals)', () => {
    const [m, n, k] = [4, 40, 7];
    const rng = new Rng(43);
    const a = Float32Array.from(rng.normals(m * k));
    const b = Float32Array.from(rng.normals(k * n));
    a[0] = Number.NaN;
    a[k + 1] = Number.POSITIVE_INFINITY;
    a[2 * k + 2] = -0;
    b[3] = 2 ** -140; // subnormal in float32
    b[n + 5] = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) b[6 * n + j] = -0;
    const want = chain(a, b, m, n, k, false, false);
    for (const name of kernels()) {
      addon!.setSgemmKernel!(name);
      const c = new Float32Array(m * n);
      addon!.sgemm!(a, b, c, 1, m, n, k, false, false, 0, 0);
      expect(same(c, want), name).toBe(true);
    }
  });

  it('OpenBLAS stays available and an unknown kernel is refused without a change', () => {
    const rng = new Rng(44);
    const [m, n, k] = [64, 48, 300];
    const a = Float32Array.from(rng.normals(m * k));
    const b = Float32Array.from(rng.normals(k * n));
    const want = chain(a, b, m, n, k, false, false);
    const before = addon!.info().sgemmKernel;
    expect(() => addon!.setSgemmKernel!('avx1024' as SgemmKernel)).toThrow(RangeError);
    expect(addon!.info().sgemmKernel).toBe(before);
    addon!.setSgemmKernel!('openblas');
    expect(addon!.info().sgemmKernel).toBe('openblas');
    const c = new Float32Array(m * n);
    addon!.sgemm!(a, b, c, 1, m, n, k, false, false, 0, 0);
    let worst = 0;
    for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - want[i]) / (Math.abs(want[i]) + 1e-3));
    expect(worst).toBeLessThan(1e-3); // another summation order: close, not the chain's bits in general
  });
});
