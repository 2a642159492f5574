import type { Mat } from '../src/linalg/matrix.js';
import { Rng } from '../src/util/random.js';
import { SpecError } from '../src/layers/specError.js';

/** A seeded N×d matrix of standard normals. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Mat {
  return { rows, cols, data: new Rng(seed).normals(rows * cols, scale) };
}

/** max |a − b| / max(|b|, floor) over all entries. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-300): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return m;
}

export function row(m: Mat, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** max |a − b| / max |b|: the scale-aware error used for float32 results and whole kernels. */
export function relToMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

/** The message of the SpecError `fn` throws, checked to be one line (fails the test when `fn` throws nothing). */
export function specErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const msg = e.message;
    if (msg.includes('\n')) throw new Error(`SpecError message is not one line: ${msg}`);
    return msg;
  }
  throw new Error('expected a SpecError');
}
