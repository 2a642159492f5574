// Pure-TypeScript linear algebra: the fallback when the native OpenBLAS/LAPACKE addon is not built.
//
// gemm/syrk use a hand-written kernel rather than ml-matrix's `mmul`: measured on this project's
// dev box (Node 20, AMD EPYC, square N = 500), ml-matrix mmul ran at ~0.36 GFLOP/s, a plain
// i-k-j loop at ~0.6, and the kernel below (two rows of C × four k at a time, k blocked by 256)
// at ~3.4 GFLOP/s, i.e. ~10× ml-matrix. The eigensolver is ml-matrix's (Householder
// tridiagonalisation + implicit QL, i.e. EISPACK tred2/tql2). Cholesky is written here because
// ml-matrix's CholeskyDecomposition does not report which leading minor fails and requires exact
// symmetry, while LAPACK (the native backend) reads the lower triangle only.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

import type { Mat } from './matrix.js';
import { NotPositiveDefiniteError, type Linalg } from './types.js';
import { checkCholesky, checkCholeskySolve, checkEigh, checkGemm, checkSyrk } from './validate.js';

/** k-block size of the gemm kernel: 256 rows of B stay cache-resident while C rows stream. */
const KC = 256;

/**
 * C (m×n, zeroed by the caller, row-major) += op(A) · B, where op(A)[i][p] = a[i*sai + p*sap]
 * (sai = k, sap = 1 for A itself; sai = 1, sap = m for Aᵀ stored k×m) and B is row-major k×n.
 * With `lower`, only columns j ≤ i+1 of row i are computed (enough for the lower triangle).
 */
function gemmKernel(
  a: Float64Array,
  sai: number,
  sap: number,
  b: Float64Array,
  c: Float64Array,
  m: number,
  k: number,
  n: number,
  lower: boolean,
): void {
  for (let kk = 0; kk < k; kk += KC) {
    const ke = Math.min(k, kk + KC);
    const k4 = ke - ((ke - kk) % 4);
    let i = 0;
    for (; i + 1 < m; i += 2) {
      const c0 = i * n;
      const c1 = c0 + n;
      const r0 = i * sai;
      const r1 = r0 + sai;
      const jEnd = lower ? Math.min(n, i + 2) : n;
      let p = kk;
      for (; p < k4; p += 4) {
        const q0 = p * sap;
        const q1 = q0 + sap;
        const q2 = q1 + sap;
        const q3 = q2 + sap;
        const x0 = a[r0 + q0], x1 = a[r0 + q1], x2 = a[r0 + q2], x3 = a[r0 + q3];
        const y0 = a[r1 + q0], y1 = a[r1 + q1], y2 = a[r1 + q2], y3 = a[r1 + q3];
        const b0 = p * n;
        const b1 = b0 + n;
        const b2 = b1 + n;
        const b3 = b2 + n;
        for (let j = 0; j < jEnd; j++) {
          const v0 = b[b0 + j], v1 = b[b1 + j], v2 = b[b2 + j], v3 = b[b3 + j];
          c[c0 + j] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
          c[c1 + j] += y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3;
        }
      }
      for (; p < ke; p++) {
        const x = a[r0 + p * sap];
        const y = a[r1 + p * sap];
        const bp = p * n;
        for (let j = 0; j < jEnd; j++) {
          const v = b[bp + j];
          c[c0 + j] += x * v;
          c[c1 + j] += y * v;
        }
      }
    }
    for (; i < m; i++) {
      const ci = i * n;
      const ri = i * sai;
      const jEnd = lower ? Math.min(n, i + 1) : n;
      for (let p = kk; p < ke; p++) {
        const x = a[ri + p * sap];
        const bp = p * n;
        for (let j = 0; j < jEnd; j++) c[ci + j] += x * b[bp + j];
      }
    }
  }
}

function transposeData(d: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = d[off + j];
  }
  return out;
}

function scaleInPlace(d: Float64Array, alpha: number): void {
  if (alpha !== 1) for (let i = 0; i < d.length; i++) d[i] *= alpha;
}

function gemm(a: Mat, b: Mat, opts?: { transA?: boolean; transB?: boolean; alpha?: number }): Mat {
  const { m, k, n, transA, transB, alpha } = checkGemm(a, b, opts);
  const c = new Float64Array(m * n);
  // alpha = 0: the zero matrix without reading A or B (as BLAS does)
  if (m > 0 && n > 0 && k > 0 && alpha !== 0) {
    // the kernel wants B row-major k×n; Bᵀ costs an O(kn) copy against O(mkn) work
    const bk = transB ? transposeData(b.data, b.rows, b.cols) : b.data;
    gemmKernel(a.data, transA ? 1 : k, transA ? m : 1, bk, c, m, k, n, false);
    scaleInPlace(c, alpha);
  }
  return { rows: m, cols: n, data: c };
}

function syrk(a: Mat, opts?: { trans?: boolean; alpha?: number }): Mat {
  const { trans, alpha } = checkSyrk(a, opts);
  const n = trans ? a.cols : a.rows;
  const k = trans ? a.rows : a.cols;
  const c = new Float64Array(n * n);
  if (n > 0 && k > 0 && alpha !== 0) {
    if (trans) {
      // AᵀA: op(A) = Aᵀ read through strides, B = A as stored (k×n)
      gemmKernel(a.data, 1, n, a.data, c, n, k, n, true);
    } else {
      // AAᵀ: op(A) = A, B = Aᵀ (k×n) materialised
      gemmKernel(a.data, k, 1, transposeData(a.data, n, k), c, n, k, n, true);
    }
    // mirror the lower triangle, so the result is exactly symmetric
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) c[j * n + i] = c[i * n + j];
    }
    scaleInPlace(c, alpha);
  }
  return { rows: n, cols: n, data: c };
}

function eigh(a: Mat): { values: Float64Array; vectors: Mat } {
  checkEigh(a);
  const n = a.rows;
  if (n === 0) return { values: new Float64Array(0), vectors: { rows: 0, cols: 0, data: new Float64Array(0) } };
  // symmetric from the lower triangle (as LAPACK uplo = 'L' reads it)
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) rows.push(new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = a.data[i * n + j];
      rows[i][j] = v;
      rows[j][i] = v;
    }
  }
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const lambda = evd.realEigenvalues;
  const V = evd.eigenvectorMatrix;
  // tql2 already sorts ascending; sort anyway (stable) so the contract does not hang on it
  const order = Array.from(lambda.keys()).sort((p, q) => lambda[p] - lambda[q]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let jj = 0; jj < n; jj++) {
    const j = order[jj];
    values[jj] = lambda[j];
    for (let i = 0; i < n; i++) vectors[i * n + jj] = V.get(i, j);
  }
  return { values, vectors: { rows: n, cols: n, data: vectors } };
}

/** Lower Cholesky factor of the lower triangle of row-major n×n `a` (Cholesky–Banachiewicz, row by row). */
function choleskyFactor(op: string, a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    for (let j = 0; j <= i; j++) {
      const lj = j * n;
      // s = a[i][j] − Σ_{p<j} l[i][p] l[j][p], four partial sums for speed
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let p = 0;
      for (; p + 3 < j; p += 4) {
        s0 += l[li + p] * l[lj + p];
        s1 += l[li + p + 1] * l[lj + p + 1];
        s2 += l[li + p + 2] * l[lj + p + 2];
        s3 += l[li + p + 3] * l[lj + p + 3];
      }
      for (; p < j; p++) s0 += l[li + p] * l[lj + p];
      const s = a[li + j] - (s0 + s1 + (s2 + s3));
      if (i === j) {
        // !(s > 0) also catches NaN
        if (!(s > 0)) throw new NotPositiveDefiniteError(op, i + 1);
        l[li + i] = Math.sqrt(s);
      } else {
        l[li + j] = s / l[lj + j];
      }
    }
  }
  return l;
}

function cholesky(a: Mat): Mat {
  checkCholesky(a);
  return { rows: a.rows, cols: a.cols, data: choleskyFactor('cholesky', a.data, a.rows) };
}

function choleskySolve(a: Mat, b: Mat): Mat {
  checkCholeskySolve(a, b);
  const n = a.rows;
  const r = b.cols;
  const l = choleskyFactor('choleskySolve', a.data, n);
  const x = Float64Array.from(b.data);
  // forward: L Y = B, row by row (rows of X are contiguous)
  for (let i = 0; i < n; i++) {
    const xi = i * r;
    for (let p = 0; p < i; p++) {
      const lip = l[i * n + p];
      if (lip === 0) continue;
      const xp = p * r;
      for (let j = 0; j < r; j++) x[xi + j] -= lip * x[xp + j];
    }
    const d = l[i * n + i];
    for (let j = 0; j < r; j++) x[xi + j] /= d;
  }
  // backward: Lᵀ X = Y
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * r;
    for (let p = i + 1; p < n; p++) {
      const lpi = l[p * n + i];
      if (lpi === 0) continue;
      const xp = p * r;
      for (let j = 0; j < r; j++) x[xi + j] -= lpi * x[xp + j];
    }
    const d = l[i * n + i];
    for (let j = 0; j < r; j++) x[xi + j] /= d;
  }
  return { rows: n, cols: r, data: x };
}

/** The pure-TypeScript backend. */
export const jsLinalg: Linalg = Object.freeze({
  name: 'js' as const,
  gemm,
  syrk,
  eigh,
  cholesky,
  choleskySolve,
});
