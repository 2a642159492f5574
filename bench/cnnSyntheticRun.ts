/**
 * The synthetic CNN training run shared by bench/profileCnnStep.ts and bench/cnnOps.ts: a paper setup ('cnn' or
 * 'wrn', argv[2]) at a width (argv[3], default the setup's) on 1024 random 14×14 images with cyclic one-hot
 * labels, batch 128, one evaluation per decade; `steps` from argv[4] (default 30). Importing it runs the warm-up.
 */
import { paperSetup } from '../src/experiments/paperSetups.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { mat, type Mat } from '../src/linalg/matrix.js';
import { trainRun, type TrainOptions } from '../src/training/trainer.js';
import { Rng } from '../src/util/random.js';

const [nameArg = 'cnn', widthText, stepsText = '30'] = process.argv.slice(2);
const found = paperSetup(nameArg);
if (!found) throw new Error(`unknown setup ${nameArg}`);
const setup = found;
/** The setup's name. */
export const name = nameArg;
/** The width trained. */
export const width = Number(widthText ?? setup.defaultWidth);
/** Steps of the timed run. */
export const steps = Number(stepsText);
const rng = new Rng(1);
const n = 1024;
const oneHot = (rows: number): Mat => mat(rows, 10, Float64Array.from({ length: rows * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0)));
const data = { x: mat(n, 196, rng.normals(n * 196)), y: oneHot(n), xTest: mat(64, 196, rng.normals(64 * 196)), yTest: oneHot(64), inputShape: { spatial: [14, 14], width: 1 } };
const opts = { spec: parseOneLineSpec(setup.arch(width)), data, lr: setup.lr, lambda: 1e-3, batchSize: 128, evalsPerDecade: 1, evalTrainSize: 64, loss: setup.loss, momentum: setup.momentum, backend: 'wasm' as const };
await trainRun({ ...opts, budget: setup.lr * 3 });

/**
 * The timed run: `steps` steps of the setup.
 * @returns the training result
 */
export function timedRun(): ReturnType<typeof trainRun> {
  return trainRun({ ...opts, budget: setup.lr * steps } satisfies TrainOptions);
}
