import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileDataset } from '../../src/experiments/dataset.js';
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
