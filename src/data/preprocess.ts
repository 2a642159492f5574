import type { Mat } from '../linalg/matrix.js';
import { InputError } from '../util/errors.js';

/**
 * How flat inputs are standardized (see `standardize`): 'none'; 'features' (each feature to zero mean and unit
 * variance over the training set); 'unit-norm' (each example to |x|² = d).
 */
export type Standardization = 'none' | 'features' | 'unit-norm';

/**
 * Input standardization fitted on the training set and applied to both sets (float64):
 * - 'features': each feature to zero mean and unit variance over the training set (constant features → 0);
 * - 'unit-norm': each example scaled to |x|² = d, so the input covariance x·x/d is 1 on the diagonal;
 * - 'none': unchanged.
 * @param train - training inputs, n×d
 * @param test - test inputs, m×d (or null)
 * @param how - 'none', 'features' or 'unit-norm'
 * @returns the standardized inputs (new matrices unless 'none')
 */
export function standardize(train: Mat, test: Mat | null, how: Standardization): { train: Mat; test: Mat | null } {
  if (how === 'none') return { train, test };
  if (test && test.cols !== train.cols) throw new InputError(`train and test inputs differ in dimension: ${train.cols} vs ${test.cols}`);
  if (how === 'unit-norm') return { train: unitNorm(train), test: test && unitNorm(test) };
  if (how !== 'features') throw new InputError(`standardization must be none, features or unit-norm, got "${String(how)}"`);
  const d = train.cols;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < train.rows; i++) for (let j = 0; j < d; j++) mean[j] += train.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= train.rows;
  for (let i = 0; i < train.rows; i++) for (let j = 0; j < d; j++) sd[j] += (train.data[i * d + j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] / train.rows);
  const apply = (m: Mat): Mat => {
    const out = new Float64Array(m.data.length);
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < d; j++) out[i * d + j] = sd[j] > 1e-12 ? (m.data[i * d + j] - mean[j]) / sd[j] : 0;
    }
    return { rows: m.rows, cols: d, data: out };
  };
  return { train: apply(train), test: test && apply(test) };
}

function unitNorm(m: Mat): Mat {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j] ** 2;
    const f = s > 0 ? Math.sqrt(m.cols / s) : 0;
    for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = f * m.data[i * m.cols + j];
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

/**
 * One-hot targets, N×k float64: `on` for the true class and `off` elsewhere. The usual centred choice for
 * MSE is on = 1 − 1/k, off = −1/k (`centredOneHot`), which makes every target row sum to zero.
 * @param labels - class of each example, integers in [0, k)
 * @param k - number of classes
 * @param on - value for the true class (default 1)
 * @param off - value elsewhere (default 0)
 * @returns N×k float64 targets
 */
export function oneHot(labels: Int32Array, k: number, on = 1, off = 0): Mat {
  const out = new Float64Array(labels.length * k).fill(off);
  labels.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= k) throw new InputError(`label ${c} at index ${i} is outside 0..${k - 1}`);
    out[i * k + c] = on;
  });
  return { rows: labels.length, cols: k, data: out };
}

/**
 * Centred one-hot targets for MSE: on = 1 − 1/k, off = −1/k, so every row sums to zero.
 * @param labels - class of each example, integers in [0, k)
 * @param k - number of classes
 * @returns N×k float64 targets
 */
export function centredOneHot(labels: Int32Array, k: number): Mat {
  return oneHot(labels, k, 1 - 1 / k, -1 / k);
}
