import { describe, expect, it } from 'vitest';
import { MAX_CLASSES, classCount, labelTargets, looksLikeLabels, readLabels } from '../../src/data/labels.js';
import type { Mat } from '../../src/linalg/matrix.js';

const col = (...v: number[]): Mat => ({ rows: v.length, cols: 1, data: Float64Array.from(v) });

describe('labels', () => {
  it('a column of integers ≥ 0 (not all 0) is labels; fractions, negatives or several columns are not', () => {
    expect(looksLikeLabels(col(0, 1, 2))).toBe(true);
    expect(looksLikeLabels(col(0, 0))).toBe(false);
    expect(looksLikeLabels(col(-1, 1))).toBe(false);
    expect(looksLikeLabels(col(0, 1.5))).toBe(false);
    expect(looksLikeLabels({ rows: 1, cols: 2, data: Float64Array.from([0, 1]) })).toBe(false);
  });

  it('readLabels names the row and value of a label that is too large, negative or fractional', () => {
    expect(Array.from(readLabels(col(0, 3, 1), 'Y'))).toEqual([0, 3, 1]);
    expect(() => readLabels(col(0, 2 ** 31), 'Y')).toThrow(`Y row 1 is 2147483648: over the limit of ${MAX_CLASSES} classes (labels 0..9999); labels must be integers 0..k−1`);
    expect(() => readLabels(col(1e9), 'Y')).toThrow(/^Y row 0 is 1000000000: over the limit/);
    expect(() => readLabels(col(0, 1, -1), 'Y')).toThrow(/^Y row 2 is -1: negative/);
    expect(() => readLabels(col(2.5), 'Y')).toThrow(/^Y row 0 is 2\.5: not an integer/);
    expect(classCount(Int32Array.from([0, 4]), Int32Array.from([7]))).toBe(8);
  });
});

describe('labelTargets (ntk flow --y)', () => {
  it('one-hot over k = max label + 1 of both sets, centred or not; values and non-label columns pass through', () => {
    const c = labelTargets(col(0, 1, 1), col(2, 0), 'centred');
    expect(c.y.cols).toBe(3);
    const on = 1 - 1 / 3; // one-hot − 1/k, computed as centredOneHot does
    const off = -1 / 3;
    expect(Array.from(c.y.data)).toEqual([on, off, off, off, on, off, off, on, off]);
    expect(Array.from(c.yTest!.data)).toEqual([off, off, on, on, off, off]);
    expect(c.description).toBe('labels 0..2 as centred one-hot targets (3 outputs)');
    expect(Array.from(labelTargets(col(0, 1), null, 'onehot').y.data)).toEqual([1, 0, 0, 1]);
    const v = labelTargets(col(0, 1, 1), null, 'values');
    expect(v.y.cols).toBe(1);
    expect(labelTargets(col(0.5, -1), null, 'centred').description).toBe('targets as given (1 output)');
    expect(() => labelTargets(col(0, 1), col(0.5, 1), 'centred')).toThrow(/^Y test \(--y-test\) \(Y holds integer labels; pass --targets values .*\) row 0 is 0\.5: not an integer/);
  });
});
