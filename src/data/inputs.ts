/**
 * Network inputs from a user's file, whatever their rank: the one reader behind every `--x`, `--x-test`, `--x1`
 * and `--x2` of the CLI. The rank of the stored array decides what the inputs are:
 *   rank 1 or 2  N×d vectors (a 1-D array is N×1), from .npy, .csv or .json, as before;
 *   rank 3       N×L×C sequences (1-D convolutions), .npy only;
 *   rank 4       N×H×W×C images, channels last (2-D convolutions), .npy only.
 * (So one-channel images must be saved as N×H×W×1: a rank-3 array is a batch of sequences.) Shaped inputs come
 * back as float64 arrays in C order (data/images.ts explains the layout); their flattened rows are the same
 * data seen as an N×(L·C) or N×(H·W·C) matrix (`flatInputs`).
 */
import { extname } from 'node:path';
import { checkMemory, defaultMemoryLimit } from '../kernels/memory.js';
import type { LayerShape } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import { ndToMat, pyShape, readMatrix, readNpy, type NpyHeader } from '../io/npy.js';
import { InputError } from '../util/errors.js';
import type { Images } from './images.js';

/** Inputs as read: an N×d matrix, or a shaped batch (N×L×C or N×H×W×C, float64, C order). */
export type NetworkInputs = Mat | Images;

export interface ReadInputsOptions {
  /** Names the array in error messages, e.g. "X (--x)". */
  name?: string;
  /** Ceiling for the float64 result of a shaped .npy in bytes (default: defaultMemoryLimit()); checked from the header. */
  maxMemoryBytes?: number;
}

/** Whether inputs are a shaped batch (sequences or images) rather than an N×d matrix. */
export function isShaped(x: NetworkInputs): x is Images {
  return 'shape' in x;
}

/**
 * Reads inputs of rank 1 to 4 (see the module comment). A rank of 5 or more, an empty extent, too many bytes
 * (checked from the header, before anything is read) and a NaN/Inf entry of a shaped array (named by its index)
 * are one-line InputErrors. NaN/Inf in a matrix are left to the caller's assertFinite, as readMatrix does.
 */
export function readInputs(path: string, opts: ReadInputsOptions = {}): NetworkInputs {
  if (extname(path).toLowerCase() !== '.npy') return readMatrix(path, { name: opts.name });
  const label = opts.name ? `${opts.name} (${path})` : path;
  const limit = opts.maxMemoryBytes ?? defaultMemoryLimit();
  const check = (h: NpyHeader): void => {
    if (h.shape.length > 4) {
      throw new InputError(
        `${label}: expected N×d vectors, N×L×C sequences or N×H×W×C images (rank 2, 3 or 4), got a ${h.shape.length}-D array of shape ${pyShape(h.shape)}`,
      );
    }
    if (h.shape.length >= 3) {
      checkShapedExtents(h.shape, label);
      // float64 result; a float32 file is read as float32 first and widened, a Fortran-order one transposed into a copy
      const peak = 8 * h.count + (h.dtype === 'float32' ? 4 * h.count : 0) + (h.fortranOrder ? h.resultBytes : 0);
      checkMemory(peak, limit, `${label}: inputs of shape ${pyShape(h.shape)} (float64)`);
    }
  };
  const a = readNpy(path, { name: opts.name, check });
  if (a.shape.length <= 2) return ndToMat(a, label);
  const data = a.data instanceof Float64Array ? a.data : Float64Array.from(a.data);
  checkFiniteEntries(data, a.shape, label);
  return { shape: a.shape.slice(), data, dtype: 'float64' };
}

/** No zero extent in a shaped array's header. */
function checkShapedExtents(shape: readonly number[], label: string): void {
  if (shape[0] === 0) throw new InputError(`${label}: no examples (shape ${pyShape(shape)})`);
  if (shape.some((d) => d === 0)) {
    const what = shape.length === 3 ? 'length and channels' : 'height, width and channels';
    throw new InputError(`${label}: empty inputs (shape ${pyShape(shape)}): ${what} must be at least 1`);
  }
}

/** Every entry finite, else a one-line InputError naming the first bad one by its numpy index. */
export function checkFiniteEntries(data: Float64Array, shape: readonly number[], label: string): void {
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (v - v !== 0) {
      // NaN − NaN and ±Inf − ±Inf are NaN
      const idx = new Array<number>(shape.length);
      let rest = k;
      for (let j = shape.length - 1; j >= 0; j--) {
        idx[j] = rest % shape[j];
        rest = Math.floor(rest / shape[j]);
      }
      throw new InputError(`${label}: example ${idx[0]} has ${Number.isNaN(v) ? 'NaN' : v} at x[${idx.join(', ')}]`);
    }
  }
}

/** The per-example shape of inputs: spatial extent and channels ([] and d for a matrix). */
export function inputShapeOf(x: NetworkInputs): LayerShape {
  if (!isShaped(x)) return { spatial: [], width: x.cols };
  return { spatial: x.shape.slice(1, -1), width: x.shape[x.shape.length - 1] };
}

/** Number of examples. */
export function exampleCount(x: NetworkInputs): number {
  return isShaped(x) ? x.shape[0] : x.rows;
}

/** The inputs as an N×(values per example) matrix: shaped batches flattened in C order (sharing the data). */
export function flatInputs(x: NetworkInputs): Mat {
  if (!isShaped(x)) return x;
  const n = x.shape[0];
  return { rows: n, cols: n === 0 ? 0 : x.data.length / n, data: x.data };
}

/** Flattened rows seen as a shaped batch of per-example shape `shape` (the inverse of flatInputs; shares the data). */
export function shapedInputs(m: Mat, shape: LayerShape): NetworkInputs {
  if (shape.spatial.length === 0) return m;
  const per = shape.width * shape.spatial.reduce((a, b) => a * b, 1);
  if (per !== m.cols) throw new InputError(`cannot see ${m.cols} values per example as ${[...shape.spatial, shape.width].join('×')}`);
  return { shape: [m.rows, ...shape.spatial, shape.width], data: m.data, dtype: 'float64' };
}

/** "28×28×1" for images, "784" for vectors. */
export function formatInputShape(shape: LayerShape): string {
  return [...shape.spatial, shape.width].join('×');
}
