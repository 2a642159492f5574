import { join } from 'node:path';
import type { NetworkSpec } from '../layers/types.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { LossName } from '../training/loss.js';
import type { TrainData, TrainResult } from '../training/trainer.js';
import { InputError } from '../util/errors.js';
import { meanStderr } from '../util/stats.js';
import { runPool, type RunPool } from './runPool.js';
import { runName } from './runStore.js';

/**
 * Options of `predictLambda` / `predictLambdaOverSeeds`: measure c = λ0·t* in one short run at a large λ0, predict
 * λ = c/T for the budget T, and train that λ and a constant-λ grid for the whole budget to compare.
 */
export interface PredictLambdaOptions {
  /** The architecture. */
  spec: NetworkSpec;
  /** Training and test sets. */
  data: TrainData;
  /** Learning rate η (physical time t = η·steps). */
  lr: number;
  /** The budget T (physical time) to choose λ for. */
  budget: number;
  /** λ of the short measuring run (large, so that its peak comes early; default 1e-2). */
  lambda0?: number;
  /** The short run lasts factor/λ0 (default 2.5): past its accuracy peak. */
  shortFactor?: number;
  /**
   * Which t* measures c: 'loss' (time of the lowest test loss; the default) or 'acc' (best test accuracy).
   * Under MSE with L2 the −Lλf shrinkage leaves every argmax unchanged, so at large λ0 the test accuracy
   * plateaus instead of peaking, while the test loss has a sharp minimum.
   */
  metric?: 'loss' | 'acc';
  /** The constant-λ grid trained for the whole budget T, to compare against (empty: skip). */
  grid: number[];
  /** Seed of every run (default 0; predictLambdaOverSeeds sets it per seed). */
  seed?: number;
  /** Data loss (default 'mse'). */
  loss?: LossName;
  /** Mini-batch size (default 128). */
  batchSize?: number;
  /** Heavy-ball momentum (default 0). */
  momentum?: number;
  /** Evaluations per decade of steps (default 24). */
  evalsPerDecade?: number;
  /** Training points used for the logged train loss/accuracy (TrainOptions.evalTrainSize; default min(n, 2048)). */
  evalTrainSize?: number;
  /** Refine the short run's evaluation grid around its t* (to 2%; default false: the grid's ~10%). */
  refineShort?: boolean;
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Memory ceiling of each run (see TrainOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
  /** Results folder (resumable: finished runs are reused). */
  dir: string;
  /** Runs trained at once, each in its own worker thread (default 1: one after the other on this thread). */
  jobs?: number;
  /** Called after each run with its name, result and whether it was reused from the folder. */
  onRun?: (name: string, result: TrainResult, reused: boolean) => void;
}

/**
 * Why a seed's short run gives no λ prediction: its t* (best test accuracy or lowest test loss) is at the end of
 * the short run ('still improving': the peak is later, unknown) or at t = 0 ('never improved': no peak at all).
 */
export interface NoPrediction {
  /** The seed of the short run. */
  seed: number;
  /** λ0 of the short run. */
  lambda0: number;
  /** Which t* was asked for. */
  metric: 'loss' | 'acc';
  /** Why there is no t*. */
  reason: 'still improving' | 'never improved';
  /** The time of the best value the short run saw: its end ('still improving') or 0 ('never improved'). */
  tStar0: number;
  /** The short run's length in physical time: η × its steps (its budget shortFactor/λ0 rounded up to whole steps). */
  shortBudget: number;
}

/**
 * Thrown by `predictLambda` when the short run gives no t* (see NoPrediction): an InputError, so the CLI prints its
 * one line and exits 2; a figure that predicts λ for several seeds catches it and records the seed as "no prediction".
 */
export class NoPredictionError extends InputError {
  /** What the short run measured, and why that is no t*. */
  readonly facts: NoPrediction;
  /**
   * @param message - the one-line explanation and remedy
   * @param facts - the short run's seed, λ0, metric, reason, t and length
   */
  constructor(message: string, facts: NoPrediction) {
    super(message);
    this.facts = facts;
  }
}

/** The result of `predictLambda` for one seed: the measured c, the predicted λ = c/T and how it fared against the grid (accuracies in [0, 1]). */
export interface PredictLambdaResult {
  /** λ0 of the short run. */
  lambda0: number;
  /** Which t* measured c. */
  metric: 'loss' | 'acc';
  /** t* of the short run (by `metric`), and c = λ0·t*. */
  tStar0: number;
  /** Relative time resolution of tStar0 (hence of c and of the predicted λ). */
  tStar0Resolution: number;
  /** c = λ0·t*. */
  c: number;
  /** The budget T. */
  budget: number;
  /** λ = c/T. */
  lambdaPredicted: number;
  /** The predicted λ trained for the whole budget: its final and best test accuracy. */
  predicted: { lambda: number; finalTestAcc: number; bestTestAcc: number };
  /** Each grid λ trained for the whole budget. */
  grid: { lambda: number; finalTestAcc: number; bestTestAcc: number }[];
  /** The grid λ with the best final accuracy (null without a grid). */
  bestGrid: { lambda: number; finalTestAcc: number; bestTestAcc: number } | null;
  /** Best grid accuracy minus the predicted λ's, at the end of the budget (positive: the grid did better). */
  gap: number | null;
}

/**
 * The paper's λ prediction: one short run at a large λ0 measures c = λ0·t* (t* ∝ 1/λ), then for a budget T
 * the λ that peaks at the end of the budget is λ = c/T. Trains that λ for T and, beside it, every λ of a grid,
 * and reports the accuracies at the end of the budget and the gap to the grid's best.
 * @param o - the network, data, η, budget T, λ0 of the short run, the comparison grid and the folder (see PredictLambdaOptions)
 * @param pool - where runs train (default: `o.jobs` worker threads)
 * @returns c, the predicted λ = c/T, and its accuracy against the grid's
 * @throws NoPredictionError when the short run's t* is at its end or at t = 0 (no c to predict from)
 */
export async function predictLambda(o: PredictLambdaOptions, pool: RunPool = runPool(o.jobs ?? 1)): Promise<PredictLambdaResult> {
  const lambda0 = o.lambda0 ?? 1e-2;
  if (!(lambda0 > 0)) throw new InputError(`lambda0 must be > 0, got ${lambda0}`);
  if (!(o.budget > 0)) throw new InputError(`the budget must be > 0, got ${o.budget}`);
  const common = { spec: o.spec, data: o.data, lr: o.lr, seed: o.seed ?? 0, loss: o.loss, batchSize: o.batchSize, momentum: o.momentum, evalsPerDecade: o.evalsPerDecade, evalTrainSize: o.evalTrainSize, backend: o.backend, maxMemoryBytes: o.maxMemoryBytes };
  const run = async (name: string, lambda: number, budget: number, refine = false): Promise<TrainResult> => {
    const { result, reused } = await pool.run({ ...common, lambda, budget, ...(refine ? { refine: {} } : {}), dir: join(o.dir, 'runs', name) });
    o.onRun?.(name, result, reused);
    return result;
  };
  const shortBudget = (o.shortFactor ?? 2.5) / lambda0;
  const short = await run(`short_${runName({ lambda: lambda0 })}`, lambda0, shortBudget, o.refineShort ?? false);
  const metric = o.metric ?? 'loss';
  const tStar0 = metric === 'loss' ? short.tStarLoss : short.tStarAcc;
  const facts = { lambda0, metric, tStar0, shortBudget: short.steps * o.lr, seed: o.seed ?? 0 };
  if (tStar0 === 0) throw new NoPredictionError(`the short run at λ0 = ${lambda0} never improved on its initial test ${metric}; use a smaller λ0 or a larger learning rate`, { ...facts, reason: 'never improved' });
  if (metric === 'loss' ? short.lossAtEdge : short.accAtEdge) {
    throw new NoPredictionError(
      `the short run at λ0 = ${lambda0} was still improving its test ${metric} at its end (t = ${tStar0}), so t* and c = λ0·t* are unknown; lengthen it (short factor ${o.shortFactor ?? 2.5} → more)${metric === 'acc' ? ' or use --metric loss' : ''}`,
      { ...facts, reason: 'still improving' },
    );
  }
  const c = lambda0 * tStar0;
  const lambdaPredicted = c / o.budget;
  const summary = (lambda: number, r: TrainResult) => ({ lambda, finalTestAcc: r.finalTestAcc, bestTestAcc: r.bestTestAcc });
  // the predicted λ and the grid side by side (as many at once as the pool allows)
  const [predictedRun, ...gridRuns] = await Promise.all([
    run(`predicted_${runName({ lambda: lambdaPredicted })}`, lambdaPredicted, o.budget),
    ...o.grid.map((lambda) => run(`grid_${runName({ lambda })}`, lambda, o.budget)),
  ]);
  const predicted = summary(lambdaPredicted, predictedRun);
  const grid: PredictLambdaResult['grid'] = o.grid.map((lambda, i) => summary(lambda, gridRuns[i]));
  const bestGrid = grid.length ? grid.reduce((a, b) => (b.finalTestAcc > a.finalTestAcc ? b : a)) : null;
  return {
    lambda0,
    metric,
    tStar0,
    tStar0Resolution: metric === 'loss' ? short.tStarLossResolution : short.tStarAccResolution,
    c,
    budget: o.budget,
    lambdaPredicted,
    predicted,
    grid,
    bestGrid,
    gap: bestGrid ? bestGrid.finalTestAcc - predicted.finalTestAcc : null,
  };
}

/** The result of `predictLambdaOverSeeds`: the procedure per seed, and means ± standard errors over seeds (paired where it matters). */
export interface PredictLambdaSeedsResult {
  /** The seeds (each both the network and the batch-order seed). */
  seeds: number[];
  /** The whole procedure (short run, prediction, grid) once per seed. */
  perSeed: PredictLambdaResult[];
  /** c = λ0·t* over seeds: mean and standard error. */
  c: { mean: number; stderr: number };
  /** The predicted λ of each seed and its mean final accuracy ± standard error. */
  predicted: { lambdas: number[]; meanFinalAcc: number; stderrFinalAcc: number };
  /** Each grid λ: final accuracy per seed, mean and standard error. */
  grid: { lambda: number; finalAcc: number[]; meanFinalAcc: number; stderrFinalAcc: number }[];
  /** The grid λ with the best mean final accuracy. */
  bestGrid: { lambda: number; meanFinalAcc: number; stderrFinalAcc: number } | null;
  /**
   * Paired over seeds: best grid λ's accuracy minus the predicted λ's, per seed, then mean ± standard error
   * (positive: the grid did better). Test accuracy on a few thousand digits moves by ~0.5–1 point between
   * seeds, so a single seed cannot resolve a 1-point gap.
   */
  gap: { mean: number; stderr: number; perSeed: number[] } | null;
}

/**
 * `predictLambda` repeated for several network seeds (each seed: its own short run, prediction and grid, in
 * `dir/seed=S/`), with the accuracies averaged over seeds and the gap paired by seed.
 * @param o - as `predictLambda`, with `seeds` (each seed runs the whole procedure)
 * @returns per-seed results and means ± standard errors over seeds (the gap paired by seed)
 */
export async function predictLambdaOverSeeds(o: Omit<PredictLambdaOptions, 'seed'> & { seeds: number[] }): Promise<PredictLambdaSeedsResult> {
  if (o.seeds.length === 0) throw new InputError('predictLambdaOverSeeds needs at least one seed');
  if (new Set(o.seeds).size !== o.seeds.length) throw new InputError(`the seeds must differ, got ${o.seeds.join(', ')}`);
  // the seeds' procedures side by side, sharing one pool of parallel runs
  const pool = runPool(o.jobs ?? 1);
  const perSeed = await Promise.all(o.seeds.map((seed) => predictLambda({ ...o, seed, dir: join(o.dir, `seed=${seed}`) }, pool)));
  const grid = o.grid.map((lambda, i) => {
    const finalAcc = perSeed.map((r) => r.grid[i].finalTestAcc);
    const s = meanStderr(finalAcc);
    return { lambda, finalAcc, meanFinalAcc: s.mean, stderrFinalAcc: s.stderr };
  });
  const best = grid.length ? grid.reduce((a, b) => (b.meanFinalAcc > a.meanFinalAcc ? b : a)) : null;
  const bestIndex = best ? grid.indexOf(best) : -1;
  const pred = meanStderr(perSeed.map((r) => r.predicted.finalTestAcc));
  const gaps = best ? perSeed.map((r) => r.grid[bestIndex].finalTestAcc - r.predicted.finalTestAcc) : null;
  return {
    seeds: [...o.seeds],
    perSeed,
    c: meanStderr(perSeed.map((r) => r.c)),
    predicted: { lambdas: perSeed.map((r) => r.lambdaPredicted), meanFinalAcc: pred.mean, stderrFinalAcc: pred.stderr },
    grid,
    bestGrid: best ? { lambda: best.lambda, meanFinalAcc: best.meanFinalAcc, stderrFinalAcc: best.stderrFinalAcc } : null,
    gap: gaps ? { ...meanStderr(gaps), perSeed: gaps } : null,
  };
}
