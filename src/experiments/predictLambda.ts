import { join } from 'node:path';
import type { NetworkSpec } from '../layers/types.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { LossName } from '../training/loss.js';
import type { TrainData, TrainResult } from '../training/trainer.js';
import { InputError } from '../util/errors.js';
import { meanStderr } from '../util/stats.js';
import { runPool, type RunPool } from './runPool.js';
import { runName } from './runStore.js';

export interface PredictLambdaOptions {
  spec: NetworkSpec;
  data: TrainData;
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
  seed?: number;
  loss?: LossName;
  batchSize?: number;
  momentum?: number;
  evalsPerDecade?: number;
  /** Refine the short run's evaluation grid around its t* (to 2%; default false: the grid's ~10%). */
  refineShort?: boolean;
  backend?: TfBackendName;
  /** Memory ceiling of each run (see TrainOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
  dir: string;
  /** Runs trained at once, each in its own worker thread (default 1: one after the other on this thread). */
  jobs?: number;
  onRun?: (name: string, result: TrainResult, reused: boolean) => void;
}

export interface PredictLambdaResult {
  lambda0: number;
  metric: 'loss' | 'acc';
  /** t* of the short run (by `metric`), and c = λ0·t*. */
  tStar0: number;
  /** Relative time resolution of tStar0 (hence of c and of the predicted λ). */
  tStar0Resolution: number;
  c: number;
  budget: number;
  /** λ = c/T. */
  lambdaPredicted: number;
  predicted: { lambda: number; finalTestAcc: number; bestTestAcc: number };
  grid: { lambda: number; finalTestAcc: number; bestTestAcc: number }[];
  bestGrid: { lambda: number; finalTestAcc: number; bestTestAcc: number } | null;
  /** Best grid accuracy minus the predicted λ's, at the end of the budget (positive: the grid did better). */
  gap: number | null;
}

/**
 * The paper's λ prediction: one short run at a large λ0 measures c = λ0·t* (t* ∝ 1/λ), then for a budget T
 * the λ that peaks at the end of the budget is λ = c/T. Trains that λ for T and, beside it, every λ of a grid,
 * and reports the accuracies at the end of the budget and the gap to the grid's best.
 */
export async function predictLambda(o: PredictLambdaOptions, pool: RunPool = runPool(o.jobs ?? 1)): Promise<PredictLambdaResult> {
  const lambda0 = o.lambda0 ?? 1e-2;
  if (!(lambda0 > 0)) throw new InputError(`lambda0 must be > 0, got ${lambda0}`);
  if (!(o.budget > 0)) throw new InputError(`the budget must be > 0, got ${o.budget}`);
  const common = { spec: o.spec, data: o.data, lr: o.lr, seed: o.seed ?? 0, loss: o.loss, batchSize: o.batchSize, momentum: o.momentum, evalsPerDecade: o.evalsPerDecade, backend: o.backend, maxMemoryBytes: o.maxMemoryBytes };
  const run = async (name: string, lambda: number, budget: number, refine = false): Promise<TrainResult> => {
    const { result, reused } = await pool.run({ ...common, lambda, budget, ...(refine ? { refine: {} } : {}), dir: join(o.dir, 'runs', name) });
    o.onRun?.(name, result, reused);
    return result;
  };
  const short = await run(`short_${runName({ lambda: lambda0 })}`, lambda0, (o.shortFactor ?? 2.5) / lambda0, o.refineShort ?? false);
  const metric = o.metric ?? 'loss';
  const tStar0 = metric === 'loss' ? short.tStarLoss : short.tStarAcc;
  if (tStar0 === 0) throw new InputError(`the short run at λ0 = ${lambda0} never improved on its initial test ${metric}; use a smaller λ0 or a larger learning rate`);
  if (metric === 'loss' ? short.lossAtEdge : short.accAtEdge) {
    throw new InputError(`the short run at λ0 = ${lambda0} was still improving its test ${metric} at its end (t = ${tStar0}), so t* and c = λ0·t* are unknown; lengthen it (short factor ${o.shortFactor ?? 2.5} → more)${metric === 'acc' ? " or use --metric loss" : ''}`);
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

export interface PredictLambdaSeedsResult {
  seeds: number[];
  /** The whole procedure (short run, prediction, grid) once per seed. */
  perSeed: PredictLambdaResult[];
  c: { mean: number; stderr: number };
  predicted: { lambdas: number[]; meanFinalAcc: number; stderrFinalAcc: number };
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
