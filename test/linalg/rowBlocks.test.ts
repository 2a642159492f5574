import { describe, expect, it } from 'vitest';
import { fromRows } from '../../src/linalg/matrix.js';
import { inMemoryRowBlocks } from '../../src/linalg/rowBlocks.js';

describe('inMemoryRowBlocks', () => {
  const m = fromRows([[1, 2], [3, 4], [5, 6]]);
  it('hands out consecutive rows as views', () => {
    const src = inMemoryRowBlocks(m, 2);
    const b = src.readRows(1, 2);
    expect([b.rows, b.cols]).toEqual([2, 2]);
    expect(Array.from(b.data)).toEqual([3, 4, 5, 6]);
  });
  it('refuses requests outside the matrix or over the block size, and reads after close', () => {
    const src = inMemoryRowBlocks(m, 2);
    expect(() => src.readRows(2, 2)).toThrow(/rows \[2, 4\)/);
    expect(() => src.readRows(0, 3)).toThrow(RangeError);
    expect(() => src.readRows(-1, 1)).toThrow(RangeError);
    src.close();
    expect(() => src.readRows(0, 1)).toThrow(/closed/);
  });
});
