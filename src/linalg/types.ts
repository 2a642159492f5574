import type { Mat } from './matrix.js';

/**
 * Dense float64 linear algebra on row-major {@link Mat}s. Two implementations exist:
 * `native` (OpenBLAS + LAPACKE through the N-API addon in native/) and `js` (pure TypeScript,
 * ml-matrix for the eigensolver). Get one with `getLinalg()` from ./index.js.
 *
 * Every method returns freshly allocated matrices and never modifies its inputs.
 * Shape mismatches throw a RangeError naming the shapes; NaN/Inf input to eigh, cholesky and
 * choleskySolve throws a RangeError; a matrix that is not positive definite makes cholesky and
 * choleskySolve throw a `NotPositiveDefiniteError` (a RangeError).
 *
 * Symmetric inputs (eigh, cholesky, choleskySolve): only the LOWER triangle (j ≤ i) is read and
 * the upper one is assumed to mirror it, as in LAPACK with uplo = 'L'. Both backends behave the
 * same way, so a slightly asymmetric matrix (rounding) gives the same answer on both.
 */
export interface Linalg {
  /** 'native' (OpenBLAS/LAPACKE addon) or 'js' (TypeScript). */
  readonly name: 'native' | 'js';
  /** alpha · op(A) · op(B), with op(X) = Xᵀ when the matching trans flag is set (alpha defaults to 1). */
  gemm(a: Mat, b: Mat, opts?: { transA?: boolean; transB?: boolean; alpha?: number }): Mat;
  /** alpha·A·Aᵀ (or alpha·AᵀA with trans), returned as the full symmetric matrix. */
  syrk(a: Mat, opts?: { trans?: boolean; alpha?: number }): Mat;
  /** Symmetric eigendecomposition: ascending values; column j of vectors is eigenvector j. */
  eigh(a: Mat): { values: Float64Array; vectors: Mat };
  /** Lower-triangular L with A = L Lᵀ (upper part zero). */
  cholesky(a: Mat): Mat;
  /** X with A X = B, A symmetric positive definite. */
  choleskySolve(a: Mat, b: Mat): Mat;
}

/**
 * Thrown by cholesky/choleskySolve when the leading minor of order `leadingMinor` (1-based, as
 * LAPACK's dpotrf info) is not positive definite, so the factorisation cannot be completed.
 */
export class NotPositiveDefiniteError extends RangeError {
  readonly leadingMinor: number;
  constructor(op: string, leadingMinor: number, options?: { cause?: unknown }) {
    super(`${op}: matrix is not positive definite (leading minor ${leadingMinor})`, options);
    this.name = 'NotPositiveDefiniteError';
    this.leadingMinor = leadingMinor;
  }
}
