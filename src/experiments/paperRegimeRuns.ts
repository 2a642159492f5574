import { join } from 'node:path';
import type { NetworkSpec } from '../layers/types.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { LossName } from '../training/loss.js';
import type { TrainData, TrainResult } from '../training/trainer.js';
import { evalSteps } from '../training/evalSchedule.js';
import { InputError } from '../util/errors.js';
import { NoPredictionError, predictLambda, type NoPrediction, type PredictLambdaResult } from './predictLambda.js';
import { runPool } from './runPool.js';
import { runName } from './runStore.js';

/**
 * The runs behind the figures accuracy_vs_lambda and predicted_vs_best_lambda (the paper's Fig. 1a and 1b),
 * shared between the two. With a constant λ and a constant learning rate the SGD trajectory does not depend on
 * the budget (the batch order comes from the seed, nothing is scheduled by T), so a run of budget T is the first
 * T/η steps of a longer run with the same λ and seed. Every budget is therefore put on a step of the evaluation
 * grid (`snapBudget`), and ONE run per (λ, seed), as long as the longest budget, gives the test accuracy at the
 * end of every shorter budget: exactly the number a separate run of that budget would end with (a test checks
 * the two against each other). Per seed this trains: each grid λ and λ = 0 once, to the longest budget; one
 * short run at λ0 (c = λ0·t*); and, per prediction budget T, the predicted λ = c/T for T (`predictLambda`).
 * A seed whose short run gives no t* (still improving at its end, or never improved) gets no prediction: it is
 * recorded with its reason (`PaperRegimeRuns.noPrediction`), and every other run and seed is still trained.
 */
export interface PaperRegimeRunsOptions {
  /** The architecture. */
  spec: NetworkSpec;
  /** Training and test sets. */
  data: TrainData;
  /** Learning rate η (physical time t = η·steps). */
  lr: number;
  /** Heavy-ball momentum (default 0). */
  momentum?: number;
  /** Data loss (default 'mse'). */
  loss?: LossName;
  /** Mini-batch size (default 128). */
  batchSize?: number;
  /** Evaluations per decade of steps (default 12); budgets are put on this grid. */
  evalsPerDecade?: number;
  /** Training points of the logged train loss/accuracy (TrainOptions.evalTrainSize; the figures use only test numbers). */
  evalTrainSize?: number;
  /** The λ grid (each > 0, at least 3, distinct). */
  lambdas: number[];
  /** c′ of the budget ∝ 1/λ: λ's budget is c′/λ (put on the evaluation grid). */
  budgetFactor: number;
  /** The fixed budget of accuracy_vs_lambda (physical time; put on the evaluation grid). */
  fixedBudget: number;
  /** The budgets of predicted_vs_best_lambda (physical time; put on the evaluation grid; distinct after that). */
  predictBudgets: number[];
  /** λ0 of the short run that measures c = λ0·t*. */
  lambda0: number;
  /** The short run lasts shortFactor/λ0 (default 2.5). */
  shortFactor?: number;
  /** Which t* of the short run measures c (default 'loss'; see PredictLambdaOptions.metric). */
  metric?: 'loss' | 'acc';
  /** Seeds (each both the network and the batch-order seed; at least one, distinct). */
  seeds: number[];
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Memory ceiling of each run (see TrainOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
  /** Results folder (resumable: finished runs are reused). */
  dir: string;
  /** Runs trained at once, each in its own worker thread (default 1). */
  jobs?: number;
  /** Called after each run with its name, result and whether it was reused from the folder. */
  onRun?: (name: string, result: TrainResult, reused: boolean) => void;
}

/** One long run at constant λ (λ = 0: the baseline), its evaluations up to the longest budget. */
export interface LambdaCurve {
  /** Its λ (0 for the baseline). */
  lambda: number;
  /** Its seed. */
  seed: number;
  /** The evaluated steps, in order. */
  steps: number[];
  /** Physical time of each evaluation. */
  t: number[];
  /** Test accuracy at each evaluation, in [0, 1]. */
  testAcc: number[];
}

/** What `paperRegimeRuns` trained: the budgets as put on the evaluation grid, every long run's curve, every prediction. */
export interface PaperRegimeRuns {
  /** Learning rate η. */
  lr: number;
  /** The seeds. */
  seeds: number[];
  /** The λ grid, ascending. */
  lambdas: number[];
  /** c′ of the budget ∝ 1/λ. */
  budgetFactor: number;
  /** Per grid λ (same order): its budget c′/λ on the evaluation grid. */
  inverseBudgets: number[];
  /** The fixed budget on the evaluation grid. */
  fixedBudget: number;
  /** The prediction budgets on the evaluation grid, ascending. */
  predictBudgets: number[];
  /** The longest budget: every long run's length. */
  maxBudget: number;
  /** One curve per (λ ∈ grid ∪ {0}, seed). */
  curves: LambdaCurve[];
  /** λ0 of the short runs. */
  lambda0: number;
  /** Which t* of the short runs measures c. */
  metric: 'loss' | 'acc';
  /** Per prediction budget (same order): the prediction of each seed (same order as `seeds`; null: that seed has none, see `noPrediction`). */
  predictions: { budget: number; perSeed: (PredictLambdaResult | null)[] }[];
  /** The seeds whose short run gave no t* (so no prediction at any budget), with the reason; empty when every seed has one. */
  noPrediction: NoPrediction[];
}

/**
 * A budget moved to the nearest step (in log) of the evaluation grid round(10^(j/perDecade)), so that a longer
 * run at the same λ evaluates exactly where a run of this budget ends.
 * @param budget - physical time T (> 0)
 * @param lr - learning rate η
 * @param perDecade - evaluations per decade of steps
 * @returns η·steps with steps on the grid (at least 1 step)
 */
export function snapBudget(budget: number, lr: number, perDecade: number): number {
  if (!(budget > 0) || !(lr > 0)) throw new InputError(`budgets and the learning rate must be > 0, got T = ${budget}, η = ${lr}`);
  const target = budget / lr;
  let best = 1;
  for (let j = 0; ; j++) {
    const v = Math.round(10 ** (j / perDecade));
    if (Math.abs(Math.log(v / target)) < Math.abs(Math.log(best / target))) best = v;
    if (v > 2 * target) break;
  }
  return lr * best;
}

/**
 * The test accuracy of a long run at the end of a shorter budget: its evaluation at step round(budget/η).
 * @param curve - a long run's curve
 * @param budget - a budget on the evaluation grid, at most the run's length
 * @param lr - learning rate η
 * @returns the test accuracy there
 * @throws Error when the run has no evaluation at that step (the budget is not on its grid)
 */
export function accuracyAtBudget(curve: LambdaCurve, budget: number, lr: number): number {
  const step = Math.round(budget / lr);
  const i = curve.steps.indexOf(step);
  if (i < 0) throw new Error(`the run at λ = ${curve.lambda}, seed ${curve.seed} has no evaluation at step ${step} (budget ${budget})`);
  return curve.testAcc[i];
}

/**
 * Trains (or reloads from `dir`) every run the two figures need; see PaperRegimeRunsOptions.
 * @param o - network, data, optimizer, λ grid, budgets, short-run settings, seeds and folder
 * @returns the budgets on the evaluation grid, the long runs' curves and the predictions
 * @throws InputError for bad options (fewer than 3 λ, λ ≤ 0, repeated seeds, budgets that coincide on the grid)
 */
export async function paperRegimeRuns(o: PaperRegimeRunsOptions): Promise<PaperRegimeRuns> {
  if (o.lambdas.length < 3) throw new InputError(`the λ grid needs at least 3 values, got ${o.lambdas.length}`);
  for (const l of o.lambdas) if (!(l > 0)) throw new InputError(`every grid λ must be > 0, got ${l}`);
  if (new Set(o.lambdas).size !== o.lambdas.length) throw new InputError(`the grid λ must differ, got ${o.lambdas.join(', ')}`);
  if (o.seeds.length === 0 || new Set(o.seeds).size !== o.seeds.length) throw new InputError(`the seeds must be at least one and differ, got ${o.seeds.join(', ')}`);
  if (!(o.budgetFactor > 0)) throw new InputError(`the budget factor c′ must be > 0, got ${o.budgetFactor}`);
  if (o.predictBudgets.length === 0) throw new InputError('at least one prediction budget is needed');
  const perDecade = o.evalsPerDecade ?? 12;
  const snap = (t: number) => snapBudget(t, o.lr, perDecade);
  const lambdas = [...o.lambdas].sort((a, b) => a - b);
  const inverseBudgets = lambdas.map((l) => snap(o.budgetFactor / l));
  const fixedBudget = snap(o.fixedBudget);
  const predictBudgets = o.predictBudgets.map(snap).sort((a, b) => a - b);
  for (let i = 1; i < predictBudgets.length; i++) {
    if (predictBudgets[i] === predictBudgets[i - 1]) throw new InputError(`two prediction budgets fall on the same evaluation step (T = ${predictBudgets[i]}); space them further apart`);
  }
  const maxBudget = Math.max(...inverseBudgets, fixedBudget, ...predictBudgets);
  const maxSteps = Math.round(maxBudget / o.lr);
  // every budget must be an evaluation of the long runs (guards the snapping against a changed grid rule)
  const grid = new Set(evalSteps(maxSteps, perDecade));
  for (const b of [...inverseBudgets, fixedBudget, ...predictBudgets]) if (!grid.has(Math.round(b / o.lr))) throw new Error(`budget ${b} is not on the evaluation grid`);

  const pool = runPool(o.jobs ?? 1);
  // each run reported once (every budget of a seed asks for the same short run), the seed's folder in the name
  const reported = new Set<string>();
  const report = (name: string, result: TrainResult, reused: boolean) => {
    if (reported.has(name)) return;
    reported.add(name);
    o.onRun?.(name, result, reused);
  };
  const common = { spec: o.spec, data: o.data, lr: o.lr, loss: o.loss, batchSize: o.batchSize, momentum: o.momentum, evalsPerDecade: perDecade, evalTrainSize: o.evalTrainSize, backend: o.backend, maxMemoryBytes: o.maxMemoryBytes };
  const longRun = async (lambda: number, seed: number): Promise<LambdaCurve> => {
    const name = `long_${runName({ lambda, steps: maxSteps, seed })}`;
    const { result, reused } = await pool.run({ ...common, lambda, seed, budget: maxBudget, dir: join(o.dir, 'runs', name) });
    report(name, result, reused);
    return { lambda, seed, steps: result.records.map((r) => r.step), t: result.records.map((r) => r.t), testAcc: result.records.map((r) => r.testAcc) };
  };
  // a short run without a t* leaves its seed without a prediction (recorded, with the reason); any other error stops the figure
  const predict = (budget: number, seed: number): Promise<PredictLambdaResult | NoPrediction> =>
    predictLambda(
      { ...common, budget, seed, lambda0: o.lambda0, shortFactor: o.shortFactor, metric: o.metric, refineShort: true, grid: [], dir: join(o.dir, `seed=${seed}`), onRun: (name, result, reused) => report(`seed=${seed}/${name}`, result, reused) },
      pool,
    ).catch((e: unknown) => {
      if (e instanceof NoPredictionError) return e.facts;
      throw e;
    });
  // all at once: the pool trains at most `jobs` at a time, and the short run every budget of a seed asks for is trained once
  const [curves, outcomes] = await Promise.all([
    Promise.all([0, ...lambdas].flatMap((lambda) => o.seeds.map((seed) => longRun(lambda, seed)))),
    Promise.all(predictBudgets.map(async (budget) => ({ budget, perSeed: await Promise.all(o.seeds.map((seed) => predict(budget, seed))) }))),
  ]);
  const isNone = (p: PredictLambdaResult | NoPrediction): p is NoPrediction => 'reason' in p;
  // the short run is one per seed, so a seed without a prediction lacks it at every budget: listed once
  const noPrediction = outcomes[0].perSeed.filter(isNone);
  const predictions = outcomes.map(({ budget, perSeed }) => ({ budget, perSeed: perSeed.map((p) => (isNone(p) ? null : p)) }));
  return { lr: o.lr, seeds: [...o.seeds], lambdas, budgetFactor: o.budgetFactor, inverseBudgets, fixedBudget, predictBudgets, maxBudget, curves, lambda0: o.lambda0, metric: o.metric ?? 'loss', predictions, noPrediction };
}

/**
 * The long run of (λ, seed) in `runs`.
 * @param runs - the trained runs
 * @param lambda - λ (0: the baseline)
 * @param seed - the seed
 * @returns its curve
 */
export function curveOf(runs: PaperRegimeRuns, lambda: number, seed: number): LambdaCurve {
  const c = runs.curves.find((x) => x.lambda === lambda && x.seed === seed);
  if (!c) throw new Error(`no run at λ = ${lambda}, seed ${seed}`);
  return c;
}
