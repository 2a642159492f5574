import type { Command } from 'commander';
import type { Standardization } from '../data/preprocess.js';
import { bundledDataset, fileDataset, type Dataset, type TargetEncoding } from '../experiments/dataset.js';
import { InputError, quote } from '../util/errors.js';
import { parseInteger } from './parse.js';

/** The data flags shared by `ntk scan`, `ntk train`, `ntk sweep`, `ntk predict-lambda` and `ntk autol2`. */
export interface DataCliOptions {
  data?: string;
  x?: string;
  y?: string;
  xTest?: string;
  yTest?: string;
  standardize?: string;
  targets: string;
  seed: string;
}

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
    .option('--x <file>', 'training inputs (instead of --data)')
    .option('--y <file>', 'training targets, n×k, or n integer labels')
    .option('--x-test <file>', 'test inputs')
    .option('--y-test <file>', 'test targets or labels')
    .option('--standardize <how>', 'inputs: unit-norm (|x|² = d; default for --data), features (z-score), none (default for files)')
    .option('--targets <enc>', 'centred (one-hot − 1/k) or onehot, for labels', 'centred')
    .option('--seed <n>', 'seed of the train/test split of bundled data', '0');
}

/** Reads the data the flags name: bundled digits or the user's files. */
export function loadDataset(o: DataCliOptions): Dataset {
  if (o.targets !== 'centred' && o.targets !== 'onehot') throw new InputError(`--targets must be centred or onehot, got "${o.targets}"`);
  if (o.standardize !== undefined && !['none', 'features', 'unit-norm'].includes(o.standardize)) throw new InputError(`--standardize must be unit-norm, features or none, got ${quote(o.standardize)}`);
  const opts = { standardize: o.standardize as Standardization | undefined, targets: o.targets as TargetEncoding, seed: parseInteger(o.seed, '--seed', 0) };
  const files = anyDataFile(o);
  if (files && o.data !== undefined) throw new InputError('give either --data or --x/--y/--x-test/--y-test, not both');
  if (files) {
    if (o.x === undefined || o.y === undefined || o.xTest === undefined || o.yTest === undefined) throw new InputError('give all of --x, --y, --x-test, --y-test (or --data mnist:N:M)');
    return fileDataset({ x: o.x, y: o.y, xTest: o.xTest, yTest: o.yTest }, opts);
  }
  if (!o.data) throw new InputError('give --data mnist:N:M, or all of --x, --y, --x-test, --y-test');
  return bundledDataset(o.data, opts);
}

/** Whether any of --x, --y, --x-test, --y-test was given (an empty value counts: it is refused as a path later). */
function anyDataFile(o: DataCliOptions): boolean {
  return o.x !== undefined || o.y !== undefined || o.xTest !== undefined || o.yTest !== undefined;
}
