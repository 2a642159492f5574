import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/**
 * Which training points a run's train metrics (trainLoss, trainAcc) are measured on. The test metrics, where t*
 * comes from, always use the whole test set.
 */

/** The seed of the fixed train-evaluation subset: the same points for every run, every seed and every evaluation on the same data. */
export const EVAL_SUBSET_SEED = 0x5eed;

/**
 * The indices of a fixed, seeded sample of `size` of the `n` training points, without repeats, in increasing order:
 * the first `size` entries of a Fisher–Yates shuffle of 0..n−1 driven by Rng(seed). All n points (0..n−1) when
 * size ≥ n.
 */
export function evalSubsetIndices(n: number, size: number, seed: number = EVAL_SUBSET_SEED): Int32Array {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`the subset size must be a positive integer, got ${size}`);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  if (size >= n) return perm;
  const rng = new Rng(seed);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rng.uniform() * (n - i));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm.slice(0, size).sort();
}

/** Refuses a malformed train-evaluation option (TrainOptions.evalTrainSubset; one clear line, InputError). */
export function checkEvalTrainSubset(size: number | undefined, evalTrainSize: number | undefined): void {
  if (size === undefined) return;
  if (!(Number.isInteger(size) && size >= 1)) throw new InputError(`evalTrainSubset (--eval-train) must be a positive integer, got ${size}`);
  if (evalTrainSize !== undefined) throw new InputError('evalTrainSubset and evalTrainSize both choose the evaluated training points: give one');
}
