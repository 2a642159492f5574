import { specToJson } from '../layers/json.js';
import { DEFAULT_REFINE_FACTOR } from './evalSchedule.js';
import { constantLambda } from './policy.js';
import type { TrainOptions } from './types.js';

/**
 * The options that determine a run's numbers, as a JSON string: a checkpoint or a finished result is reused
 * only by a run with the same fingerprint.
 */
export function runFingerprint(opts: TrainOptions): string {
  const policy = typeof opts.lambda === 'number' ? constantLambda(opts.lambda) : opts.lambda;
  return JSON.stringify({
    spec: specToJson(opts.spec),
    lr: opts.lr,
    momentum: opts.momentum ?? 0,
    seed: opts.seed ?? 0,
    batchSize: Math.min(opts.batchSize ?? 128, opts.data.x.rows),
    loss: opts.loss ?? 'mse',
    steps: Math.max(1, Math.ceil(opts.budget / opts.lr - 1e-9)),
    policy: policy.name,
    n: opts.data.x.rows,
    d: opts.data.x.cols,
    probe: opts.kernelProbe ?? 0,
    evalsPerDecade: opts.evalsPerDecade ?? 24,
    data: opts.data.description ?? null,
    // only when set, so that runs with the default train evaluation (the first min(n, 2048) points) keep their fingerprint
    ...(opts.evalTrainSize !== undefined ? { evalTrainSize: opts.evalTrainSize } : {}),
    ...(opts.evalTrainSubset !== undefined ? { evalTrainSubset: opts.evalTrainSubset } : {}),
    // only when set, so that runs without refinement keep their fingerprint
    ...(opts.refine ? { refine: { factor: opts.refine.factor ?? DEFAULT_REFINE_FACTOR, peaks: opts.refine.peaks ?? true, accuracyLevels: opts.refine.accuracyLevels ?? [] } } : {}),
  });
}
