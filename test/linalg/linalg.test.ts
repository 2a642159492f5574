// Tests of the float64 linear-algebra backends (src/linalg). Every test runs on the pure-TypeScript
// backend; the same tests run on the native OpenBLAS/LAPACKE backend when its addon is built
// (native/build/Release/ntk_linalg.node), and a cross-check compares the two.
//
// Tolerances. All inputs are well conditioned (random entries in [-1, 1); SPD matrices are
// X Xᵀ + n·I with condition number ≲ 10), so every check is a backward-error style bound that
// holds with orders of magnitude to spare:
//  - gemm vs a naive triple loop, relative Frobenius 1e-12: the two differ only in summation order,
//    so entries differ by ≲ k·ε·Σ|a||b| (k ≤ 257, ε = 2.2e-16), i.e. ≲ 1e-13 relative even after
//    the √k cancellation of random signs.
//  - eigh: ‖AV − VΛ‖_F/‖A‖_F < 1e-12 and ‖VᵀV − I‖_F < 1e-12. LAPACK dsyevd and EISPACK tql2 are
//    backward stable with errors ~ p(n)·ε; at n = 200 we observe residuals ~1e-15 and
//    orthogonality ~3e-14 (native) / ~9e-14 (js).
//  - cholesky ‖LLᵀ − A‖_F/‖A‖_F < 1e-13: Cholesky's backward error is ≤ c·n·ε·‖A‖ and in practice
//    ~ε·√n, so 1e-13 is safe at n = 200.
//  - choleskySolve: normwise backward error ‖AX − B‖_F/(‖A‖_F‖X‖_F + ‖B‖_F) < 1e-13, same reason.
//  - native vs js 1e-10: both are backward stable on well-conditioned matrices, so their results
//    agree to ~1e-14 relative; eigenvectors are compared up to sign and the random matrices have
//    well separated eigenvalues, so the vectors are determined to ~ε‖A‖/gap ≪ 1e-10.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { getLinalg, linalgInfo, NotPositiveDefiniteError, setLinalgThreads, type Linalg } from '../../src/linalg/index.js';
import { jsLinalg } from '../../src/linalg/js.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { loadNativeAddon, loadNativeLinalg, NATIVE_ADDON_PATH } from '../../src/linalg/native.js';

// ---------------------------------------------------------------- helpers

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randMat(rows: number, cols: number, seed: number): Mat {
  const r = rng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = 2 * r() - 1;
  return { rows, cols, data };
}

function get(m: Mat, i: number, j: number): number {
  return m.data[i * m.cols + j];
}

function tr(m: Mat): Mat {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = get(m, i, j);
  return { rows: m.cols, cols: m.rows, data: out };
}

/** Naive triple loop, the reference for gemm. */
function naiveMul(a: Mat, b: Mat): Mat {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let p = 0; p < a.cols; p++) s += get(a, i, p) * get(b, p, j);
      out[i * b.cols + j] = s;
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

function sub(a: Mat, b: Mat): Mat {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v - b.data[i]) };
}

function frob(m: Mat): number {
  let s = 0;
  for (const v of m.data) s += v * v;
  return Math.sqrt(s);
}

function relErr(got: Mat, want: Mat): number {
  const d = frob(sub(got, want));
  const w = frob(want);
  return w === 0 ? d : d / w;
}

function eye(n: number): Mat {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { rows: n, cols: n, data };
}

function randSym(n: number, seed: number): Mat {
  const x = randMat(n, n, seed);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = (get(x, i, j) + get(x, j, i)) / 2;
  return { rows: n, cols: n, data: out };
}

/** X Xᵀ + n I: symmetric positive definite with eigenvalues in [n, ~n + n²/3]. */
function randSpd(n: number, seed: number): Mat {
  const x = randMat(n, n, seed);
  const a = naiveMul(x, tr(x));
  for (let i = 0; i < n; i++) a.data[i * n + i] += n;
  return a;
}

function scaleCols(v: Mat, d: Float64Array): Mat {
  const out = Float64Array.from(v.data);
  for (let i = 0; i < v.rows; i++) for (let j = 0; j < v.cols; j++) out[i * v.cols + j] *= d[j];
  return { rows: v.rows, cols: v.cols, data: out };
}

// ---------------------------------------------------------------- backends

const nativeLinalg = loadNativeLinalg();
console.info(
  nativeLinalg
    ? `linalg tests: native backend loaded from ${NATIVE_ADDON_PATH} (${loadNativeAddon().addon?.info().config}); running js AND native`
    : `linalg tests: native backend NOT available (${loadNativeAddon().error}); running the js backend only`,
);

const backends: Array<[string, Linalg | null]> = [
  ['js', jsLinalg],
  ['native', nativeLinalg],
];

for (const [label, maybe] of backends) {
  describe.skipIf(maybe === null)(`${label} backend`, () => {
    const la = maybe as Linalg;

    it('reports its name', () => {
      expect(la.name).toBe(label);
    });

    describe('gemm', () => {
      // (m, k, n): odd sizes, a k past the js kernel's 256 block, and degenerate ones
      const shapes: Array<[number, number, number]> = [
        [1, 1, 1],
        [3, 5, 2],
        [37, 53, 29],
        [64, 128, 96],
        [33, 257, 18],
      ];
      for (const [m, k, n] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            it(`${m}×${k}·${k}×${n} transA=${transA} transB=${transB} matches a naive triple loop`, () => {
              const opA = randMat(m, k, 1000 + m + k);
              const opB = randMat(k, n, 2000 + k + n);
              const a = transA ? tr(opA) : opA;
              const b = transB ? tr(opB) : opB;
              const want = naiveMul(opA, opB);
              const got = la.gemm(a, b, { transA, transB });
              expect([got.rows, got.cols]).toEqual([m, n]);
              expect(relErr(got, want)).toBeLessThan(1e-12);
              const scaled = la.gemm(a, b, { transA, transB, alpha: -0.75 });
              want.data.forEach((v, i) => (want.data[i] = -0.75 * v));
              expect(relErr(scaled, want)).toBeLessThan(1e-12);
            });
          }
        }
      }

      it('handles empty dimensions', () => {
        const z = la.gemm(randMat(3, 0, 1), randMat(0, 4, 2));
        expect([z.rows, z.cols]).toEqual([3, 4]);
        expect(Array.from(z.data)).toEqual(new Array(12).fill(0));
        const e = la.gemm(randMat(0, 5, 1), randMat(5, 2, 2));
        expect([e.rows, e.cols, e.data.length]).toEqual([0, 2, 0]);
      });

      it('alpha = 0 gives the zero matrix without reading the inputs (BLAS semantics)', () => {
        const inf = { rows: 2, cols: 2, data: new Float64Array([Infinity, 1, NaN, 2]) };
        expect(Array.from(la.gemm(inf, inf, { alpha: 0 }).data)).toEqual([0, 0, 0, 0]);
        expect(Array.from(la.syrk(inf, { alpha: 0 }).data)).toEqual([0, 0, 0, 0]);
      });

      it('does not modify its inputs', () => {
        const a = randMat(7, 9, 3);
        const b = randMat(9, 4, 4);
        const a0 = Float64Array.from(a.data);
        const b0 = Float64Array.from(b.data);
        la.gemm(a, b, { alpha: 2 });
        expect(a.data).toEqual(a0);
        expect(b.data).toEqual(b0);
      });

      it('throws a RangeError naming the shapes on an inner-dimension mismatch', () => {
        expect(() => la.gemm(randMat(2, 3, 1), randMat(2, 3, 2))).toThrow(RangeError);
        expect(() => la.gemm(randMat(2, 3, 1), randMat(2, 3, 2))).toThrow(/A is 2×3 but B is 2×3/);
        expect(() => la.gemm(randMat(2, 3, 1), randMat(4, 2, 2), { transA: true })).toThrow(/Aᵀ \(A is 2×3\) is 3×2 but B is 4×2/);
        // fine once transposed
        expect(la.gemm(randMat(2, 3, 1), randMat(2, 3, 2), { transB: true }).rows).toBe(2);
      });

      it('rejects malformed matrices', () => {
        const bad = { rows: 2, cols: 2, data: new Float64Array(3) };
        expect(() => la.gemm(bad, randMat(2, 2, 1))).toThrow(RangeError);
        expect(() => la.gemm(bad, randMat(2, 2, 1))).toThrow(/A is 2×2 but has 3 entries/);
        const notF64 = { rows: 1, cols: 1, data: [1] as unknown as Float64Array };
        expect(() => la.gemm(notF64, randMat(1, 1, 1))).toThrow(TypeError);
      });
    });

    describe('syrk', () => {
      for (const [r, c] of [
        [1, 1],
        [5, 3],
        [40, 70],
        [131, 260],
      ] as Array<[number, number]>) {
        it(`${r}×${c}: A·Aᵀ and Aᵀ·A equal gemm and are exactly symmetric`, () => {
          const a = randMat(r, c, 77 + r * c);
          const aat = la.syrk(a);
          const ata = la.syrk(a, { trans: true, alpha: 0.5 });
          expect([aat.rows, aat.cols]).toEqual([r, r]);
          expect([ata.rows, ata.cols]).toEqual([c, c]);
          expect(relErr(aat, naiveMul(a, tr(a)))).toBeLessThan(1e-12);
          expect(relErr(aat, la.gemm(a, a, { transB: true }))).toBeLessThan(1e-12);
          expect(relErr(ata, la.gemm(a, a, { transA: true, alpha: 0.5 }))).toBeLessThan(1e-12);
          for (const s of [aat, ata]) {
            for (let i = 0; i < s.rows; i++) for (let j = 0; j < i; j++) expect(get(s, j, i)).toBe(get(s, i, j));
          }
        });
      }

      it('handles k = 0 (all-zero result)', () => {
        const z = la.syrk(randMat(3, 0, 1));
        expect([z.rows, z.cols]).toEqual([3, 3]);
        expect(Array.from(z.data)).toEqual(new Array(9).fill(0));
      });
    });

    describe('eigh', () => {
      it('solves a 2×2 exactly', () => {
        const { values, vectors } = la.eigh({ rows: 2, cols: 2, data: new Float64Array([2, 1, 1, 2]) });
        expect(values[0]).toBeCloseTo(1, 14);
        expect(values[1]).toBeCloseTo(3, 14);
        // eigenvector of 3 is ±(1, 1)/√2
        expect(Math.abs(get(vectors, 0, 1))).toBeCloseTo(Math.SQRT1_2, 14);
        expect(get(vectors, 0, 1) * get(vectors, 1, 1)).toBeGreaterThan(0);
      });

      for (const n of [1, 2, 50, 200]) {
        it(`n=${n}: residual, orthogonality and ascending order`, () => {
          const a = randSym(n, 31 + n);
          const { values, vectors: v } = la.eigh(a);
          expect(values.length).toBe(n);
          expect([v.rows, v.cols]).toEqual([n, n]);
          for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
          const residual = frob(sub(naiveMul(a, v), scaleCols(v, values))) / frob(a);
          expect(residual).toBeLessThan(1e-12);
          expect(frob(sub(naiveMul(tr(v), v), eye(n)))).toBeLessThan(1e-12);
        });
      }

      it('handles a repeated eigenvalue (identity + rank one)', () => {
        const n = 30;
        const u = randMat(n, 1, 9);
        const a = naiveMul(u, tr(u));
        for (let i = 0; i < n; i++) a.data[i * n + i] += 2;
        const { values, vectors: v } = la.eigh(a);
        for (let i = 0; i < n - 1; i++) expect(values[i]).toBeCloseTo(2, 12);
        expect(values[n - 1]).toBeCloseTo(2 + frob(u) ** 2, 12);
        expect(frob(sub(naiveMul(a, v), scaleCols(v, values))) / frob(a)).toBeLessThan(1e-12);
        expect(frob(sub(naiveMul(tr(v), v), eye(n)))).toBeLessThan(1e-12);
      });

      it('reads only the lower triangle', () => {
        const a = randSym(20, 5);
        const messy = { rows: 20, cols: 20, data: Float64Array.from(a.data) };
        for (let i = 0; i < 20; i++) for (let j = i + 1; j < 20; j++) messy.data[i * 20 + j] = 1e3 * (i - j);
        expect(Array.from(la.eigh(messy).values)).toEqual(Array.from(la.eigh(a).values));
      });

      it('handles the empty matrix', () => {
        const { values, vectors } = la.eigh({ rows: 0, cols: 0, data: new Float64Array(0) });
        expect(values.length).toBe(0);
        expect(vectors.data.length).toBe(0);
      });

      it('rejects non-square, NaN and Inf input with a RangeError', () => {
        expect(() => la.eigh(randMat(2, 3, 1))).toThrow(RangeError);
        expect(() => la.eigh(randMat(2, 3, 1))).toThrow(/eigh: A must be square, got 2×3/);
        const nan = randSym(4, 1);
        nan.data[5] = NaN;
        expect(() => la.eigh(nan)).toThrow(RangeError);
        expect(() => la.eigh(nan)).toThrow(/NaN at \(1, 1\)/);
        const inf = randSym(4, 1);
        inf.data[3] = -Infinity; // upper triangle: still reported
        expect(() => la.eigh(inf)).toThrow(/-Infinity at \(0, 3\)/);
      });
    });

    describe('cholesky', () => {
      for (const n of [1, 2, 50, 200]) {
        it(`n=${n}: lower triangular with positive diagonal and ‖LLᵀ − A‖/‖A‖ < 1e-13`, () => {
          const a = randSpd(n, 500 + n);
          const l = la.cholesky(a);
          expect([l.rows, l.cols]).toEqual([n, n]);
          for (let i = 0; i < n; i++) {
            expect(get(l, i, i)).toBeGreaterThan(0);
            for (let j = i + 1; j < n; j++) expect(get(l, i, j)).toBe(0);
          }
          expect(relErr(naiveMul(l, tr(l)), a)).toBeLessThan(1e-13);
        });
      }

      it('choleskySolve: A X = B for several and single right-hand sides', () => {
        for (const [n, r] of [
          [1, 1],
          [2, 3],
          [50, 1],
          [200, 7],
        ]) {
          const a = randSpd(n, 900 + n);
          const b = randMat(n, r, 901 + n);
          const x = la.choleskySolve(a, b);
          expect([x.rows, x.cols]).toEqual([n, r]);
          const backward = frob(sub(naiveMul(a, x), b)) / (frob(a) * frob(x) + frob(b));
          expect(backward).toBeLessThan(1e-13);
        }
        const none = la.choleskySolve(randSpd(3, 1), { rows: 3, cols: 0, data: new Float64Array(0) });
        expect([none.rows, none.cols]).toEqual([3, 0]);
      });

      it('throws NotPositiveDefiniteError (a RangeError) naming the leading minor', () => {
        const indefinite = { rows: 2, cols: 2, data: new Float64Array([1, 2, 2, 1]) };
        expect(() => la.cholesky(indefinite)).toThrow(RangeError);
        expect(() => la.cholesky(indefinite)).toThrow('cholesky: matrix is not positive definite (leading minor 2)');
        expect(() => la.choleskySolve(indefinite, randMat(2, 1, 1))).toThrow(
          'choleskySolve: matrix is not positive definite (leading minor 2)',
        );
        const a = randSpd(12, 3);
        a.data[5 * 12 + 5] = -1e6; // the 6×6 leading minor is the first that fails
        try {
          la.cholesky(a);
          expect.unreachable();
        } catch (e) {
          expect(e).toBeInstanceOf(NotPositiveDefiniteError);
          expect(e).toBeInstanceOf(RangeError);
          expect((e as NotPositiveDefiniteError).leadingMinor).toBe(6);
        }
        expect(() => la.cholesky({ rows: 1, cols: 1, data: new Float64Array([0]) })).toThrow(/leading minor 1/);
      });

      it('rejects shape mismatches, NaN and Inf with RangeErrors', () => {
        expect(() => la.cholesky(randMat(3, 2, 1))).toThrow(/cholesky: A must be square, got 3×2/);
        expect(() => la.choleskySolve(randSpd(3, 1), randMat(4, 2, 1))).toThrow(RangeError);
        expect(() => la.choleskySolve(randSpd(3, 1), randMat(4, 2, 1))).toThrow(/A is 3×3 but B is 4×2/);
        const nan = randSpd(3, 1);
        nan.data[3] = NaN;
        expect(() => la.cholesky(nan)).toThrow(/cholesky: A contains NaN at \(1, 0\)/);
        const b = randMat(3, 1, 1);
        b.data[2] = Infinity;
        expect(() => la.choleskySolve(randSpd(3, 1), b)).toThrow(/choleskySolve: B contains Infinity/);
      });
    });
  });
}

// ---------------------------------------------------------------- native vs js

describe.skipIf(nativeLinalg === null)('native and js agree', () => {
  const nat = nativeLinalg as Linalg;

  it('gemm (all transpose combinations) and syrk', () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = randMat(transA ? 150 : 120, transA ? 120 : 150, 1);
        const b = randMat(transB ? 90 : 150, transB ? 150 : 90, 2);
        expect(relErr(nat.gemm(a, b, { transA, transB }), jsLinalg.gemm(a, b, { transA, transB }))).toBeLessThan(1e-10);
      }
    }
    const a = randMat(80, 300, 3);
    expect(relErr(nat.syrk(a), jsLinalg.syrk(a))).toBeLessThan(1e-10);
    expect(relErr(nat.syrk(a, { trans: true }), jsLinalg.syrk(a, { trans: true }))).toBeLessThan(1e-10);
  });

  it('eigh: eigenvalues, and eigenvectors up to sign', () => {
    const n = 150;
    const a = randSym(n, 4);
    const x = nat.eigh(a);
    const y = jsLinalg.eigh(a);
    const scale = Math.max(Math.abs(x.values[0]), Math.abs(x.values[n - 1]));
    for (let j = 0; j < n; j++) expect(Math.abs(x.values[j] - y.values[j]) / scale).toBeLessThan(1e-10);
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += get(x.vectors, i, j) * get(y.vectors, i, j);
      const sign = Math.sign(dot);
      let err = 0;
      for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(get(x.vectors, i, j) - sign * get(y.vectors, i, j)));
      expect(err).toBeLessThan(1e-10);
    }
  });

  it('cholesky and choleskySolve', () => {
    const a = randSpd(120, 5);
    const b = randMat(120, 4, 6);
    expect(relErr(nat.cholesky(a), jsLinalg.cholesky(a))).toBeLessThan(1e-10);
    expect(relErr(nat.choleskySolve(a, b), jsLinalg.choleskySolve(a, b))).toBeLessThan(1e-10);
  });

  it('the addon loads and runs in worker_threads (context-aware)', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const m = require(workerData.path);
      const n = 64, a = new Float64Array(n * n);
      for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
      const c = m.dgemm(a, n, n, a, n, n, false, true, 1, 0);
      const e = m.dsyevd(c, n);
      parentPort.postMessage({ c00: c[0], top: e.values[n - 1] });`;
    const run = () =>
      new Promise<{ c00: number; top: number }>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { path: NATIVE_ADDON_PATH } });
        w.once('message', (msg) => {
          resolve(msg);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const [r1, r2] = await Promise.all([run(), run()]);
    let want = 0;
    for (let p = 0; p < 64; p++) want += Math.sin(p) ** 2;
    expect(r1.c00).toBeCloseTo(want, 10);
    expect(r2).toEqual(r1);
  });

  it('the raw addon throws TypeErrors on bad arguments instead of crashing', () => {
    const addon = loadNativeAddon().addon!;
    const a = new Float64Array(6);
    expect(() => addon.dgemm([1, 2] as unknown as Float64Array, 1, 2, a, 2, 3, false, false, 1, 0)).toThrow(TypeError);
    expect(() => addon.dgemm(a, 2, 2, a, 2, 3, false, false, 1, 0)).toThrow(/6 entries, expected 2×2/);
    expect(() => addon.dgemm(a, 2, 3, a, 2, 3, false, false, 1, 0)).toThrow(/inner dimensions/);
    expect(() => addon.dsyevd(a, -1)).toThrow(TypeError);
    expect(() => addon.dsyevd(a, 1.5)).toThrow(TypeError);
    expect(() => addon.dpotrf(new Float32Array(4) as unknown as Float64Array, 2)).toThrow(/Float64Array/);
    expect(() => (addon.dposv as unknown as () => void)()).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------- backend selection

describe('getLinalg / linalgInfo', () => {
  const saved = { NTK_LINALG: process.env.NTK_LINALG };
  afterEach(() => {
    if (saved.NTK_LINALG === undefined) delete process.env.NTK_LINALG;
    else process.env.NTK_LINALG = saved.NTK_LINALG;
    vi.restoreAllMocks();
  });

  it("'auto' picks native when it loads, else js with a one-line notice (once)", () => {
    delete process.env.NTK_LINALG;
    // decided before the first getLinalg(), which sets NTK_LINALG_NOTICE_SHOWN
    const quiet = process.env.NTK_QUIET === '1' || process.env.NTK_LINALG_NOTICE_SHOWN === '1';
    const write = vi.spyOn(process.stderr, 'write'); // calls through: the notice still shows
    const first = getLinalg();
    const second = getLinalg('auto');
    expect(second).toBe(first);
    const notices = write.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('ntk-l2: native OpenBLAS/LAPACK linalg not built'));
    if (nativeLinalg) {
      expect(first.name).toBe('native');
      expect(notices).toHaveLength(0);
    } else {
      expect(first.name).toBe('js');
      expect(notices).toHaveLength(quiet ? 0 : 1);
      if (!quiet) {
        expect(notices[0]).toMatch(/using the pure-TypeScript fallback, ~50-100× slower for large matrices\. See README 'Native linear algebra'\.\n$/);
        expect(notices[0].trimEnd().split('\n')).toHaveLength(1);
      }
    }
    console.info(`getLinalg() picked the ${first.name} backend: ${linalgInfo().reason}`);
  });

  it('explicit preferences and NTK_LINALG', () => {
    expect(getLinalg('js').name).toBe('js');
    process.env.NTK_LINALG = 'js';
    expect(getLinalg().name).toBe('js');
    expect(linalgInfo()).toMatchObject({ backend: 'js', reason: 'NTK_LINALG=js' });
    process.env.NTK_LINALG = 'native';
    if (nativeLinalg) {
      expect(getLinalg().name).toBe('native');
      expect(getLinalg('native').name).toBe('native');
      expect(getLinalg('js').name).toBe('js'); // explicit preference beats the environment
    } else {
      expect(() => getLinalg()).toThrow(/native linalg requested \(NTK_LINALG=native\) but it is not available/);
      expect(() => getLinalg('native')).toThrow(/apt-get install libopenblas-dev liblapacke-dev/);
      expect(linalgInfo().backend).toBeNull();
    }
    process.env.NTK_LINALG = 'blas';
    expect(() => getLinalg()).toThrow(/NTK_LINALG must be 'js', 'native' or 'auto'/);
    expect(() => getLinalg('fast' as 'js')).toThrow(TypeError);
  });

  it('setLinalgThreads sets the OpenBLAS thread count (null without the addon)', () => {
    expect(() => setLinalgThreads(0)).toThrow(RangeError);
    const before = setLinalgThreads(1);
    if (!nativeLinalg) {
      expect(before).toBeNull();
      return;
    }
    expect(before).toBeGreaterThanOrEqual(1);
    expect(linalgInfo().openblas?.numThreads).toBe(1);
    const a = randMat(300, 300, 1);
    expect(relErr(nativeLinalg.gemm(a, a), jsLinalg.gemm(a, a))).toBeLessThan(1e-12);
    expect(setLinalgThreads(before!)).toBe(1);
    expect(linalgInfo().openblas?.numThreads).toBe(before);
  });

  it('linalgInfo describes the native addon', () => {
    delete process.env.NTK_LINALG;
    const info = linalgInfo();
    expect(info.nativePath).toBe(NATIVE_ADDON_PATH);
    expect(info.nativeAvailable).toBe(nativeLinalg !== null);
    if (nativeLinalg) {
      expect(info.backend).toBe('native');
      expect(info.openblas?.config).toMatch(/OpenBLAS/);
      expect(info.nativeError).toBeNull();
    } else {
      expect(info.backend).toBe('js');
      expect(info.nativeError).toBeTruthy();
    }
  });
});
