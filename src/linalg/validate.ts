// Argument checks shared by the native and js linear-algebra backends, so both throw the same
// errors with the same messages.
import type { Mat } from './matrix.js';

/** "3×4" */
export function shape(m: Mat): string {
  return `${m.rows}×${m.cols}`;
}

/** Checks that `m` is a well-formed Mat (integral shape, Float64Array data of the right length). */
export function checkMat(op: string, name: string, m: Mat): void {
  if (m === null || typeof m !== 'object') {
    throw new TypeError(`${op}: ${name} must be a matrix ({ rows, cols, data: Float64Array }), got ${m === null ? 'null' : typeof m}`);
  }
  if (!(m.data instanceof Float64Array)) {
    throw new TypeError(`${op}: ${name}.data must be a Float64Array`);
  }
  const { rows, cols } = m;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`${op}: ${name} has an invalid shape ${String(rows)}×${String(cols)}`);
  }
  if (m.data.length !== rows * cols) {
    throw new RangeError(`${op}: ${name} is ${shape(m)} but has ${m.data.length} entries (expected ${rows * cols})`);
  }
}

export function checkSquare(op: string, name: string, m: Mat): void {
  checkMat(op, name, m);
  if (m.rows !== m.cols) throw new RangeError(`${op}: ${name} must be square, got ${shape(m)}`);
}

/**
 * Throws a RangeError if `m` holds NaN or ±Infinity anywhere (also in the upper triangle of a
 * symmetric input, which the factorisations do not read: a non-finite entry there is a bug).
 */
export function checkFinite(op: string, name: string, m: Mat): void {
  const { rows, cols, data } = m;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = data[off + j];
      // v - v is NaN exactly for NaN and ±Infinity
      if (v - v !== 0) {
        throw new RangeError(`${op}: ${name} contains ${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'} at (${i}, ${j}); input must be finite`);
      }
    }
  }
}

export function checkScalar(op: string, name: string, x: unknown): number {
  if (typeof x !== 'number') throw new TypeError(`${op}: ${name} must be a number, got ${typeof x}`);
  return x;
}

export function checkFlag(op: string, name: string, x: unknown): boolean {
  if (x === undefined) return false;
  if (typeof x !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${typeof x}`);
  return x;
}

export interface GemmShape {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
}

/** Validates gemm's arguments and returns the op(A) m×k · op(B) k×n dimensions. */
export function checkGemm(a: Mat, b: Mat, opts: { transA?: boolean; transB?: boolean; alpha?: number } | undefined): GemmShape {
  checkMat('gemm', 'A', a);
  checkMat('gemm', 'B', b);
  const transA = checkFlag('gemm', 'transA', opts?.transA);
  const transB = checkFlag('gemm', 'transB', opts?.transB);
  const alpha = opts?.alpha === undefined ? 1 : checkScalar('gemm', 'alpha', opts.alpha);
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) {
    const opA = transA ? `Aᵀ (A is ${shape(a)})` : 'A';
    const opB = transB ? `Bᵀ (B is ${shape(b)})` : 'B';
    throw new RangeError(
      `gemm: inner dimensions do not match: ${opA} is ${m}×${k} but ${opB} is ${kb}×${n} (columns of the left factor must equal rows of the right)`,
    );
  }
  return { m, k, n, transA, transB, alpha };
}

export function checkSyrk(a: Mat, opts: { trans?: boolean; alpha?: number } | undefined): { trans: boolean; alpha: number } {
  checkMat('syrk', 'A', a);
  const trans = checkFlag('syrk', 'trans', opts?.trans);
  const alpha = opts?.alpha === undefined ? 1 : checkScalar('syrk', 'alpha', opts.alpha);
  return { trans, alpha };
}

export function checkEigh(a: Mat): void {
  checkSquare('eigh', 'A', a);
  checkFinite('eigh', 'A', a);
}

export function checkCholesky(a: Mat): void {
  checkSquare('cholesky', 'A', a);
  checkFinite('cholesky', 'A', a);
}

export function checkCholeskySolve(a: Mat, b: Mat): void {
  checkSquare('choleskySolve', 'A', a);
  checkMat('choleskySolve', 'B', b);
  if (b.rows !== a.rows) {
    throw new RangeError(`choleskySolve: A is ${shape(a)} but B is ${shape(b)} (B must have ${a.rows} rows)`);
  }
  checkFinite('choleskySolve', 'A', a);
  checkFinite('choleskySolve', 'B', b);
}
