import type { Mat } from '../linalg/matrix.js';
import { createBatchSource } from './batchOrder.js';
import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { centredOneHot } from './preprocess.js';

// Data utilities for training runs: a resumable mini-batch order, class subsets, and small synthetic sets.

// ── Mini-batches ────────────────────────────────────────────────────────────────────────────────────────────

/** One mini-batch: the example indices, the epoch they come from, and the global step (0, 1, 2, …). */
export interface MiniBatch {
  /** Example indices of this batch. */
  indices: Int32Array;
  /** Epoch it belongs to (from 0). */
  epoch: number;
  /** Its step number (from 0). */
  step: number;
}

/** Where a mini-batch sequence stands: with the same (n, batchSize, seed, dropLast) it regenerates the exact continuation. */
export interface MiniBatchState {
  /** Number of examples. */
  n: number;
  /** Examples per batch. */
  batchSize: number;
  /** Seed of the permutations. */
  seed: number;
  /** Whether each epoch's last, smaller batch is skipped. */
  dropLast: boolean;
  /** Current epoch. */
  epoch: number;
  /** Examples of this epoch's permutation already handed out. */
  position: number;
  /** Batches handed out so far. */
  step: number;
}

/** A seeded, endless sequence of mini-batches (a fresh permutation each epoch), resumable through `state`/`restore`. */
export interface MiniBatches {
  /** Batches per epoch: ⌈n/batchSize⌉, or ⌊n/batchSize⌋ with dropLast (1 when batchSize ≥ n). */
  readonly stepsPerEpoch: number;
  /** The next batch; the sequence never ends (a fresh permutation each epoch). */
  next(): MiniBatch;
  /**
   * Where the sequence stands (JSON-serialisable), for checkpoints.
   * @returns n, batch size, seed, epoch and the position within the epoch
   */
  state(): MiniBatchState;
  /** Continues from a `state()` of the same sequence (anything else throws InputError). */
  restore(state: unknown): void;
}

/**
 * Seeded epochs of mini-batches over n examples: every epoch a fresh permutation, cut into batches of
 * `batchSize` (batchSize ≥ n: one full batch per step). The permutations are those of the trainer's batch order
 * (createBatchSource in ./batchOrder.ts: epoch e's permutation is seeded from (seed, e)), so the same seed visits the examples in the same order as
 * `trainRun`, and a restored state regenerates its epoch without replaying earlier ones. The last batch of an
 * epoch is short when batchSize does not divide n, or skipped with `dropLast` (every batch then has batchSize
 * examples, and each epoch leaves out n mod batchSize random examples).
 *
 * The sequence is defined by an integer seed rather than an `Rng` object, because the seed is what a checkpoint
 * can store.
 * @param n - number of examples
 * @param batchSize - examples per batch (≥ n: every batch is the whole set)
 * @param seed - seed of the permutations
 * @param opts - `dropLast` skips an epoch's last, smaller batch
 * @returns the endless, resumable sequence of index batches
 */
export function miniBatches(n: number, batchSize: number, seed: number, opts: { dropLast?: boolean } = {}): MiniBatches {
  if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`mini-batches: n must be a positive integer, got ${n}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InputError(`mini-batches: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(seed)) throw new InputError(`mini-batches: seed must be an integer, got ${seed}`);
  const dropLast = opts.dropLast ?? false;
  const size = Math.min(batchSize, n);
  const stepsPerEpoch = dropLast ? Math.floor(n / size) : Math.ceil(n / size);
  const source = createBatchSource(n, size, seed);
  let step = 0;
  return {
    stepsPerEpoch,
    next(): MiniBatch {
      let indices = source.next();
      if (indices.length < size && dropLast) indices = source.next(); // the short tail: on to the next epoch
      return { indices, epoch: source.state().epoch, step: step++ };
    },
    state: () => ({ n, batchSize, seed, dropLast, ...source.state(), step }),
    restore(state: unknown): void {
      const s = checkBatchState(state, { n, batchSize, seed, dropLast });
      source.restore({ epoch: s.epoch, position: s.position });
      step = s.step;
    },
  };
}

function checkBatchState(state: unknown, own: Pick<MiniBatchState, 'n' | 'batchSize' | 'seed' | 'dropLast'>): MiniBatchState {
  if (typeof state !== 'object' || state === null) throw new InputError('mini-batches: cannot resume from this state (not an object)');
  const s = state as Partial<MiniBatchState>;
  for (const key of ['n', 'batchSize', 'seed', 'dropLast'] as const) {
    if (s[key] !== own[key]) throw new InputError(`mini-batches: the state is from another sequence (${key} ${String(s[key])}, this one has ${own[key]})`);
  }
  const count = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
  if (!count(s.epoch) || !count(s.step) || !count(s.position) || (s.position as number) > own.n) {
    throw new InputError(`mini-batches: cannot resume from this state (epoch ${String(s.epoch)}, position ${String(s.position)}, step ${String(s.step)})`);
  }
  return s as MiniBatchState;
}

// ── Class subsets ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * The examples of two classes, for a binary task with one output: their indices (in the original order) and
 * targets +1 for `classA`, −1 for `classB`, as an m×1 matrix.
 * @param labels - class of each example
 * @param classA - the class with target +1
 * @param classB - the class with target −1
 * @returns indices of the examples of the two classes (original order) and their targets, m×1
 */
export function twoClassSubset(labels: ArrayLike<number>, classA: number, classB: number): { indices: Int32Array; targets: Mat } {
  checkLabels(labels, 'two-class subset');
  if (!Number.isInteger(classA) || !Number.isInteger(classB)) throw new InputError(`two-class subset: classes must be integers, got ${classA} and ${classB}`);
  if (classA === classB) throw new InputError(`two-class subset: the two classes must differ, got ${classA} twice`);
  const picked: number[] = [];
  let countA = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === classA) countA++;
    if (labels[i] === classA || labels[i] === classB) picked.push(i);
  }
  if (countA === 0) throw new InputError(`two-class subset: no example has label ${classA}`);
  if (countA === picked.length) throw new InputError(`two-class subset: no example has label ${classB}`);
  const indices = Int32Array.from(picked);
  const targets = Float64Array.from(indices, (i) => (labels[i] === classA ? 1 : -1));
  return { indices, targets: { rows: indices.length, cols: 1, data: targets } };
}

/**
 * n examples drawn at random with the classes as equal as possible: each class gets ⌊n/C⌋ or ⌈n/C⌉ (the lower
 * labels get the extra ones), except a class with fewer examples, which gives all it has and leaves the
 * difference to the others (shared the same way). Which members of a class are taken is up to `rng`; the
 * indices come back in ascending order.
 * @param labels - class of each example
 * @param n - subset size (≤ number of examples)
 * @param rng - which members of each class are taken
 * @returns n indices, ascending, with the classes as equal as possible
 */
export function balancedSubset(labels: ArrayLike<number>, n: number, rng: Rng): Int32Array {
  checkLabels(labels, 'balanced subset');
  if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`balanced subset: n must be a positive integer, got ${n}`);
  if (n > labels.length) throw new InputError(`balanced subset: asked for ${n} examples but there are only ${labels.length}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const quota = waterFill(classes.map((c) => byClass.get(c)!.length), n);
  const out: number[] = [];
  classes.forEach((c, j) => {
    const members = byClass.get(c)!;
    const perm = rng.permutation(members.length);
    for (let t = 0; t < quota[j]; t++) out.push(members[perm[t]]);
  });
  return Int32Array.from(out.sort((a, b) => a - b));
}

/** Splits n into per-class counts bounded by `caps`, as equal as possible (caps sum to at least n). */
function waterFill(caps: number[], n: number): number[] {
  const quota = caps.map(() => 0);
  let left = n;
  while (left > 0) {
    const open = quota.map((q, j) => j).filter((j) => quota[j] < caps[j]);
    const share = Math.floor(left / open.length);
    if (share === 0) {
      // fewer examples left than open classes: one more each for the first ones
      for (let t = 0; t < left; t++) quota[open[t]]++;
      break;
    }
    for (const j of open) {
      const add = Math.min(share, caps[j] - quota[j]);
      quota[j] += add;
      left -= add;
    }
  }
  return quota;
}

function checkLabels(labels: ArrayLike<number>, what: string): void {
  if (labels.length === 0) throw new InputError(`${what}: there are no labels`);
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i])) throw new InputError(`${what}: label ${labels[i]} at index ${i} is not an integer`);
  }
}

// ── Synthetic sets ──────────────────────────────────────────────────────────────────────────────────────────

/** The teacher of the synthetic sets: 'linear' (Wᵀx/√d) or 'relu' (a random one-hidden-layer ReLU network of 64 units, centred; see syntheticRegression). */
export type Teacher = 'linear' | 'relu';

/** Hidden width of the ReLU teacher. */
const TEACHER_WIDTH = 64;
/** Mean and variance of relu(z) for z ~ N(0, 1). */
const RELU_MEAN = 1 / Math.sqrt(2 * Math.PI);
const RELU_VAR = 0.5 - 1 / (2 * Math.PI);

/**
 * A small regression set: inputs x ~ N(0, I_d) (n×d) and targets y = f(x) + noise·ε (n×k), with a random
 * Gaussian teacher f of zero-mean, unit-variance outputs: linear, Wᵀx/√d, or one ReLU layer,
 * W₂ᵀ(relu(W₁ᵀx/√d) − m)/s with h = 64 hidden units, where m = 1/√(2π) and s² = h(½ − 1/(2π)) are the mean and
 * h × the variance of relu(z), z ~ N(0, 1) (without the centring every output has a random offset, and the
 * classification set's argmax would favour one class).
 * The teacher is drawn before the data and each example with its noise in turn, so the same seed gives the same
 * teacher for any n, a smaller n gives a prefix of a larger one, and the inputs do not depend on `noise`.
 * @param o - n examples, input dimension d, k outputs, seed, noise (default 0), teacher (default 'linear')
 * @returns inputs x (n×d) and targets y (n×k)
 */
export function syntheticRegression(o: { n: number; d: number; k: number; seed: number; noise?: number; teacher?: Teacher }): { x: Mat; y: Mat } {
  const noise = o.noise ?? 0;
  if (!(Number.isFinite(noise) && noise >= 0)) throw new InputError(`synthetic regression: noise must be a finite number ≥ 0, got ${noise}`);
  const { x, f } = teacherData('synthetic regression', o.n, o.d, o.k, o.seed, o.teacher ?? 'linear', noise);
  return { x, y: f };
}

/**
 * A small classification set: inputs x ~ N(0, I_d) and labels argmax f(x) of a random teacher with `classes`
 * outputs (as in `syntheticRegression`; ReLU by default, so a linear model cannot fit it exactly), with the
 * centred one-hot targets the bundled MNIST set uses (1 − 1/C on the class, −1/C elsewhere).
 * @param o - n examples, input dimension d, number of classes, seed, teacher (default 'relu')
 * @returns inputs x (n×d), labels (argmax of the teacher) and centred one-hot targets y (n×classes)
 */
export function syntheticClassification(o: { n: number; d: number; classes: number; seed: number; teacher?: Teacher }): { x: Mat; labels: Int32Array; y: Mat } {
  if (!(Number.isInteger(o.classes) && o.classes >= 2)) throw new InputError(`synthetic classification: classes must be an integer ≥ 2, got ${o.classes}`);
  const { x, f } = teacherData('synthetic classification', o.n, o.d, o.classes, o.seed, o.teacher ?? 'relu', 0);
  const labels = new Int32Array(o.n);
  for (let i = 0; i < o.n; i++) {
    let best = 0;
    for (let c = 1; c < o.classes; c++) if (f.data[i * o.classes + c] > f.data[i * o.classes + best]) best = c;
    labels[i] = best;
  }
  return { x, labels, y: centredOneHot(labels, o.classes) };
}

/** Gaussian inputs and the teacher's outputs (plus noise): the shared part of the synthetic sets. */
function teacherData(what: string, n: number, d: number, k: number, seed: number, teacher: Teacher, noise: number): { x: Mat; f: Mat } {
  for (const [name, v] of [['n', n], ['d', d], ['k', k]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new InputError(`${what}: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(seed)) throw new InputError(`${what}: seed must be an integer, got ${seed}`);
  if (teacher !== 'linear' && teacher !== 'relu') throw new InputError(`${what}: teacher must be linear or relu, got "${String(teacher)}"`);
  const rng = new Rng(seed);
  const h = teacher === 'relu' ? TEACHER_WIDTH : 0;
  const w1 = rng.normals(d * (h || k), 1 / Math.sqrt(d)); // d×h (relu) or d×k (linear)
  const w2 = rng.normals(h * k, 1 / Math.sqrt(Math.max(h, 1) * RELU_VAR)); // h×k, empty for the linear teacher
  const x = new Float64Array(n * d);
  const f = new Float64Array(n * k);
  const hidden = new Float64Array(h);
  for (let i = 0; i < n; i++) {
    const xi = rng.normals(d);
    x.set(xi, i * d);
    const eps = rng.normals(k, noise); // drawn even at noise 0, so the inputs do not depend on it
    const out = f.subarray(i * k, (i + 1) * k);
    if (teacher === 'linear') {
      vecMat(xi, w1, k, out);
    } else {
      vecMat(xi, w1, h, hidden);
      for (let j = 0; j < h; j++) hidden[j] = Math.max(0, hidden[j]) - RELU_MEAN;
      vecMat(hidden, w2, k, out);
    }
    for (let c = 0; c < k; c++) out[c] += eps[c];
  }
  return { x: { rows: n, cols: d, data: x }, f: { rows: n, cols: k, data: f } };
}

/** out = vᵀW for W stored row-major as (v.length)×m. */
function vecMat(v: Float64Array, w: Float64Array, m: number, out: Float64Array): void {
  out.fill(0);
  for (let a = 0; a < v.length; a++) {
    const va = v[a];
    if (va === 0) continue;
    for (let c = 0; c < m; c++) out[c] += va * w[a * m + c];
  }
}
