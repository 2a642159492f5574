import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { checkWorkDir } from '../io/outputPath.js';
import type { TrainOptions } from '../training/trainer.js';
import { checkTrainOptions } from '../training/validate.js';
import { InputError } from '../util/errors.js';
import { INPUT_SHAPE_HELP, loadDataset } from './dataArgs.js';
import { addSetupOption } from './setupArgs.js';
import { parseInteger, parseNumber } from './parse.js';
import { float32Json } from '../io/float32.js';
import { progressBar } from './progress.js';
import { addTrainOptions, parsePositive, parseTrainOptions, type TrainCliOptions } from './trainArgs.js';

interface TrainCommandOptions extends TrainCliOptions {
  lambda: string;
  lr: string;
  budget: string;
  netSeed: string;
  kernelProbe: string;
  evalTrain?: string;
  force?: boolean;
}

export function registerTrainCommand(program: Command): void {
  const cmd = program
    .command('train')
    .description('Train one finite network with SGD and L2 (the paper\'s gradient flow in physical time t = η·steps), logging test/train loss and accuracy, |θ|² and the empirical NTK of a probe set')
    .requiredOption('--lambda <λ>', 'L2 coefficient λ ≥ 0 (loss + (λ/2)|θ|²)')
    .option('--lr <η>', 'learning rate η', '0.5')
    .requiredOption('--budget <T>', 'physical-time budget T (the run takes ceil(T/η) steps)')
    .option('--net-seed <s>', 'seed of the initialization and of the batch order', '0')
    .option('--kernel-probe <P>', 'track the empirical NTK of the first P training points (0: off)', '0')
    .option('--eval-train <n>', 'log the train loss/accuracy on a fixed seeded subset of n training points (default: the first min(n, 2048)); the test metrics always use the whole test set')
    .requiredOption('--out <dir>', 'run folder: log.jsonl (written as it goes), checkpoint, result.json; an interrupted run resumes from it')
    .option('--force', 'start over when --out holds a finished run (removes only that run\'s own files: result, log, checkpoint)');
  addSetupOption(addTrainOptions(cmd), 'lr').addHelpText(
    'after',
    `
Examples:
  ntk train --lambda 1e-3 --lr 0.5 --budget 3000 --out runs/l1e-3
  ntk train --setup cnn --data mnist:1024:500 --lambda 1e-3 --budget 100 --out runs/cnn
      (the paper's CNN on 14×14 digits, SGD with momentum 0.9, cross-entropy; see docs/paper-regime.md)
  ntk train --arch "[dense(1024, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)" --data mnist:2048:1000 \\
      --lambda 1e-2 --budget 300 --kernel-probe 64 --out runs/kernel
  ntk train --arch cnn.json --data mnist:512:500 --image-size 14 --width 64 --lambda 1e-2 --budget 100 --out runs/cnn
  ntk train --arch cnn.json --x images.npy --y labels.npy --x-test imagesT.npy --y-test labelsT.npy \
      --standardize unit-norm --lambda 1e-2 --budget 100 --out runs/mine
      (cnn.json: conv layers, then globalAvgPool or flatten, then dense; images.npy N×H×W×C)

${INPUT_SHAPE_HELP}

Run the same command again after an interruption: it continues from the last checkpoint (same numbers);
after it finished: it prints the finished run's result (exit 0) without training again.
Numbers are float32 (TensorFlow.js); the JSON line on stdout names the backend.`,
  ).action(async (o: TrainCommandOptions) => {
    const parsed = await parseTrainOptions(o);
    const lambda = parseNumber(o.lambda, '--lambda');
    if (!(lambda >= 0)) throw new InputError(`--lambda must be ≥ 0, got "${o.lambda}"`);
    const lr = parsePositive(o.lr, '--lr');
    const budget = parsePositive(o.budget, '--budget');
    const seed = parseInteger(o.netSeed, '--net-seed', 0);
    const kernelProbe = parseInteger(o.kernelProbe, '--kernel-probe', 0);
    const evalTrainSubset = o.evalTrain === undefined ? undefined : parseInteger(o.evalTrain, '--eval-train');
    checkWorkDir(o.out, 'run');
    const data = loadDataset(o, parsed.spec);
    const run: TrainOptions = { ...parsed, data, lr, budget, lambda, seed, kernelProbe, evalTrainSubset, dir: o.out };
    // every input is checked before the folder is created or (with --force) an earlier run's files are removed
    checkTrainOptions(run);
    const { trainRun, runFingerprint } = await import('../training/trainer.js'); // loads TensorFlow.js only when needed
    const finished = !o.force ? finishedRun(o.out, runFingerprint(run)) : null;
    if (finished) {
      // the same command again after it finished: its result, nothing recomputed or written
      process.stdout.write(float32Json({ out: o.out, evaluations: finished.evaluations, ...finished.summary }) + '\n');
      return;
    }
    const bar = progressBar('steps', o.quiet);
    const res = await trainRun({ ...run, restart: o.force === true, onEval: (rec, total) => bar.update(rec.step, total) });
    bar.stop();
    const { records, ...summary } = res;
    process.stdout.write(float32Json({ out: o.out, evaluations: records.length, ...summary }) + '\n');
  });
}

/**
 * The summary of the finished run in `dir` (its result.json), when that run had the options `fingerprint` says
 * (the trainer's runFingerprint); null when there is none. A finished run with other options is an InputError:
 * its folder is not this command's to overwrite without --force.
 */
function finishedRun(dir: string, fingerprint: string): { summary: Record<string, unknown>; evaluations: number } | null {
  const file = join(dir, 'result.json');
  if (!existsSync(file)) return null;
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file} is not a readable result (${(e as Error).message}); pass --force to train again, or choose another --out`);
  }
  if (JSON.stringify(saved.options) !== fingerprint) {
    throw new InputError(`${dir} holds a finished run with other options (result.json); pass --force to train again, or choose another --out`);
  }
  const { options: _options, records: _records, ...summary } = saved;
  const log = join(dir, 'log.jsonl');
  const evaluations = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '').length : 0;
  return { summary, evaluations };
}
