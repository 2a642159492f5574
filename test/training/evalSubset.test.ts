import { describe, expect, it } from 'vitest';
import { checkEvalTrainSubset, EVAL_SUBSET_SEED, evalSubsetIndices } from '../../src/training/evalSubset.js';
import { InputError } from '../../src/util/errors.js';

describe('evalSubsetIndices', () => {
  it('size distinct indices in 0..n−1, increasing; the same for the same seed, another set for another seed; all points when size ≥ n', () => {
    const a = evalSubsetIndices(1000, 100);
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThan(a[i - 1]);
    expect(a[0]).toBeGreaterThanOrEqual(0);
    expect(a[99]).toBeLessThan(1000);
    expect(Array.from(evalSubsetIndices(1000, 100))).toEqual(Array.from(a)); // fixed: every call (every evaluation, every run)
    expect(Array.from(evalSubsetIndices(1000, 100, EVAL_SUBSET_SEED))).toEqual(Array.from(a));
    expect(Array.from(evalSubsetIndices(1000, 100, 1))).not.toEqual(Array.from(a));
    expect(Array.from(evalSubsetIndices(5, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(evalSubsetIndices(5, 9))).toEqual([0, 1, 2, 3, 4]);
  });

  it('a uniform sample: over 2000 seeds each of 20 points is drawn with frequency size/n = 1/4 (Monte Carlo, 5 standard errors)', () => {
    const [n, size, seeds] = [20, 5, 2000];
    const counts = new Array<number>(n).fill(0);
    for (let s = 0; s < seeds; s++) for (const i of evalSubsetIndices(n, size, s)) counts[i]++;
    // each count ~ Binomial(2000, 1/4): mean 500, sd √(2000·¼·¾) ≈ 19.4; 5 sd over 20 counts fails by chance with p ≈ 1e-5
    const sd = Math.sqrt(seeds * 0.25 * 0.75);
    for (const c of counts) expect(Math.abs(c - seeds / 4)).toBeLessThan(5 * sd);
  });

  it('bad sizes are refused with one clear line; evalTrainSubset and evalTrainSize together are refused', () => {
    expect(() => checkEvalTrainSubset(0, undefined)).toThrow(InputError);
    expect(() => checkEvalTrainSubset(2.5, undefined)).toThrow('evalTrainSubset (--eval-train) must be a positive integer, got 2.5');
    expect(() => checkEvalTrainSubset(10, 20)).toThrow('evalTrainSubset and evalTrainSize both choose the evaluated training points: give one');
    expect(() => checkEvalTrainSubset(undefined, 20)).not.toThrow();
    expect(() => checkEvalTrainSubset(10, undefined)).not.toThrow();
    expect(() => evalSubsetIndices(10, 0)).toThrow(RangeError);
  });
});
