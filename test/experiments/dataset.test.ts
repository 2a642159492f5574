import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { downsampleImages, flattenImages, matToImages } from '../../src/data/images.js';
import { mnistSplit } from '../../src/data/mnist.js';
import { standardize } from '../../src/data/preprocess.js';
import { bundledDataset, bundledImages, fileDataset, type MnistImageSize } from '../../src/experiments/dataset.js';
import { writeNpy } from '../../src/io/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const save = (name: string, shape: number[], values: number[]) => {
  writeNpy(join(dir, name), { shape, data: Float64Array.from(values) });
  return join(dir, name);
};
const x = save('x.npy', [4, 2], [1, 0, 0, 1, 1, 1, 2, 0]);
const xt = save('xt.npy', [2, 2], [0, 2, 1, 3]);

describe('fileDataset', () => {
  it('integer label columns become one-hot with k = max + 1, and the description says so', () => {
    const d = fileDataset({ x, y: save('l.npy', [4], [0, 2, 1, 2]), xTest: xt, yTest: save('lt.npy', [2], [1, 0]) });
    expect([d.y.rows, d.y.cols, d.yTest.cols]).toEqual([4, 3, 3]);
    expect(d.description).toContain('labels 0..2 as centred one-hot targets (3 outputs)');
  });

  it('other targets are taken as given', () => {
    const d = fileDataset({ x, y: save('r.npy', [4], [-1, 1, 1, -1]), xTest: xt, yTest: save('rt.npy', [2], [1, -1]) });
    expect([d.y.cols, d.y.data[0]]).toEqual([1, -1]);
    expect(d.description).toContain('targets as given (1 output)');
  });

  it('refuses test labels that are not labels, huge labels and NaN anywhere', () => {
    const y = save('l2.npy', [4], [0, 2, 1, 2]);
    expect(() => fileDataset({ x, y, xTest: xt, yTest: save('bad.npy', [2], [1, -3]) })).toThrow(/Y test \(--y-test\) \(Y holds integer labels\) row 1 is -3: negative/);
    expect(() => fileDataset({ x, y: save('big.npy', [4], [0, 1e9, 1, 2]), xTest: xt, yTest: save('lt2.npy', [2], [1, 0]) })).toThrow(/row 1 is 1000000000: over the limit of 10000 classes/);
    expect(() => fileDataset({ x: save('xnan.npy', [4, 2], [1, 0, 0, NaN, 1, 1, 2, 0]), y, xTest: xt, yTest: save('lt3.npy', [2], [1, 0]) })).toThrow(/X \(--x\) contains NaN or Inf at row 1, column 1/);
    expect(() => fileDataset({ x, y, xTest: xt, yTest: save('lt4.npy', [2], [1, 0]) }, { maxMemoryBytes: 64 })).toThrow(/one-hot targets for 3 classes needs about 144 B, over the memory limit/);
  });
});

describe('bundledImages', () => {
  const flat = bundledDataset('mnist:40:15', { seed: 3 });

  it('size 28: the flattened images are bundledDataset rows bit for bit, with the same targets (unit-norm and none)', () => {
    const img = bundledImages('mnist:40:15', { seed: 3 });
    expect(img.x.shape).toEqual([40, 28, 28, 1]);
    expect(img.xTest.shape).toEqual([15, 28, 28, 1]);
    expect(img.x.dtype).toBe('float64');
    expect(flattenImages(img.x).data).toEqual(flat.x.data);
    expect(flattenImages(img.xTest).data).toEqual(flat.xTest.data);
    expect(img.y).toEqual(flat.y);
    expect(img.yTest).toEqual(flat.yTest);
    expect(img.y.data[0] === 0.9 || img.y.data[0] === -0.1).toBe(true);
    const raw = bundledImages('mnist:40:15', { seed: 3, standardize: 'none', targets: 'onehot' });
    const rawFlat = bundledDataset('mnist:40:15', { seed: 3, standardize: 'none', targets: 'onehot' });
    expect(raw.x.data).toEqual(rawFlat.x.data);
    expect(raw.yTest).toEqual(rawFlat.yTest);
    expect(img.description).toContain('28×28×1 images: 40 train / 15 test, seed 3, inputs unit-norm, centred one-hot targets');
  });

  it('sizes 14 and 7: block means of the raw digits, then unit-norm |x|² = H·W per image; same targets', () => {
    const { train } = mnistSplit({ nTrain: 40, nTest: 15, seed: 3 });
    for (const [size, k] of [[14, 2], [7, 4]] as Array<[MnistImageSize, number]>) {
      const img = bundledImages('mnist:40:15', { seed: 3, size });
      expect(img.x.shape).toEqual([40, size, size, 1]);
      expect(img.y).toEqual(flat.y);
      expect(img.yTest).toEqual(flat.yTest);
      // a direct loop over the 28×28 pixels of the split
      const raw = bundledImages('mnist:40:15', { seed: 3, size, standardize: 'none' });
      for (const i of [0, 17, 39]) {
        for (let r = 0; r < size; r++) {
          for (let q = 0; q < size; q++) {
            let s = 0;
            for (let dr = 0; dr < k; dr++) for (let dq = 0; dq < k; dq++) s += train.x.data[i * 784 + (r * k + dr) * 28 + q * k + dq];
            expect(raw.x.data[(i * size + r) * size + q]).toBe(s / (k * k));
          }
        }
      }
      const want = standardize(flattenImages(downsampleImages(matToImages(train.x, 28, 28), k)), null, 'unit-norm').train;
      expect(flattenImages(img.x).data).toEqual(want.data);
      for (let i = 0; i < 40; i++) {
        let q = 0;
        for (let j = 0; j < size * size; j++) q += img.x.data[i * size * size + j] ** 2;
        expect(q).toBeCloseTo(size * size, 9);
      }
      expect(img.description).toContain(`${size}×${size}×1 images (means of ${k}×${k} blocks)`);
    }
  });

  it("'channels' standardization and bad options", () => {
    const c = bundledImages('mnist:40:15', { seed: 3, size: 7, standardize: 'channels' });
    let m = 0;
    for (let k = 0; k < c.x.data.length; k++) m += c.x.data[k];
    expect(Math.abs(m / c.x.data.length)).toBeLessThan(1e-12);
    expect(() => bundledImages('mnist:40:15', { size: 21 as MnistImageSize })).toThrow(/size must be 28, 14 or 7, got 21/);
    expect(() => bundledImages('mnist:40')).toThrow(/mnist:N_TRAIN:N_TEST/);
  });
});
