/**
 * Images for convolutional networks: N×H×W×C float64 arrays, channels last as in neural-tangents (and JAX/TF),
 * in C order, so pixel (n, h, w, c) is data[((n·H + h)·W + w)·C + c]. Flattening an image batch is then free
 * (the same data seen as an N×(H·W·C) matrix), and for one channel it is exactly MNIST's row-major 784 pixels.
 */
import { extname } from 'node:path';
import { checkMemory, defaultMemoryLimit } from '../kernels/memory.js';
import type { Mat } from '../linalg/matrix.js';
import { readNpy, pyShape, type NdArray, type NdArray64, type NpyHeader } from '../io/npy.js';
import { InputError } from '../util/errors.js';
import { standardize } from './preprocess.js';

/** A batch of images: an NdArray64 of shape [N, H, W, C] (see the module comment for the layout). */
export type Images = NdArray64;

/** Options of `readImages`: a name for error messages and a memory ceiling. */
export interface ReadImagesOptions {
  /** Names the array in error messages, e.g. "X (--x)". */
  name?: string;
  /** Ceiling for the float64 result in bytes (default: defaultMemoryLimit()); checked before reading. */
  maxMemoryBytes?: number;
}

/**
 * Reads N×H×W×C images from a .npy file, as float64 in C order. Rank 4 is N×H×W×C; rank 3 is N×H×W and becomes
 * C = 1. Any stored dtype the .npy reader knows (uint8 0..255 stays 0..255: scale it with standardizeImages or
 * in numpy), C or Fortran order. A wrong rank, too many bytes, no images or empty images, and NaN/Inf (with the
 * pixel named) are one-line InputErrors; rank and size are checked from the header, before anything is read.
 * @param path - a .npy file of rank 4 (N×H×W×C) or 3 (N×H×W, one channel)
 * @param opts - name for error messages, memory ceiling
 * @returns the images, float64, C order
 */
export function readImages(path: string, opts: ReadImagesOptions = {}): Images {
  const label = opts.name ? `${opts.name} (${path})` : path;
  const ext = extname(path).toLowerCase();
  if (ext !== '.npy') {
    throw new InputError(`${label}: images must be a .npy file (N×H×W×C, e.g. np.save(f, x.astype(np.float32))), got "${ext || '(no extension)'}"`);
  }
  const limit = opts.maxMemoryBytes ?? defaultMemoryLimit();
  const check = (h: NpyHeader): void => {
    checkImageShape(h.shape, label);
    // the result is float64 whatever the file holds; a float32 file is read as float32 first and then widened,
    // and a Fortran-order file is transposed into a second array
    const peak = 8 * h.count + (h.dtype === 'float32' ? 4 * h.count : 0) + (h.fortranOrder ? h.resultBytes : 0);
    checkMemory(peak, limit, `${label}: images of shape ${pyShape(h.shape)} (float64)`);
  };
  return asImages(readNpy(path, { name: opts.name, check }), label);
}

/**
 * An NdArray (rank 3 → C = 1, or rank 4) as Images: float64 (float32 is widened; float64 data is shared, not
 * copied), with the same checks as readImages. `label` prefixes error messages.
 * @param a - an array of rank 3 (N×H×W) or 4 (N×H×W×C)
 * @param label - prefix of error messages
 * @returns the images, float64
 * @throws InputError for another rank or an empty dimension
 */
export function asImages(a: NdArray, label: string): Images {
  checkImageShape(a.shape, label);
  const [n, h, w] = a.shape;
  const c = a.shape.length === 4 ? a.shape[3] : 1;
  const data = a.data instanceof Float64Array ? a.data : Float64Array.from(a.data);
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (v - v !== 0) {
      // NaN − NaN and ±Inf − ±Inf are NaN; name the pixel so it can be found in numpy
      const ch = k % c;
      const col = Math.floor(k / c) % w;
      const row = Math.floor(k / (c * w)) % h;
      const img = Math.floor(k / (c * w * h));
      throw new InputError(`${label}: image ${img} has ${Number.isNaN(v) ? 'NaN' : v} at row ${row}, column ${col}, channel ${ch} (x[${img}, ${row}, ${col}, ${ch}])`);
    }
  }
  return { shape: [n, h, w, c], data, dtype: 'float64' };
}

/** Rank 3 or 4 and no zero dimension, else a one-line InputError naming the shape. */
function checkImageShape(shape: readonly number[], label: string): void {
  if (shape.length !== 3 && shape.length !== 4) {
    throw new InputError(
      `${label}: expected images N×H×W×C (or N×H×W for one channel), got a ${shape.length}-D array of shape ${pyShape(shape)}` +
        (shape.length === 2 ? '; reshape flat rows in numpy, e.g. x.reshape(-1, 28, 28, 1)' : ''),
    );
  }
  if (shape[0] === 0) throw new InputError(`${label}: no images (shape ${pyShape(shape)})`);
  if (shape.some((d) => d === 0)) throw new InputError(`${label}: empty images (shape ${pyShape(shape)}): height, width and channels must be at least 1`);
}

/**
 * The same data seen as an N×(H·W·C) matrix, row i = image i flattened in (h, w, c) order. Shares `x.data`.
 * @param x - N×H×W×C images
 * @returns the N×(H·W·C) matrix (no copy)
 */
export function flattenImages(x: Images): Mat {
  const [n, h, w, c] = x.shape;
  return { rows: n, cols: h * w * c, data: x.data };
}

/**
 * N×(H·W·C) rows (e.g. MNIST's N×784) seen as N×H×W×C images. Shares `m.data`; H·W·C must equal m.cols.
 * @param m - N×(H·W·C) rows
 * @param h - height H
 * @param w - width W
 * @param c - channels C (default 1)
 * @returns the N×H×W×C images (no copy)
 * @throws InputError when H·W·C ≠ m.cols
 */
export function matToImages(m: Mat, h: number, w: number, c = 1): Images {
  if (h * w * c !== m.cols) throw new InputError(`cannot see ${m.cols} features as ${h}×${w}×${c} images`);
  return { shape: [m.rows, h, w, c], data: m.data, dtype: 'float64' };
}

/**
 * Downsamples by `factor` in height and width: each output pixel is the mean of a factor×factor block, per channel
 * (28×28 → 14×14 with 2, → 7×7 with 4). H and W must be multiples of factor. The block is summed row by row and
 * divided once, so a direct loop in that order reproduces the numbers exactly.
 * @param x - N×H×W×C images
 * @param factor - block size (a positive integer dividing H and W)
 * @returns N×(H/factor)×(W/factor)×C images of block means
 */
export function downsampleImages(x: Images, factor: number): Images {
  const [n, h, w, c] = x.shape;
  if (!Number.isInteger(factor) || factor < 1) throw new InputError(`downsampling factor must be a positive integer, got ${factor}`);
  if (h % factor !== 0 || w % factor !== 0) throw new InputError(`cannot downsample ${h}×${w} images by ${factor}: height and width must be multiples of it`);
  if (factor === 1) return x;
  const ho = h / factor;
  const wo = w / factor;
  const out = new Float64Array(n * ho * wo * c);
  const area = factor * factor;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < ho; r++) {
      for (let q = 0; q < wo; q++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let dr = 0; dr < factor; dr++) {
            for (let dq = 0; dq < factor; dq++) s += x.data[((i * h + r * factor + dr) * w + q * factor + dq) * c + ch];
          }
          out[((i * ho + r) * wo + q) * c + ch] = s / area;
        }
      }
    }
  }
  return { shape: [n, ho, wo, c], data: out, dtype: 'float64' };
}

/**
 * How images are standardized (fitted on the training images, applied to both sets):
 * - 'unit-norm' (the default, as for flat data): each image scaled to |x|² = H·W·C, so the input covariance
 *   x·x'/(H·W·C) is 1 on the diagonal, which the NTK/NNGP of conv nets assume; the numbers are exactly those of
 *   the flat 'unit-norm' on the flattened images;
 * - 'channels': each channel to zero mean and unit variance over all pixels of all training images (the usual
 *   per-channel image normalization; it keeps the spatial structure, which per-pixel scaling would not);
 * - 'none': unchanged.
 * The flat 'features' (per pixel) is not offered: it blows up near-constant border pixels and gives each position
 * its own scale, which a convolution (the same filter everywhere) should not see.
 */
export type ImageStandardization = 'none' | 'unit-norm' | 'channels';

/**
 * Standardizes `train` and `test` (which must have the same H×W×C) as `how` says; returns new arrays (or the inputs for 'none').
 * @param train - training images
 * @param test - test images of the same H×W×C (or null)
 * @param how - 'none', 'unit-norm' (|x|² = H·W·C per image) or 'channels'
 * @returns the standardized images
 */
export function standardizeImages(train: Images, test: Images | null, how: ImageStandardization): { train: Images; test: Images | null } {
  if (test && test.shape.slice(1).join('×') !== train.shape.slice(1).join('×')) {
    throw new InputError(`train and test images differ in size: ${train.shape.slice(1).join('×')} vs ${test.shape.slice(1).join('×')}`);
  }
  if (how === 'none') return { train, test };
  if (how === 'unit-norm') {
    // through the flat code, so images and flattened rows get bit-identical numbers
    const s = standardize(flattenImages(train), test && flattenImages(test), 'unit-norm');
    return { train: { ...train, shape: train.shape.slice(), data: s.train.data }, test: test && { ...test, shape: test.shape.slice(), data: s.test!.data } };
  }
  if (how !== 'channels') throw new InputError(`image standardization must be none, unit-norm or channels, got "${String(how)}"`);
  const c = train.shape[3];
  const mean = new Float64Array(c);
  const sd = new Float64Array(c);
  const pixels = train.data.length / c;
  for (let k = 0; k < train.data.length; k++) mean[k % c] += train.data[k];
  for (let ch = 0; ch < c; ch++) mean[ch] /= pixels;
  for (let k = 0; k < train.data.length; k++) sd[k % c] += (train.data[k] - mean[k % c]) ** 2;
  for (let ch = 0; ch < c; ch++) sd[ch] = Math.sqrt(sd[ch] / pixels);
  const apply = (x: Images): Images => {
    const out = new Float64Array(x.data.length);
    for (let k = 0; k < out.length; k++) {
      const ch = k % c;
      out[k] = sd[ch] > 1e-12 ? (x.data[k] - mean[ch]) / sd[ch] : 0; // a constant channel carries nothing
    }
    return { shape: x.shape.slice(), data: out, dtype: 'float64' };
  };
  return { train: apply(train), test: test && apply(test) };
}
