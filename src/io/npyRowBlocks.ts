/**
 * A 2-D .npy file read in blocks of rows (a {@link RowBlockSource}), so that a kernel larger than memory (written by
 * `ntk kernel` out of core, src/kernels/outOfCoreKernel.ts, or by numpy) can be streamed by the Krylov products:
 * one positioned read (fs.readSync) per block into a buffer of maxBlockRows rows, allocated once. float64 files are
 * read straight into the float64 buffer; float32 files into a float32 staging buffer and widened. C order only (a
 * Fortran-order file has no contiguous rows: transpose it in numpy, np.ascontiguousarray).
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import type { Mat } from '../linalg/matrix.js';
import { checkRowRequest, type RowBlockSource } from '../linalg/rowBlocks.js';
import { InputError, quote } from '../util/errors.js';
import { ioError } from './atomic.js';
import { pyShape, readBytesAt, readNpyLayout } from './npy.js';

/** Options of {@link openNpyRowBlocks}. */
export interface NpyRowBlockOptions {
  /** Largest block in rows (default: as many rows as fit in `maxBufferBytes`, at least one). */
  maxBlockRows?: number;
  /** Bytes the read buffers may take (default 64 MiB): float64 rows, plus a float32 staging copy for float32 files. */
  maxBufferBytes?: number;
  /** Names the matrix in error messages, e.g. "the kernel". */
  name?: string;
}

/** A {@link RowBlockSource} over a .npy file, which also says what the file stores. */
export interface NpyRowBlockSource extends RowBlockSource {
  /** The stored dtype (blocks are float64 either way). */
  readonly dtype: 'float64' | 'float32';
  /** The file's path. */
  readonly path: string;
}

/** Default read buffer: 64 MiB. */
const DEFAULT_BUFFER_BYTES = 64 * 2 ** 20;

/**
 * Opens a C-order 2-D float64 or float32 .npy file for reading in blocks of rows (see the module comment). A file
 * that is not such a matrix (other rank or dtype, Fortran order, truncated, missing) is a one-line InputError. The
 * blocks returned by readRows are views of one buffer that the next call overwrites.
 */
export function openNpyRowBlocks(path: string, opts: NpyRowBlockOptions = {}): NpyRowBlockSource {
  const label = opts.name ? `${opts.name} (${path})` : path;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(e, 'read', path);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputError(`cannot read ${quote(path)}: it is a directory`);
    const layout = readNpyLayout(fd, st.size, label);
    if (layout.shape.length !== 2) throw new InputError(`${label}: expected a 2-D matrix, got shape ${pyShape(layout.shape)}`);
    const [rows, cols] = layout.shape;
    if (rows === 0 || cols === 0) throw new InputError(`${label}: the matrix is empty (shape ${pyShape(layout.shape)})`);
    if (layout.fortranOrder && rows > 1 && cols > 1) {
      throw new InputError(`${label}: stored in Fortran order, which has no contiguous rows; save np.ascontiguousarray(K) instead`);
    }
    const budget = opts.maxBufferBytes ?? DEFAULT_BUFFER_BYTES;
    if (!(budget > 0)) throw new RangeError(`maxBufferBytes must be positive, got ${budget}`);
    const perRow = cols * (8 + (layout.dtype === 'float32' ? 4 : 0));
    const maxBlockRows = Math.max(1, Math.min(rows, opts.maxBlockRows ?? Math.floor(budget / perRow)));
    if (!Number.isInteger(maxBlockRows)) throw new RangeError(`maxBlockRows must be an integer, got ${opts.maxBlockRows}`);
    const out = new Float64Array(maxBlockRows * cols);
    const stage = layout.dtype === 'float32' ? new Float32Array(maxBlockRows * cols) : null;
    const rowBytes = cols * layout.itemSize;
    let open = true;
    const src: NpyRowBlockSource = {
      rows,
      cols,
      maxBlockRows,
      dtype: layout.dtype,
      path,
      readRows(start: number, count: number): Mat {
        if (!open) throw new Error(`row source ${quote(path)} is closed`);
        checkRowRequest(src, start, count);
        const n = count * cols;
        const target = stage ? stage.subarray(0, n) : out.subarray(0, n);
        try {
          readBytesAt(fd, new Uint8Array(target.buffer, target.byteOffset, n * layout.itemSize), layout.dataOffset + start * rowBytes, label);
        } catch (e) {
          throw ioError(e, 'read', path);
        }
        if (stage) for (let i = 0; i < n; i++) out[i] = stage[i];
        return { rows: count, cols, data: out.subarray(0, n) };
      },
      close(): void {
        if (!open) return;
        open = false;
        closeSync(fd);
      },
    };
    return src;
  } catch (e) {
    closeSync(fd);
    throw ioError(e, 'read', path);
  }
}
