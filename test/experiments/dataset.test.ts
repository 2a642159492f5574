import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { downsampleImages, flattenImages, matToImages } from '../../src/data/images.js';
import { mnistSplit } from '../../src/data/mnist.js';
import { standardize } from '../../src/data/preprocess.js';
import { bundledDataset, bundledImageDataset, bundledImages, datasetInputs, fileDataset, type MnistImageSize } from '../../src/experiments/dataset.js';
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

describe('image and sequence files (fileDataset) and bundledImageDataset', () => {
  // 3 training and 2 test images of 2×2×2, values chosen by hand
  const img = Array.from({ length: 3 * 8 }, (_, i) => ((i * 7) % 11) - 5);
  const imgT = Array.from({ length: 2 * 8 }, (_, i) => ((i * 5) % 9) - 4);
  const xi = save('xi.npy', [3, 2, 2, 2], img);
  const xti = save('xti.npy', [2, 2, 2, 2], imgT);
  const yi = save('yi.npy', [3], [0, 1, 1]);
  const yti = save('yti.npy', [2], [1, 0]);

  it('rank-4 files: rows are the images flattened in C order, inputShape [2, 2] × 2, datasetInputs sees them as images', () => {
    const d = fileDataset({ x: xi, y: yi, xTest: xti, yTest: yti });
    expect(d.inputShape).toEqual({ spatial: [2, 2], width: 2 });
    expect([d.x.rows, d.x.cols, d.xTest.rows]).toEqual([3, 8, 2]);
    expect(Array.from(d.x.data)).toEqual(img);
    expect(d.description).toContain('2×2×2 per example, none');
    const v = datasetInputs(d);
    expect((v.x as { shape: number[] }).shape).toEqual([3, 2, 2, 2]);
    expect((v.xTest as { shape: number[] }).shape).toEqual([2, 2, 2, 2]);
    // vectors: no inputShape, datasetInputs gives the matrices themselves
    const flat = fileDataset({ x, y: save('l5.npy', [4], [0, 1, 1, 0]), xTest: xt, yTest: save('lt5.npy', [2], [1, 0]) });
    expect(flat.inputShape).toBeUndefined();
    expect(datasetInputs(flat).x).toBe(flat.x);
  });

  it("unit-norm on images gives |x|² = H·W·C per image; 'channels' gives per-channel mean 0 and variance 1 over the training pixels", () => {
    const u = fileDataset({ x: xi, y: yi, xTest: xti, yTest: yti }, { standardize: 'unit-norm' });
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 8; j++) s += u.x.data[i * 8 + j] ** 2;
      expect(Math.abs(s - 8)).toBeLessThan(1e-12);
    }
    const c = fileDataset({ x: xi, y: yi, xTest: xti, yTest: yti }, { standardize: 'channels' });
    for (let ch = 0; ch < 2; ch++) {
      let m = 0;
      let v = 0;
      for (let k = ch; k < 24; k += 2) m += c.x.data[k];
      for (let k = ch; k < 24; k += 2) v += c.x.data[k] ** 2;
      expect(Math.abs(m / 12)).toBeLessThan(1e-12);
      expect(Math.abs(v / 12 - 1)).toBeLessThan(1e-12);
      // the test images use the training statistics: recompute them directly from the raw values
      let mean = 0;
      for (let k = ch; k < 24; k += 2) mean += img[k];
      mean /= 12;
      let sd = 0;
      for (let k = ch; k < 24; k += 2) sd += (img[k] - mean) ** 2;
      sd = Math.sqrt(sd / 12);
      expect(Math.abs(c.xTest.data[ch] - (imgT[ch] - mean) / sd)).toBeLessThan(1e-12);
    }
  });

  it('refuses mixed shapes, features on images, channels on vectors; sequences (rank 3) are kept as N×L×C', () => {
    expect(() => fileDataset({ x: xi, y: yi, xTest: xt, yTest: yti })).toThrow(/X and X test differ in shape per example: shape 3×2×2×2 vs 2×2 \(vectors\)/);
    expect(() => fileDataset({ x: xi, y: yi, xTest: save('xt3.npy', [2, 2, 4, 1], imgT), yTest: yti })).toThrow(/differ in shape per example/);
    expect(() => fileDataset({ x: xi, y: yi, xTest: xti, yTest: yti }, { standardize: 'features' })).toThrow(/'features' \(per pixel\)|features \(per pixel\)/);
    expect(() => fileDataset({ x, y: save('l6.npy', [4], [0, 1, 1, 0]), xTest: xt, yTest: save('lt6.npy', [2], [1, 0]) }, { standardize: 'channels' })).toThrow(/channels is for images and sequences/);
    const s = fileDataset({ x: save('s.npy', [3, 4, 2], img), y: yi, xTest: save('st.npy', [2, 4, 2], imgT), yTest: yti });
    expect(s.inputShape).toEqual({ spatial: [4], width: 2 });
  });

  it('bundledImageDataset: the rows of bundledImages (any size) with inputShape size×size×1; at 28 the flat rows bit for bit', () => {
    const a = bundledImageDataset('mnist:20:10', { seed: 2, size: 14 });
    const b = bundledImages('mnist:20:10', { seed: 2, size: 14 });
    expect(a.inputShape).toEqual({ spatial: [14, 14], width: 1 });
    expect([a.x.rows, a.x.cols]).toEqual([20, 196]);
    expect(a.x.data).toEqual(b.x.data);
    expect(a.yTest.data).toEqual(b.yTest.data);
    const c = bundledImageDataset('mnist:20:10', { seed: 2 });
    const f = bundledDataset('mnist:20:10', { seed: 2 });
    expect(c.x.data).toEqual(f.x.data);
    expect(c.xTest.data).toEqual(f.xTest.data);
    expect(() => bundledImageDataset('mnist:20:10', { standardize: 'features' })).toThrow(/not offered for images/);
    expect(() => bundledDataset('mnist:20:10', { standardize: 'channels' })).toThrow(/'channels' is for images/);
  });
});
