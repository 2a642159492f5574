import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LAMBDAS, MAX_TIMES, parseLambdas, parseTimes } from '../../src/cli/parse.js';
import { writeNpy } from '../../src/io/npy.js';
import { InputError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-parse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const npy = (name: string, shape: number[], values: number[]) => {
  writeNpy(join(dir, name), { shape, data: Float64Array.from(values) });
  return join(dir, name);
};

describe('parseTimes', () => {
  it('accepts a 1-D array, a single row or a single column', () => {
    expect(Array.from(parseTimes(npy('t1.npy', [3], [0, 1, 2])))).toEqual([0, 1, 2]);
    expect(Array.from(parseTimes(npy('row.npy', [1, 3], [0, 1, 2])))).toEqual([0, 1, 2]);
    expect(Array.from(parseTimes(npy('col.npy', [3, 1], [0, 1, 2])))).toEqual([0, 1, 2]);
    writeFileSync(join(dir, 'row.csv'), '0.5,1,4\n');
    expect(Array.from(parseTimes(join(dir, 'row.csv')))).toEqual([0.5, 1, 4]);
  });

  it('refuses a matrix with its shape instead of flattening it', () => {
    expect(() => parseTimes(npy('sq.npy', [2, 2], [0, 1, 2, 3]))).toThrow(/has shape \(2, 2\); give a 1-D array or a single row or column/);
    expect(() => parseTimes(npy('cube.npy', [2, 1, 2], [0, 1, 2, 3]))).toThrow(/has shape \(2, 1, 2\)/);
    writeFileSync(join(dir, 'sq.json'), '[[0, 1], [2, 3]]');
    expect(() => parseTimes(join(dir, 'sq.json'))).toThrow(/has shape \(2, 2\)/);
  });

  it('checks times are finite, ≥ 0 and increasing up front', () => {
    expect(() => parseTimes(npy('dec.npy', [3], [0, 2, 1]))).toThrow(/strictly increasing/);
    expect(() => parseTimes(npy('neg.npy', [2], [-1, 2]))).toThrow(/≥ 0/);
    expect(() => parseTimes(npy('inf.npy', [2], [1, Infinity]))).toThrow(/finite/);
  });

  it('refuses huge counts before allocating, with the limit', () => {
    expect(() => parseTimes('log:0.1:10:1e9')).toThrow(new InputError(`--times count is 1000000000, over the limit of ${MAX_TIMES}`));
    expect(() => parseTimes('lin:0:10:2000000')).toThrow(/over the limit of 1000000/);
    expect(parseTimes(`lin:0:1:${MAX_TIMES}`).length).toBe(MAX_TIMES);
  });
});

describe('parseLambdas', () => {
  it('refuses huge λ counts, log-spaced or listed, with the limit', () => {
    expect(() => parseLambdas('1e-3:1e-1:1e9')).toThrow(new InputError(`--lambdas count is 1000000000, over the limit of ${MAX_LAMBDAS}`));
    expect(() => parseLambdas(Array(MAX_LAMBDAS + 1).fill('0.1').join(','))).toThrow(/has 10001 values, over the limit of 10000/);
    expect(parseLambdas('1e-3:1e-1:3')).toHaveLength(3);
  });
});
