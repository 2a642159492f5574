import { join } from 'node:path';
import { csvTable } from '../io/csvTable.js';
import { logLogSlope } from '../dynamics/observables.js';
import type { NetworkSpec } from '../layers/types.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { LossName } from '../training/loss.js';
import type { RefineOptions } from '../training/evalSchedule.js';
import type { EvalRecord, TrainData } from '../training/trainer.js';
import { InputError } from '../util/errors.js';
import { runPool } from './runPool.js';
import { runName } from './runStore.js';

/**
 * Options of `lambdaSweep`: train one run per (λ, η, seed) with budget T = budgetFactor/λ, in a resumable folder,
 * to measure t* ∝ 1/λ and c = λ·t* across learning rates.
 */
export interface SweepOptions {
  /** The architecture. */
  spec: NetworkSpec;
  /** Training and test sets. */
  data: TrainData;
  /** The λ values (each > 0). */
  lambdas: number[];
  /** The learning rates η (physical time t = η·steps). */
  lrs: number[];
  /** Budget T = budgetFactor/λ per run (default 3): long enough to pass the peak, which sits near λt ≈ 0.1–2. */
  budgetFactor?: number;
  /** Seeds of the runs (default [0]). */
  seeds?: number[];
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
  /** Refine every run's evaluation grid around its t* (TrainOptions.refine; default: off). */
  refine?: RefineOptions;
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Memory ceiling of each run (see TrainOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
  /** Results folder: one sub-folder per run under DIR/runs (finished runs are reused on restart). */
  dir: string;
  /** Runs trained at once, each in its own worker thread (default 1: one after the other on this thread). */
  jobs?: number;
  /** Called before each run with (index, total, run name). */
  onRunStart?: (index: number, total: number, name: string) => void;
  /** Called after each run with its row, whether it was reused from the folder, and its name. */
  onRunDone?: (row: SweepRow, reused: boolean, name: string) => void;
}

export interface SweepRow {
  lambda: number;
  lr: number;
  seed: number;
  budget: number;
  tStarAcc: number;
  tStarLoss: number;
  lambdaTStarAcc: number;
  lambdaTStarLoss: number;
  bestTestAcc: number;
  bestTestLoss: number;
  /** The best came at the last evaluation: the budget ran out before the peak (excluded from fits). */
  accAtEdge: boolean;
  lossAtEdge: boolean;
  /** Relative time resolution of tStarAcc and tStarLoss (TrainResult). */
  tStarAccResolution: number;
  tStarLossResolution: number;
  wallSeconds: number;
}

export interface Slope {
  slope: number;
  stderr: number;
  /** Runs in the fit. */
  runs: number;
}

/** The result of `lambdaSweep`: one row per run, the pooled and per-η slopes of log t* against log λ, c = λ·t* per η and its spread, and the curves. */
export interface SweepResult {
  /** One row per run. */
  rows: SweepRow[];
  /** log t* against log λ over every η (pooled), from the time of best test accuracy and of lowest test loss. */
  slopeAcc: Slope;
  /** The same slope from the times of the lowest test loss. */
  slopeLoss: Slope;
  /** Per learning rate: the slopes and c = λ·t* (mean over λ). */
  perLr: { lr: number; slopeAcc: Slope; slopeLoss: Slope; cAcc: number; cLoss: number }[];
  /** (max − min)/mean of c across learning rates: the check that c does not depend on η. */
  cSpreadAcc: number;
  /** The same spread for c from the test loss. */
  cSpreadLoss: number;
  /** Test accuracy and loss against t for every run, for the collapse figure. */
  curves: { lambda: number; lr: number; seed: number; t: number[]; testAcc: number[]; testLoss: number[] }[];
}

/**
 * A grid of λ (and η, and seeds) with budgets T ∝ 1/λ: t* of every run, the log-log slope of t* against λ
 * with its standard error, λ·t* per η (the check that c does not depend on η) and the curves for the collapse
 * against λ·t. Each run lives in its own folder, so a killed sweep restarts without redoing finished runs.
 * @param opts - the network, data, λ values (at least two), learning rates, seeds, budget factor and the folder (see SweepOptions)
 * @returns every run's row, the slopes of log t* against log λ (pooled and per η), c = λ·t* per η and its spread, the curves
 * @throws InputError for bad options, or a folder ntk did not create
 */
export async function lambdaSweep(opts: SweepOptions): Promise<SweepResult> {
  if (opts.lambdas.length < 2) throw new InputError('a sweep needs at least two λ values');
  for (const l of opts.lambdas) if (!(l > 0)) throw new InputError(`every λ of a sweep must be > 0, got ${l}`);
  for (const e of opts.lrs) if (!(e > 0)) throw new InputError(`every learning rate must be > 0, got ${e}`);
  const factor = opts.budgetFactor ?? 3;
  if (!(factor > 0)) throw new InputError(`the budget factor must be > 0, got ${factor}`);
  const seeds = opts.seeds ?? [0];
  const plan: { lambda: number; lr: number; seed: number }[] = [];
  for (const lr of opts.lrs) for (const lambda of opts.lambdas) for (const seed of seeds) plan.push({ lambda, lr, seed });
  const pool = runPool(opts.jobs ?? 1);
  const done = await Promise.all(
    plan.map(async (p, i) => {
      const name = runName(p);
      const budget = factor / p.lambda;
      const { result, reused } = await pool.run(
        {
          spec: opts.spec,
          data: opts.data,
          lr: p.lr,
          budget,
          lambda: p.lambda,
          seed: p.seed,
          loss: opts.loss,
          batchSize: opts.batchSize,
          momentum: opts.momentum,
          evalsPerDecade: opts.evalsPerDecade,
          evalTrainSize: opts.evalTrainSize,
          refine: opts.refine,
          backend: opts.backend,
          maxMemoryBytes: opts.maxMemoryBytes,
          dir: join(opts.dir, 'runs', name),
        },
        () => opts.onRunStart?.(i, plan.length, name),
      );
      const row: SweepRow = {
        ...p,
        budget,
        tStarAcc: result.tStarAcc,
        tStarLoss: result.tStarLoss,
        lambdaTStarAcc: p.lambda * result.tStarAcc,
        lambdaTStarLoss: p.lambda * result.tStarLoss,
        bestTestAcc: result.bestTestAcc,
        bestTestLoss: result.bestTestLoss,
        accAtEdge: result.accAtEdge,
        lossAtEdge: result.lossAtEdge,
        tStarAccResolution: result.tStarAccResolution,
        tStarLossResolution: result.tStarLossResolution,
        wallSeconds: result.wallSeconds,
      };
      opts.onRunDone?.(row, reused, name);
      return { row, curve: { ...p, ...curveOf(result.records) } };
    }),
  );
  // in plan order, whatever order the runs finished in
  const rows: SweepRow[] = done.map((d) => d.row);
  const curves: SweepResult['curves'] = done.map((d) => d.curve);
  const fit = (rs: SweepRow[], key: 'tStarAcc' | 'tStarLoss', edge: 'accAtEdge' | 'lossAtEdge'): Slope => {
    const ok = rs.filter((r) => !r[edge] && r[key] > 0);
    if (ok.length < 2) return { slope: NaN, stderr: NaN, runs: ok.length };
    const f = logLogSlope(ok.map((r) => r.lambda), ok.map((r) => r[key]));
    return { slope: f.slope, stderr: f.stderr, runs: ok.length };
  };
  const meanC = (rs: SweepRow[], key: 'lambdaTStarAcc' | 'lambdaTStarLoss', edge: 'accAtEdge' | 'lossAtEdge'): number => {
    const ok = rs.filter((r) => !r[edge] && r[key] > 0);
    return ok.reduce((s, r) => s + r[key], 0) / Math.max(ok.length, 1);
  };
  const perLr = opts.lrs.map((lr) => {
    const rs = rows.filter((r) => r.lr === lr);
    return { lr, slopeAcc: fit(rs, 'tStarAcc', 'accAtEdge'), slopeLoss: fit(rs, 'tStarLoss', 'lossAtEdge'), cAcc: meanC(rs, 'lambdaTStarAcc', 'accAtEdge'), cLoss: meanC(rs, 'lambdaTStarLoss', 'lossAtEdge') };
  });
  const spread = (v: number[]): number => (v.length < 2 ? 0 : (Math.max(...v) - Math.min(...v)) / (v.reduce((a, b) => a + b, 0) / v.length));
  return {
    rows,
    slopeAcc: fit(rows, 'tStarAcc', 'accAtEdge'),
    slopeLoss: fit(rows, 'tStarLoss', 'lossAtEdge'),
    perLr,
    cSpreadAcc: spread(perLr.map((p) => p.cAcc)),
    cSpreadLoss: spread(perLr.map((p) => p.cLoss)),
    curves,
  };
}

function curveOf(records: EvalRecord[]): { t: number[]; testAcc: number[]; testLoss: number[] } {
  return { t: records.map((r) => r.t), testAcc: records.map((r) => r.testAcc), testLoss: records.map((r) => r.testLoss) };
}

/** The sweep table as CSV (one row per run), columns named as in sweep.json (camelCase), float32 results at float32 precision. */
export function sweepCsv(res: SweepResult): string {
  const keys = ['lambda', 'lr', 'seed', 'budget', 'tStarAcc', 'tStarLoss', 'lambdaTStarAcc', 'lambdaTStarLoss', 'bestTestAcc', 'bestTestLoss', 'accAtEdge', 'lossAtEdge'] as const;
  return csvTable(res.rows, keys, { float32: true });
}
