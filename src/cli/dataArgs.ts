import type { Command } from 'commander';
import { bundledDataset, bundledImageDataset, fileDataset, type Dataset, type InputStandardization, type MnistImageSize, type TargetEncoding } from '../experiments/dataset.js';
import { SpecError } from '../layers/specError.js';
import type { LayerContext, NetworkSpec } from '../layers/types.js';
import { InputError, quote } from '../util/errors.js';
import { parseInteger } from './parse.js';

/** The data flags shared by `ntk scan`, `ntk train`, `ntk sweep`, `ntk predict-lambda` and `ntk autol2`. */
export interface DataCliOptions {
  data?: string;
  imageSize?: string;
  x?: string;
  y?: string;
  xTest?: string;
  yTest?: string;
  standardize?: string;
  targets: string;
  seed: string;
}

/** The rule by which inputs get their shape, for --help (shared by every command that reads data). */
export const INPUT_SHAPE_HELP = `Inputs and their shape:
  --x/--x-test (and kernel's --x1/--x2) .npy files: rank 2 = N×d vectors (also .csv/.json), rank 3 = N×L×C
  sequences (1-D conv), rank 4 = N×H×W×C images, channels last (2-D conv); float32, float64 or uint8 (uint8 stays
  0..255: use --standardize). One-channel images must be saved as N×H×W×1 (rank 3 is a sequence).
  --data mnist:N:M gives 784-vectors, unless the architecture's first layer needs spatial input (conv, or a block
  starting with one): then 28×28×1 images. --image-size 28|14|7 always gives images (14, 7: means of 2×2, 4×4
  blocks), for the cheaper pooled kernels. The network must fit the data: dense on images needs flatten or
  globalAvgPool first, conv needs images (or sequences), else one line on stderr and exit 2.`;

export function addDataOptions(cmd: Command, defaultData?: string): Command {
  // No commander default for --data: a default would be indistinguishable from a --data the user gave beside
  // --x/--y files. It is filled in just before the action, only when no data flag was given at all.
  if (defaultData) {
    cmd.hook('preAction', (c) => {
      const o = c.opts<DataCliOptions>();
      if (o.data === undefined && !anyDataFile(o)) c.setOptionValue('data', defaultData);
    });
  }
  return cmd
    .option('--data <name>', `bundled data: mnist:N_TRAIN:N_TEST (e.g. mnist:2048:1000)${defaultData ? ` (default: "${defaultData}")` : ''}`)
    .option('--image-size <s>', 'with --data: the digits as s×s×1 images, s = 28, 14 or 7 (default: images only when the first layer needs them)')
    .option('--x <file>', 'training inputs (instead of --data): .npy N×d, N×L×C or N×H×W×C (or .csv/.json N×d)')
    .option('--y <file>', 'training targets, n×k, or n integer labels')
    .option('--x-test <file>', 'test inputs, the same shape per example as --x')
    .option('--y-test <file>', 'test targets or labels')
    .option('--standardize <how>', 'inputs: unit-norm (|x|² = number of values; default for --data), features (z-score per value; vectors only), channels (per channel; images/sequences only), none (default for files)')
    .option('--targets <enc>', 'centred (one-hot − 1/k) or onehot, for labels', 'centred')
    .option('--seed <n>', 'seed of the train/test split of bundled data', '0');
}

/**
 * Reads the data the flags name: bundled digits or the user's files. Files keep the rank they were saved with.
 * The bundled digits are images when --image-size is given, or when `spec`'s first layer refuses flat vectors
 * (see `needsSpatialInput`); otherwise 784-vectors, exactly as before images existed.
 */
export function loadDataset(o: DataCliOptions, spec?: NetworkSpec): Dataset {
  if (o.targets !== 'centred' && o.targets !== 'onehot') throw new InputError(`--targets must be centred or onehot, got "${o.targets}"`);
  if (o.standardize !== undefined && !['none', 'features', 'unit-norm', 'channels'].includes(o.standardize)) {
    throw new InputError(`--standardize must be unit-norm, features, channels or none, got ${quote(o.standardize)}`);
  }
  const opts = { standardize: o.standardize as InputStandardization | undefined, targets: o.targets as TargetEncoding, seed: parseInteger(o.seed, '--seed', 0) };
  const files = anyDataFile(o);
  if (files && o.data !== undefined) throw new InputError('give either --data or --x/--y/--x-test/--y-test, not both');
  const size = o.imageSize === undefined ? undefined : parseImageSize(o.imageSize);
  if (files) {
    if (size !== undefined) throw new InputError('--image-size is for the bundled digits (--data); files keep the shape they were saved with (N×H×W×C .npy for images)');
    if (o.x === undefined || o.y === undefined || o.xTest === undefined || o.yTest === undefined) throw new InputError('give all of --x, --y, --x-test, --y-test (or --data mnist:N:M)');
    return fileDataset({ x: o.x, y: o.y, xTest: o.xTest, yTest: o.yTest }, opts);
  }
  if (!o.data) throw new InputError('give --data mnist:N:M, or all of --x, --y, --x-test, --y-test');
  if (size !== undefined || (spec !== undefined && needsSpatialInput(spec))) return bundledImageDataset(o.data, { ...opts, size: size ?? 28 });
  return bundledDataset(o.data, opts);
}

/** `--image-size`: 28, 14 or 7. */
export function parseImageSize(text: string): MnistImageSize {
  const s = Number(text);
  if (s !== 28 && s !== 14 && s !== 7) throw new InputError(`--image-size must be 28, 14 or 7 (the digits are 28×28), got ${quote(text)}`);
  return s;
}

/**
 * Whether the network's first layer refuses flat vectors (conv, pooling, or a block that starts with one): it is
 * asked to bind itself at a flat place (its finite form, or its kernel for a kernel-only layer), which such a
 * layer refuses with a SpecError, and at a 28×28×1 place, which it must accept. No layer type is named here.
 */
export function needsSpatialInput(spec: NetworkSpec): boolean {
  const first = spec.layers[0];
  if (!first) return false;
  const binds = (ctx: LayerContext): boolean => {
    try {
      if (typeof first.finite === 'function') first.finite(ctx);
      else first.kernel(ctx);
      return true;
    } catch (e) {
      if (e instanceof SpecError) return false;
      throw e;
    }
  };
  const flat: LayerContext = { parameterization: spec.parameterization, fanIn: 784, inputGaussian: false };
  // a layer that refuses both (a bad spec) keeps the flat data: its error then comes from the run itself
  return !binds(flat) && binds({ ...flat, fanIn: 1, spatial: [28, 28] });
}

/** Whether any of --x, --y, --x-test, --y-test was given (an empty value counts: it is refused as a path later). */
function anyDataFile(o: DataCliOptions): boolean {
  return o.x !== undefined || o.y !== undefined || o.xTest !== undefined || o.yTest !== undefined;
}
