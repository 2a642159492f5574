/**
 * Class labels read from a file (a column of integers) before one-hot encoding. k = max label + 1 outputs, so
 * one stray value (2^31, 1e9) would ask for billions of columns: labels are bounded, and every bad one is named
 * by row and value rather than wrapped (Int32) or turned into a regression target.
 */
import type { Mat } from '../linalg/matrix.js';
import { InputError } from '../util/errors.js';
import { centredOneHot, oneHot } from './preprocess.js';

/** Most classes a label file may define (k = max label + 1). */
export const MAX_CLASSES = 10_000;

/**
 * True for a column whose values are all integers ≥ 0 with at least one ≥ 1: read as class labels. A column with
 * a fraction or a negative value (e.g. ±1 targets) is a regression target, taken as given.
 * @param m - a target matrix
 * @returns whether it is one column of non-negative integers with one at least 1
 */
export function looksLikeLabels(m: Mat): boolean {
  if (m.cols !== 1) return false;
  let max = -1;
  for (let i = 0; i < m.rows; i++) {
    const v = m.data[i];
    if (!Number.isInteger(v) || v < 0) return false;
    if (v > max) max = v;
  }
  return max >= 1;
}

/**
 * The labels of an n×1 column as Int32, each an integer in 0..MAX_CLASSES−1; otherwise an InputError naming row and value.
 * @param m - an n×1 column of integer labels
 * @param name - the array named in errors
 * @returns the labels
 * @throws InputError naming the first bad row and value
 */
export function readLabels(m: Mat, name: string): Int32Array {
  if (m.cols !== 1) throw new InputError(`${name} must be one column of integer labels, got ${m.rows}×${m.cols}`);
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const v = m.data[i];
    if (!Number.isInteger(v) || v < 0 || v >= MAX_CLASSES) {
      const why = !Number.isInteger(v) ? 'not an integer' : v < 0 ? 'negative' : `over the limit of ${MAX_CLASSES} classes (labels 0..${MAX_CLASSES - 1})`;
      throw new InputError(`${name} row ${i} is ${v}: ${why}; labels must be integers 0..k−1`);
    }
    out[i] = v;
  }
  return out;
}

/** Number of classes k = max label + 1 over several label sets. */
export function classCount(...sets: Int32Array[]): number {
  let max = 0;
  for (const s of sets) for (const v of s) if (v > max) max = v;
  return max + 1;
}

/**
 * Targets from what the user gave as Y (and Y test): a column of integer labels (looksLikeLabels) becomes one-hot
 * targets over k = max label + 1 classes, 'centred' (one-hot − 1/k, the scan's default) or 'onehot'; 'values'
 * takes any column as regression targets. When Y holds labels, Y test must hold labels too. `description` says
 * which happened (for the results' metadata).
 */
export function labelTargets(y: Mat, yTest: Mat | null, encoding: 'centred' | 'onehot' | 'values'): { y: Mat; yTest: Mat | null; description: string } {
  if (encoding === 'values' || !looksLikeLabels(y)) {
    return { y, yTest, description: `targets as given (${y.cols} output${y.cols === 1 ? '' : 's'})` };
  }
  const labels = readLabels(y, 'Y (--y)');
  const labelsTest = yTest ? readLabels(yTest, 'Y test (--y-test) (Y holds integer labels; pass --targets values to take both as regression targets)') : null;
  const k = labelsTest ? classCount(labels, labelsTest) : classCount(labels);
  const encode = (l: Int32Array): Mat => (encoding === 'centred' ? centredOneHot(l, k) : oneHot(l, k));
  return { y: encode(labels), yTest: labelsTest ? encode(labelsTest) : null, description: `labels 0..${k - 1} as ${encoding} one-hot targets (${k} outputs)` };
}
