import { describe, expect, it } from 'vitest';
import { balancedSubset, miniBatches, syntheticClassification, syntheticRegression, twoClassSubset, type MiniBatch } from '../../src/data/batches.js';
import { createBatchSource } from '../../src/data/batchOrder.js';
import { InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

const take = (it: { next(): MiniBatch }, count: number): MiniBatch[] => Array.from({ length: count }, () => it.next());
const plain = (bs: MiniBatch[]) => bs.map((b) => ({ ...b, indices: Array.from(b.indices) }));

/** The batches of one epoch, checked to be a partition of 0..n−1 (up to `dropped` left out). */
function expectEpochCovers(bs: MiniBatch[], n: number, dropped = 0): void {
  const seen = new Int32Array(n);
  for (const b of bs) for (const i of b.indices) seen[i]++;
  expect(seen.every((c) => c <= 1)).toBe(true);
  expect(seen.reduce((s, c) => s + c, 0)).toBe(n - dropped);
}

describe('miniBatches', () => {
  it('visits every index exactly once per epoch, with a short last batch', () => {
    const it = miniBatches(23, 5, 1);
    expect(it.stepsPerEpoch).toBe(5);
    for (let e = 0; e < 4; e++) {
      const bs = take(it, 5);
      expect(bs.map((b) => b.indices.length)).toEqual([5, 5, 5, 5, 3]);
      expect(bs.every((b) => b.epoch === e)).toBe(true);
      expect(bs.map((b) => b.step)).toEqual([0, 1, 2, 3, 4].map((s) => 5 * e + s));
      expectEpochCovers(bs, 23);
    }
  });

  it('dropLast skips the short tail: full batches only, n mod batchSize examples left out per epoch', () => {
    const it = miniBatches(23, 5, 1, { dropLast: true });
    expect(it.stepsPerEpoch).toBe(4);
    for (let e = 0; e < 3; e++) {
      const bs = take(it, 4);
      expect(bs.every((b) => b.indices.length === 5 && b.epoch === e)).toBe(true);
      expectEpochCovers(bs, 23, 3);
    }
    // when batchSize divides n nothing is dropped
    const exact = miniBatches(20, 5, 1, { dropLast: true });
    expectEpochCovers(take(exact, 4), 20);
    expect(exact.next().epoch).toBe(1);
  });

  it('batchSize ≥ n gives one full batch per step, a new epoch each step', () => {
    for (const dropLast of [false, true]) {
      const it = miniBatches(7, 100, 3, { dropLast });
      expect(it.stepsPerEpoch).toBe(1);
      const bs = take(it, 3);
      expect(bs.map((b) => b.epoch)).toEqual([0, 1, 2]);
      for (const b of bs) expectEpochCovers([b], 7);
    }
    expectEpochCovers([miniBatches(1, 1, 0).next()], 1);
  });

  it('is reproducible with a seed; other seeds and other epochs give other orders', () => {
    const a = plain(take(miniBatches(50, 8, 42), 21));
    const b = plain(take(miniBatches(50, 8, 42), 21));
    const c = plain(take(miniBatches(50, 8, 43), 21));
    expect(b).toEqual(a);
    expect(c.map((x) => x.indices)).not.toEqual(a.map((x) => x.indices));
    const epochOrder = (bs: typeof a, e: number) => bs.filter((x) => x.epoch === e).flatMap((x) => x.indices);
    expect(epochOrder(a, 0)).toHaveLength(50);
    expect(epochOrder(a, 1)).not.toEqual(epochOrder(a, 0));
    expect(epochOrder(a, 2)).not.toEqual(epochOrder(a, 1));
  });

  it('visits the examples in the same order as the trainer’s batch source', () => {
    const src = createBatchSource(30, 7, 9);
    const mine = miniBatches(30, 7, 9);
    for (let s = 0; s < 20; s++) expect(Array.from(mine.next().indices)).toEqual(Array.from(src.next()));
  });

  it('resumes from a state (through JSON) with the identical continuation, at any point', () => {
    for (const dropLast of [false, true]) {
      const want = plain(take(miniBatches(23, 5, 11, { dropLast }), 40));
      for (const cut of [0, 1, 3, 4, 5, 13, 39]) {
        const first = miniBatches(23, 5, 11, { dropLast });
        take(first, cut);
        const saved = JSON.parse(JSON.stringify(first.state())) as unknown;
        const resumed = miniBatches(23, 5, 11, { dropLast });
        resumed.restore(saved);
        expect(plain(take(resumed, 40 - cut))).toEqual(want.slice(cut));
      }
    }
  });

  it('refuses a state of another sequence, or a damaged one', () => {
    const it = miniBatches(23, 5, 11);
    take(it, 3);
    const s = it.state();
    expect(s).toEqual({ n: 23, batchSize: 5, seed: 11, dropLast: false, epoch: 0, position: 15, step: 3 });
    expect(() => miniBatches(24, 5, 11).restore(s)).toThrow(/another sequence \(n 23, this one has 24\)/);
    expect(() => miniBatches(23, 5, 12).restore(s)).toThrow(/seed/);
    expect(() => miniBatches(23, 5, 11, { dropLast: true }).restore(s)).toThrow(/dropLast/);
    expect(() => it.restore({ ...s, position: 24 })).toThrow(InputError);
    expect(() => it.restore({ ...s, epoch: -1 })).toThrow(InputError);
    expect(() => it.restore({ ...s, step: 1.5 })).toThrow(InputError);
    expect(() => it.restore('x')).toThrow(InputError);
    expect(it.next().step).toBe(3); // a refused state leaves the sequence where it was
  });

  it('names bad arguments', () => {
    expect(() => miniBatches(0, 5, 1)).toThrow(/n must be a positive integer/);
    expect(() => miniBatches(2.5, 5, 1)).toThrow(/n must be a positive integer/);
    expect(() => miniBatches(10, 0, 1)).toThrow(/batchSize must be a positive integer/);
    expect(() => miniBatches(10, NaN, 1)).toThrow(/batchSize/);
    expect(() => miniBatches(10, 2, 0.5)).toThrow(/seed must be an integer/);
    expect(() => miniBatches(10, 2, Infinity)).toThrow(InputError);
  });
});

describe('twoClassSubset', () => {
  it('keeps the two classes in order with targets +1 / −1', () => {
    const labels = Int32Array.from([3, 1, 7, 3, 1, 1, 0]);
    const { indices, targets } = twoClassSubset(labels, 1, 3);
    expect(Array.from(indices)).toEqual([0, 1, 3, 4, 5]);
    expect(targets.rows).toBe(5);
    expect(targets.cols).toBe(1);
    expect(Array.from(targets.data)).toEqual([-1, 1, -1, 1, 1]);
    expect(Array.from(twoClassSubset([0, 1, 2], 2, 0).targets.data)).toEqual([-1, 1]);
  });

  it('names bad input', () => {
    const labels = [0, 1, 1, 2];
    expect(() => twoClassSubset(labels, 1, 1)).toThrow(/must differ/);
    expect(() => twoClassSubset(labels, 1, 5)).toThrow(/no example has label 5/);
    expect(() => twoClassSubset(labels, 7, 1)).toThrow(/no example has label 7/);
    expect(() => twoClassSubset(labels, 0.5, 1)).toThrow(/integers/);
    expect(() => twoClassSubset([], 0, 1)).toThrow(/no labels/);
    expect(() => twoClassSubset([0, 1.5], 0, 1)).toThrow(/label 1.5 at index 1 is not an integer/);
    expect(() => twoClassSubset([0, NaN], 0, 1)).toThrow(InputError);
  });
});

describe('balancedSubset', () => {
  const countsOf = (labels: ArrayLike<number>, idx: Int32Array) => {
    const m = new Map<number, number>();
    for (const i of idx) m.set(labels[i], (m.get(labels[i]) ?? 0) + 1);
    return Object.fromEntries([...m.entries()].sort((a, b) => a[0] - b[0]));
  };
  // 60 of class 0, 30 of class 1, 5 of class 2, 25 of class 5, shuffled
  const raw = [...Array(60).fill(0), ...Array(30).fill(1), ...Array(5).fill(2), ...Array(25).fill(5)] as number[];
  const perm = new Rng(0).permutation(raw.length);
  const labels = Int32Array.from(perm, (p) => raw[p]);

  it('draws the classes as equally as possible, extra ones to the lower labels', () => {
    expect(countsOf(labels, balancedSubset(labels, 20, new Rng(1)))).toEqual({ 0: 5, 1: 5, 2: 5, 5: 5 });
    expect(countsOf(labels, balancedSubset(labels, 18, new Rng(1)))).toEqual({ 0: 5, 1: 5, 2: 4, 5: 4 });
  });

  it('a small class gives all it has and the others share the rest', () => {
    // 40 over 4 classes → 10 each, but class 2 has 5: the other 35 go 12, 12, 11 to classes 0, 1, 5
    expect(countsOf(labels, balancedSubset(labels, 40, new Rng(1)))).toEqual({ 0: 12, 1: 12, 2: 5, 5: 11 });
    // class 5 also runs out: 5 + 25, the remaining 70 → 40 and 30 (class 1 has only 30)
    expect(countsOf(labels, balancedSubset(labels, 100, new Rng(1)))).toEqual({ 0: 40, 1: 30, 2: 5, 5: 25 });
    expect(balancedSubset(labels, labels.length, new Rng(1))).toEqual(Int32Array.from(labels, (_, i) => i));
  });

  it('returns distinct indices in ascending order, reproducibly by the generator’s seed', () => {
    const a = balancedSubset(labels, 30, new Rng(5));
    expect(new Set(a).size).toBe(30);
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y));
    expect(balancedSubset(labels, 30, new Rng(5))).toEqual(a);
    expect(Array.from(balancedSubset(labels, 30, new Rng(6)))).not.toEqual(Array.from(a));
  });

  it('names bad input', () => {
    expect(() => balancedSubset(labels, 0, new Rng(0))).toThrow(/n must be a positive integer/);
    expect(() => balancedSubset(labels, 3.5, new Rng(0))).toThrow(/n must be a positive integer/);
    expect(() => balancedSubset(labels, 121, new Rng(0))).toThrow(/asked for 121 examples but there are only 120/);
    expect(() => balancedSubset([], 1, new Rng(0))).toThrow(/no labels/);
    expect(() => balancedSubset([0, 0.5], 1, new Rng(0))).toThrow(InputError);
  });
});

/** Least-squares residual ‖y − Xw‖²/‖y‖² for one output column, by the normal equations (small d). */
function lstsqResidual(x: { rows: number; cols: number; data: Float64Array }, y: Float64Array): number {
  const d = x.cols;
  const a = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let i = 0; i < x.rows; i++) {
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) a[p][q] += x.data[i * d + p] * x.data[i * d + q];
      a[p][d] += x.data[i * d + p] * y[i];
    }
  }
  for (let p = 0; p < d; p++) {
    for (let r = p + 1; r < d; r++) {
      const f = a[r][p] / a[p][p];
      for (let q = p; q <= d; q++) a[r][q] -= f * a[p][q];
    }
  }
  const w = new Float64Array(d);
  for (let p = d - 1; p >= 0; p--) {
    let s = a[p][d];
    for (let q = p + 1; q < d; q++) s -= a[p][q] * w[q];
    w[p] = s / a[p][p];
  }
  let res = 0;
  let tot = 0;
  for (let i = 0; i < x.rows; i++) {
    let f = 0;
    for (let p = 0; p < d; p++) f += x.data[i * d + p] * w[p];
    res += (y[i] - f) ** 2;
    tot += y[i] ** 2;
  }
  return res / tot;
}

const column = (m: { rows: number; cols: number; data: Float64Array }, c: number) => Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + c]);
const meanSquare = (v: ArrayLike<number>) => Array.from(v).reduce((s, t) => s + t * t, 0) / v.length;

describe('synthetic sets', () => {
  it('regression: Gaussian inputs, a linear teacher of O(1) outputs, reproducible', () => {
    const { x, y } = syntheticRegression({ n: 400, d: 5, k: 3, seed: 1 });
    expect([x.rows, x.cols, y.rows, y.cols]).toEqual([400, 5, 400, 3]);
    expect(meanSquare(x.data)).toBeGreaterThan(0.8);
    expect(meanSquare(x.data)).toBeLessThan(1.2);
    for (let c = 0; c < 3; c++) expect(lstsqResidual(x, column(y, c))).toBeLessThan(1e-20); // exactly linear
    expect(meanSquare(y.data)).toBeGreaterThan(0.2);
    expect(meanSquare(y.data)).toBeLessThan(3);
    expect(syntheticRegression({ n: 400, d: 5, k: 3, seed: 1 })).toEqual({ x, y });
    expect(Array.from(syntheticRegression({ n: 400, d: 5, k: 3, seed: 2 }).x.data)).not.toEqual(Array.from(x.data));
  });

  it('regression: a smaller n is a prefix, noise leaves the inputs alone and adds variance noise²', () => {
    const big = syntheticRegression({ n: 2000, d: 4, k: 2, seed: 3, noise: 0.5 });
    const small = syntheticRegression({ n: 10, d: 4, k: 2, seed: 3, noise: 0.5 });
    expect(Array.from(small.x.data)).toEqual(Array.from(big.x.data.subarray(0, 40)));
    expect(Array.from(small.y.data)).toEqual(Array.from(big.y.data.subarray(0, 20)));
    const clean = syntheticRegression({ n: 2000, d: 4, k: 2, seed: 3 });
    expect(clean.x).toEqual(big.x);
    const diff = big.y.data.map((v, i) => v - clean.y.data[i]);
    expect(meanSquare(diff)).toBeGreaterThan(0.25 * 0.9);
    expect(meanSquare(diff)).toBeLessThan(0.25 * 1.1);
  });

  it('regression: the ReLU teacher is not linear in the inputs, and its outputs are centred with unit variance', () => {
    const { x, y } = syntheticRegression({ n: 400, d: 5, k: 1, seed: 1, teacher: 'relu' });
    expect(lstsqResidual(x, column(y, 0))).toBeGreaterThan(0.05);
    const wide = syntheticRegression({ n: 4000, d: 50, k: 8, seed: 2, teacher: 'relu' }).y;
    const mean = wide.data.reduce((t, v) => t + v, 0) / wide.data.length;
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(meanSquare(wide.data)).toBeGreaterThan(0.7);
    expect(meanSquare(wide.data)).toBeLessThan(1.3);
  });

  it('classification: labels from the teacher’s argmax, every class present, centred one-hot targets', () => {
    const { x, labels, y } = syntheticClassification({ n: 600, d: 8, classes: 4, seed: 5 });
    expect([x.rows, x.cols, labels.length, y.rows, y.cols]).toEqual([600, 8, 600, 600, 4]);
    const counts = [0, 0, 0, 0];
    for (const l of labels) counts[l]++;
    expect(Math.min(...counts)).toBeGreaterThan(30);
    for (let i = 0; i < 600; i++) {
      for (let c = 0; c < 4; c++) expect(y.data[i * 4 + c]).toBeCloseTo(c === labels[i] ? 0.75 : -0.25, 15);
    }
    expect(syntheticClassification({ n: 600, d: 8, classes: 4, seed: 5 }).labels).toEqual(labels);
    // with two classes the linear teacher's labels are the sign of a linear function of x: a least-squares fit
    // of the ±1 labels leaves about 1 − 2/π ≈ 0.36 of their variance (about 1 for labels unrelated to x)
    const lin = syntheticClassification({ n: 600, d: 8, classes: 2, seed: 5, teacher: 'linear' });
    expect(lstsqResidual(lin.x, Float64Array.from(lin.labels, (l) => (l === 0 ? 1 : -1)))).toBeLessThan(0.6);
  });

  it('names bad options', () => {
    expect(() => syntheticRegression({ n: 0, d: 2, k: 1, seed: 0 })).toThrow(/n must be a positive integer/);
    expect(() => syntheticRegression({ n: 5, d: 1.5, k: 1, seed: 0 })).toThrow(/d must be a positive integer/);
    expect(() => syntheticRegression({ n: 5, d: 2, k: 0, seed: 0 })).toThrow(/k must be a positive integer/);
    expect(() => syntheticRegression({ n: 5, d: 2, k: 1, seed: NaN })).toThrow(/seed must be an integer/);
    expect(() => syntheticRegression({ n: 5, d: 2, k: 1, seed: 0, noise: -1 })).toThrow(/noise must be a finite number ≥ 0/);
    expect(() => syntheticRegression({ n: 5, d: 2, k: 1, seed: 0, teacher: 'tanh' as 'relu' })).toThrow(/teacher must be linear or relu/);
    expect(() => syntheticClassification({ n: 5, d: 2, classes: 1, seed: 0 })).toThrow(/classes must be an integer ≥ 2/);
    expect(() => syntheticClassification({ n: -5, d: 2, classes: 3, seed: 0 })).toThrow(InputError);
  });
});
