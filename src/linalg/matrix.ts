import { InputError } from '../util/errors.js';

/**
 * A dense float64 matrix in row-major (C) order: entry (i, j) is `data[i * cols + j]`.
 * This is the currency of every float64 computation in ntk-l2 (kernels, linalg, dynamics).
 */
export interface Mat {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** Entries, row-major: (i, j) is data[i·cols + j]. */
  readonly data: Float64Array;
}

/**
 * Refuses, with what to pass instead, a value given where a Mat belongs that is not one: nested JS arrays
 * (number[][] — fromRows turns them into a Mat), a bare typed array, or a non-object. An InputError (from the CLI:
 * exit 2), never a misleading "contains NaN" later. `name` names the argument ("X1", "Θ (train)").
 */
export function checkMatArgument(x: unknown, name: string): void {
  const pass = 'pass a Mat { rows, cols, data: Float64Array } (fromRows(arrayOfRows) builds one from number[][])';
  if (Array.isArray(x)) throw new InputError(`${name} is a JS array; ${pass}`);
  if (ArrayBuffer.isView(x)) throw new InputError(`${name} is a flat typed array without a shape; ${pass}`);
  if (x === null || typeof x !== 'object') throw new InputError(`${name} is ${x === null ? 'null' : typeof x}; ${pass}`);
  const m = x as Partial<Mat> & { shape?: unknown };
  if (m.shape === undefined && !(m.data instanceof Float64Array)) {
    throw new InputError(`${name}.data is not a Float64Array; ${pass}`);
  }
}

/**
 * Wraps `data` as a rows×cols matrix, checking the length.
 * @param rows - number of rows
 * @param cols - number of columns
 * @param data - row-major entries, length rows·cols (default: zeros)
 * @returns the matrix
 * @throws RangeError for a bad shape or length
 */
export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix shape must be non-negative integers, got ${rows}×${cols}`);
  }
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols) {
    throw new RangeError(`matrix data has ${d.length} entries, expected ${rows}×${cols} = ${rows * cols}`);
  }
  return { rows, cols, data: d };
}

/**
 * Builds a matrix from nested arrays (tests, small examples).
 * @param rows - equal-length rows of numbers
 * @returns the matrix, float64 row-major
 * @throws RangeError for ragged rows
 */
export function fromRows(rows: ReadonlyArray<ReadonlyArray<number>>): Mat {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const out = new Float64Array(r * c);
  rows.forEach((row, i) => {
    if (row.length !== c) throw new RangeError(`row ${i} has ${row.length} entries, expected ${c}`);
    out.set(row, i * c);
  });
  return { rows: r, cols: c, data: out };
}

/** Entry (i, j). */
export function at(m: Mat, i: number, j: number): number {
  return m.data[i * m.cols + j];
}

/** The transpose as a new matrix. */
export function transpose(m: Mat): Mat {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j];
  }
  return { rows: m.cols, cols: m.rows, data: out };
}

/**
 * The squared Euclidean norm of each row, |x_i|² (summed left to right, so every caller gets the same bits).
 * @param x - an N×d matrix
 * @returns N values
 */
export function rowSquaredNorms(x: Mat): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    const off = i * x.cols;
    for (let j = 0; j < x.cols; j++) s += x.data[off + j] * x.data[off + j];
    out[i] = s;
  }
  return out;
}
