import { getLinalg } from '../linalg/index.js';
import type { Mat } from '../linalg/matrix.js';
import type { RowBlockSource } from '../linalg/rowBlocks.js';
import type { Linalg } from '../linalg/types.js';
import { InputError, assertFinite } from '../util/errors.js';

/**
 * A block Krylov (block Lanczos) basis of A = Θ/n started from a block of vectors X0 (n×b: the targets Y, and f0
 * when it is not zero), float64:
 *
 *     span(Q) = span{X0, A X0, A² X0, …},   QᵀQ = I,   T = QᵀAQ.
 *
 * Θ is read only through a {@link RowBlockSource} (in memory or streamed from disk): each {@link KrylovBasis.extend}
 * is ONE pass over Θ's rows computing A·Q_j for the newest block Q_j (native dgemm per row block); nothing n×n is
 * ever held. Orthogonality is kept by full reorthogonalization: the new block A·Q_j is projected against every
 * basis vector twice (block classical Gram–Schmidt by gemm, "twice is enough"), then orthonormalized within the
 * block by modified Gram–Schmidt (also twice). A direction whose norm falls below {@link DEFLATION_TOL} of its norm
 * before the projection lies in the basis already (to that relative accuracy) and is dropped (deflation), so blocks
 * can shrink; when none is left the Krylov space is invariant under A and the basis is exhausted (it then spans
 * every direction the flow can reach from X0, and the projected flow is exact up to round-off).
 *
 * T is assembled from the computed projections Q_iᵀ(A Q_j), not assumed block tridiagonal. Its diagonal blocks
 * must be symmetric to {@link SYMMETRY_TOL}·|T|: a larger asymmetry means Θ is not symmetric (refused, InputError;
 * this is the only symmetry check a streamed Θ gets, since the full matrix is never seen at once).
 *
 * Memory: the basis (size·n doubles), T (size² doubles) and, with test points, P = Θ*·Q/n (m·size doubles).
 */
export interface KrylovBasis {
  /** Training points n (A is n×n). */
  readonly n: number;
  /**
   * Basis vectors whose product A·q has been taken (the first `size` rows of `qt`): T is complete on them, and
   * they are the ones the Ritz basis uses. Vectors of the newest block (products pending) are not counted.
   */
  readonly size: number;
  /** True when the Krylov space is invariant under A (no new direction survived deflation). */
  readonly exhausted: boolean;
  /**
   * |A Q_j − Q Qᵀ A Q_j|_F of the last extension, relative to |A Q_j|_F: the part of A·(newest block) outside the
   * basis, i.e. the size of the off-diagonal block that the Ritz approximation drops (0 when exhausted).
   */
  readonly residual: number;
  /** Number of passes over Θ (train) so far, and over Θ* (test). */
  readonly passes: { train: number; test: number };
  /** Adds one block (one pass over Θ). No-op once exhausted. */
  extend(): void;
  /** The basis vectors as rows: a size×n view (copy it to keep it across extend()). */
  basisRows(): Mat;
  /** T = QᵀAQ on the first `size` vectors (size×size, symmetric), a fresh copy. */
  projected(): Mat;
  /** Qᵀ M for an n×c matrix M (size×c). */
  project(m: Mat): Mat;
  /** Q M for a size×c matrix M (n×c): back from basis coordinates to the training points. */
  lift(m: Mat): Mat;
  /** Θ*·Q/n (m×size) for the test–train kernel given at construction; one pass over Θ* for the vectors added since the last call. */
  testProjection(): Mat | null;
}

/** Relative norm below which a new direction counts as already in the basis (deflated). */
export const DEFLATION_TOL = 1e-10;
/** Largest accepted asymmetry of a diagonal block of T, relative to max |T| (Θ symmetric to round-off gives ~1e-16). */
export const SYMMETRY_TOL = 1e-10;

/** Options of {@link krylovBasis}. */
export interface KrylovBasisOptions {
  /** Test–train kernel Θ* (m×n), for {@link KrylovBasis.testProjection}. */
  test?: RowBlockSource | null;
  linalg?: Linalg;
}

/** (X·Sᵀ) where S's rows stream from `src`: returns X·Θᵀ·alpha as b×rows, with X b×cols (rows of basis vectors). */
function streamedProduct(src: RowBlockSource, xt: Mat, alpha: number, linalg: Linalg): Float64Array {
  const b = xt.rows;
  const rows = src.rows;
  const out = new Float64Array(b * rows);
  for (let start = 0; start < rows; start += src.maxBlockRows) {
    const count = Math.min(src.maxBlockRows, rows - start);
    const blk = src.readRows(start, count);
    const r = linalg.gemm(xt, blk, { transB: true, alpha }).data; // b × count
    for (let c = 0; c < b; c++) out.set(r.subarray(c * count, (c + 1) * count), c * rows + start);
  }
  return out;
}

/**
 * Orthonormalizes the rows of `w` (b×n, modified in place) by modified Gram–Schmidt, twice, dropping rows whose norm
 * falls below DEFLATION_TOL·ref[r]; returns the kept rows as a fresh count×n array.
 */
function orthonormalizeRows(w: Float64Array, b: number, n: number, ref: Float64Array): { rows: Float64Array; count: number } {
  const kept: number[] = [];
  for (let r = 0; r < b; r++) {
    const v = w.subarray(r * n, (r + 1) * n);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of kept) {
        const u = w.subarray(q * n, (q + 1) * n);
        let d = 0;
        for (let i = 0; i < n; i++) d += u[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * u[i];
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i] * v[i];
    const norm = Math.sqrt(s);
    if (!(norm > DEFLATION_TOL * ref[r])) continue;
    for (let i = 0; i < n; i++) v[i] /= norm;
    kept.push(r);
  }
  const rows = new Float64Array(kept.length * n);
  kept.forEach((r, i) => rows.set(w.subarray(r * n, (r + 1) * n), i * n));
  return { rows, count: kept.length };
}

function rowNorms(w: Float64Array, b: number, n: number): Float64Array {
  const out = new Float64Array(b);
  for (let r = 0; r < b; r++) {
    let s = 0;
    for (let i = r * n; i < (r + 1) * n; i++) s += w[i] * w[i];
    out[r] = Math.sqrt(s);
  }
  return out;
}

/**
 * Starts a block Krylov basis of Θ/n from the columns of `start` (n×b; e.g. Y, or [Y, f0]). Θ (train) must be
 * square n×n and symmetric; the first block is the orthonormalized start (columns in the span of earlier ones are
 * dropped). Call `extend()` to grow it; see {@link KrylovBasis}.
 */
export function krylovBasis(train: RowBlockSource, start: Mat, opts: KrylovBasisOptions = {}): KrylovBasis {
  const n = train.rows;
  if (train.cols !== n) throw new InputError(`Θ (train) must be square, got ${train.rows}×${train.cols}`);
  if (n === 0) throw new InputError('Θ (train) is empty');
  if (start.rows !== n) throw new InputError(`the start block has ${start.rows} rows but Θ is ${n}×${n}`);
  if (start.cols === 0) throw new InputError('the start block has no columns');
  assertFinite(start, 'Krylov start block');
  const test = opts.test ?? null;
  if (test && test.cols !== n) throw new InputError(`Θ (test) must be m×${n} (test × train), got ${test.rows}×${test.cols}`);
  const linalg = opts.linalg ?? getLinalg();
  const b0 = start.cols;

  // basis rows (capacity grows by doubling), T (capacity² row-major), P = Θ*Q/n transposed (rows = basis vectors)
  let cap = Math.min(n, Math.max(64, 4 * b0));
  let qt = new Float64Array(cap * n);
  let tCap = cap;
  let t = new Float64Array(tCap * tCap);
  const mTest = test ? test.rows : 0;
  let pt = new Float64Array(test ? cap * mTest : 0);
  let total = 0; // rows stored in qt (including the pending block)
  let size = 0; // rows whose product is taken (= start of the pending block)
  let pDone = 0; // rows of pt filled
  let exhausted = false;
  let residual = NaN;
  let maxT = 0;
  const passes = { train: 0, test: 0 };

  const ensure = (need: number): void => {
    if (need <= cap) return;
    let c = cap;
    while (c < need) c *= 2;
    c = Math.min(c, n);
    const q2 = new Float64Array(c * n);
    q2.set(qt.subarray(0, total * n));
    qt = q2;
    if (test) {
      const p2 = new Float64Array(c * mTest);
      p2.set(pt.subarray(0, pDone * mTest));
      pt = p2;
    }
    cap = c;
  };
  const ensureT = (need: number): void => {
    if (need <= tCap) return;
    let c = tCap;
    while (c < need) c *= 2;
    c = Math.min(c, n);
    const t2 = new Float64Array(c * c);
    for (let i = 0; i < size; i++) t2.set(t.subarray(i * tCap, i * tCap + size), i * c);
    t = t2;
    tCap = c;
  };
  const append = (rows: Float64Array, count: number): void => {
    ensure(total + count);
    qt.set(rows, total * n);
    total += count;
  };

  // first block: the start columns as rows, orthonormalized
  {
    const w = new Float64Array(b0 * n);
    for (let i = 0; i < n; i++) for (let c = 0; c < b0; c++) w[c * n + i] = start.data[i * b0 + c];
    const ref = rowNorms(w, b0, n);
    let maxRef = 0;
    for (const r of ref) maxRef = Math.max(maxRef, r);
    if (!(maxRef > 0)) throw new InputError('the Krylov start block (the targets) is all zero: the flow stays at f = 0');
    const { rows, count } = orthonormalizeRows(w, b0, n, ref.map(() => maxRef));
    append(rows, count);
  }

  const view = (r0: number, r1: number): Mat => ({ rows: r1 - r0, cols: n, data: qt.subarray(r0 * n, r1 * n) });

  const extend = (): void => {
    if (exhausted) return;
    const s = size;
    const b = total - s;
    const block = view(s, total);
    const aqt = streamedProduct(train, block, 1 / n, linalg); // (A Q_j)ᵀ: b × n
    passes.train++;
    assertFinite({ rows: b, cols: n, data: aqt }, 'Θ (train) · basis');
    const ref = rowNorms(aqt, b, n);
    const all = view(0, total);
    const w: Mat = { rows: b, cols: n, data: aqt };
    // first projection: its coefficients are T's new columns Q_iᵀ A Q_j, i < total
    const c1 = linalg.gemm(all, w, { transB: true }); // total × b
    ensureT(total);
    for (let i = 0; i < total; i++) {
      for (let c = 0; c < b; c++) {
        const v = c1.data[i * b + c];
        t[i * tCap + s + c] = v;
        if (i < s) t[(s + c) * tCap + i] = v;
        maxT = Math.max(maxT, Math.abs(v));
      }
    }
    let asym = 0;
    for (let r = 0; r < b; r++) {
      for (let c = 0; c < r; c++) {
        const x = t[(s + r) * tCap + s + c];
        const y = t[(s + c) * tCap + s + r];
        asym = Math.max(asym, Math.abs(x - y));
        const avg = (x + y) / 2;
        t[(s + r) * tCap + s + c] = avg;
        t[(s + c) * tCap + s + r] = avg;
      }
    }
    if (asym > SYMMETRY_TOL * maxT) {
      throw new InputError(`Θ (train) is not symmetric: QᵀΘQ/n has an asymmetry ${asym.toPrecision(3)} (beyond ${SYMMETRY_TOL}·max|QᵀΘQ/n| = ${(SYMMETRY_TOL * maxT).toPrecision(3)})`);
    }
    let proj = linalg.gemm(c1, all, { transA: true }).data; // b × n
    for (let q = 0; q < aqt.length; q++) aqt[q] -= proj[q];
    const c2 = linalg.gemm(all, w, { transB: true });
    proj = linalg.gemm(c2, all, { transA: true }).data;
    for (let q = 0; q < aqt.length; q++) aqt[q] -= proj[q];
    let num = 0;
    let den = 0;
    for (let q = 0; q < aqt.length; q++) num += aqt[q] * aqt[q];
    for (const r of ref) den += r * r;
    residual = den > 0 ? Math.sqrt(num / den) : 0;
    size = total;
    const room = n - total;
    const { rows, count } = room > 0 ? orthonormalizeRows(aqt, b, n, ref) : { rows: new Float64Array(0), count: 0 };
    const keep = Math.min(count, room);
    if (keep === 0) {
      exhausted = true;
      return;
    }
    append(rows.subarray(0, keep * n), keep);
  };

  return {
    n,
    get size() {
      return size;
    },
    get exhausted() {
      return exhausted;
    },
    get residual() {
      return residual;
    },
    passes,
    extend,
    basisRows: () => view(0, size),
    projected(): Mat {
      const out = new Float64Array(size * size);
      for (let i = 0; i < size; i++) out.set(t.subarray(i * tCap, i * tCap + size), i * size);
      return { rows: size, cols: size, data: out };
    },
    project: (m: Mat): Mat => linalg.gemm(view(0, size), m),
    lift: (m: Mat): Mat => linalg.gemm(view(0, size), m, { transA: true }),
    testProjection(): Mat | null {
      if (!test) return null;
      if (pDone < size) {
        const rows = streamedProduct(test, view(pDone, size), 1 / n, linalg); // (size − pDone) × m
        passes.test++;
        assertFinite({ rows: size - pDone, cols: mTest, data: rows }, 'Θ (test) · basis');
        pt.set(rows, pDone * mTest);
        pDone = size;
      }
      const ptv: Mat = { rows: size, cols: mTest, data: pt.subarray(0, size * mTest) };
      // transpose to m × size
      const out = new Float64Array(mTest * size);
      for (let i = 0; i < size; i++) for (let p = 0; p < mTest; p++) out[p * size + i] = ptv.data[i * mTest + p];
      return { rows: mTest, cols: size, data: out };
    },
  };
}
