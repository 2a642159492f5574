import type { Mat } from './matrix.js';

/**
 * A rows×cols float64 matrix read in blocks of consecutive rows, so that a matrix larger than memory (a kernel on
 * disk) and one in memory serve the same streaming algorithms (Krylov products, out-of-core scans).
 * Implementations: {@link inMemoryRowBlocks} here; an on-disk .npy reader in src/io.
 */
export interface RowBlockSource {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** Largest block (in rows) the source hands out at once; callers never ask for more. */
  readonly maxBlockRows: number;
  /**
   * Rows [start, start + count) as a count×cols row-major float64 matrix. The returned data may be a view that the
   * next call overwrites: copy it to keep it. Throws a RangeError outside 0 ≤ start, count ≥ 1,
   * start + count ≤ rows, count ≤ maxBlockRows.
   */
  readRows(start: number, count: number): Mat;
  /** Releases what the source holds (open files); further reads throw. Idempotent. */
  close(): void;
}

/** Checks a readRows request against a source's bounds; throws a RangeError naming the request. */
export function checkRowRequest(src: Pick<RowBlockSource, 'rows' | 'maxBlockRows'>, start: number, count: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > src.rows || count > src.maxBlockRows) {
    throw new RangeError(`rows [${start}, ${start + count}) requested from a ${src.rows}-row source (blocks of at most ${src.maxBlockRows} rows)`);
  }
}

/** A {@link RowBlockSource} over a matrix already in memory (blocks are views, not copies). */
export function inMemoryRowBlocks(m: Mat, maxBlockRows = Math.max(1, m.rows)): RowBlockSource {
  let closed = false;
  return {
    rows: m.rows,
    cols: m.cols,
    maxBlockRows: Math.max(1, Math.min(maxBlockRows, Math.max(1, m.rows))),
    readRows(start: number, count: number): Mat {
      if (closed) throw new Error('row source is closed');
      checkRowRequest(this, start, count);
      return { rows: count, cols: m.cols, data: m.data.subarray(start * m.cols, (start + count) * m.cols) };
    },
    close(): void {
      closed = true;
    },
  };
}
