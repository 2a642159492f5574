import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bindFinite } from '../layers/network.js';
import { InputError, assertFinite } from '../util/errors.js';
import { clearCheckpoint } from './checkpoint.js';
import { checkTrainMemory } from './memory.js';
import type { TrainOptions } from './types.js';

/**
 * Every check a training run can fail before it touches the disk or TensorFlow.js: the numbers, the data's
 * shapes and values, whether the network fits the data (input dimension, outputs against target columns) and
 * whether the run fits in memory (see checkTrainMemory).
 * Commands call it before they create any folder, so a refused run leaves nothing behind.
 */
export function checkTrainOptions(o: TrainOptions): void {
  const pos = (v: number, name: string) => {
    if (!(Number.isFinite(v) && v > 0)) throw new InputError(`${name} must be a positive finite number, got ${v}`);
  };
  pos(o.lr, 'the learning rate η');
  pos(o.budget, 'the budget T');
  const steps = Math.ceil(o.budget / o.lr - 1e-9);
  // more steps than any run could take (10^9 steps is weeks at the fastest rates measured here): a typo
  if (!(steps <= MAX_STEPS)) throw new InputError(`the budget T = ${o.budget} at η = ${o.lr} is ${steps.toExponential(2)} steps, over the limit of ${MAX_STEPS.toExponential(0)}`);
  if (typeof o.lambda === 'number' && !(Number.isFinite(o.lambda) && o.lambda >= 0)) throw new InputError(`λ must be a finite number ≥ 0, got ${o.lambda}`);
  if (o.momentum !== undefined && !(o.momentum >= 0 && o.momentum < 1)) throw new InputError(`momentum must be in [0, 1), got ${o.momentum}`);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new InputError(`the batch size must be a positive integer, got ${o.batchSize}`);
  if (o.loss !== undefined && o.loss !== 'mse' && o.loss !== 'xent') throw new InputError(`loss must be "mse" or "xent", got "${String(o.loss)}"`);
  const { x, y, xTest, yTest } = o.data;
  if (x.rows !== y.rows) throw new InputError(`X has ${x.rows} rows but Y has ${y.rows}`);
  if (xTest.rows !== yTest.rows) throw new InputError(`X test has ${xTest.rows} rows but Y test has ${yTest.rows}`);
  if (x.cols !== xTest.cols) throw new InputError(`X and X test differ in dimension: ${x.cols} vs ${xTest.cols}`);
  if (y.cols !== yTest.cols) throw new InputError(`Y has ${y.cols} columns but Y test has ${yTest.cols}`);
  for (const [m, name] of [[x, 'X'], [y, 'Y'], [xTest, 'X test'], [yTest, 'Y test']] as const) assertFinite(m, name);
  if (o.kernelProbe !== undefined && !(Number.isInteger(o.kernelProbe) && o.kernelProbe >= 0)) throw new InputError(`kernelProbe must be an integer ≥ 0, got ${o.kernelProbe}`);
  if (o.kernelProbe !== undefined && o.kernelProbe > x.rows) throw new InputError(`the kernel probe of ${o.kernelProbe} points is larger than the training set (${x.rows} points)`);
  const net = bindFinite(o.spec, o.data.inputShape ?? x.cols);
  if (net.outputDim !== y.cols) throw new InputError(`the network has ${net.outputDim} outputs but the targets have ${y.cols} columns`);
  if (o.evalTrainSize !== undefined && !(Number.isInteger(o.evalTrainSize) && o.evalTrainSize >= 1)) throw new InputError(`evalTrainSize must be a positive integer, got ${o.evalTrainSize}`);
  checkTrainMemory(o);
}

/** Most SGD steps one run may take. */
export const MAX_STEPS = 1e9;

/** The files a training run writes in its folder (besides its checkpoint's data file and the lock). */
const RUN_FILES = ['result.json', 'log.jsonl'];

/**
 * Removes a run's own files from `dir` so that it can start over (`ntk train --force`): the result, the log
 * and the checkpoint. Whatever else the folder holds is left where it is. The caller holds the run's lock.
 */
export function removeRunFiles(dir: string): void {
  // result first: a kill part-way leaves an unfinished run, which resumes or restarts, never a stale "finished" one
  for (const name of RUN_FILES) rmSync(join(dir, name), { force: true });
  clearCheckpoint(dir);
  for (const name of readdirSync(dir)) if (/^checkpoint-\d+\.f32$/.test(name)) rmSync(join(dir, name), { force: true });
}
