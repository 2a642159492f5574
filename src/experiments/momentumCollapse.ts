import { join } from 'node:path';
import { momentumCollapseFigure } from '../figures/paperRegimeAuto.js';
import type { Figure } from '../figures/figure.js';
import { parseSpec } from '../layers/json.js';
import { boundRule, boundVerdict, type Claim } from './claim.js';
import { bundledImageDataset } from './dataset.js';
import { PAPER_SETUPS } from './paperSetups.js';
import { lambdaSweep, type SweepResult, type SweepRow } from './sweep.js';

/**
 * The sizes of the collapse-across-η figure with momentum (issue 13, item 5; the paper's Fig. 2): the 'cnn' setup
 * (src/experiments/paperSetups.ts) at base width `width` with the setup's momentum and cross-entropy on `data` as
 * 14×14 digits, one run per (λ, η, seed) for budget T = budgetFactor/λ (`lambdaSweep`, t* refined to 2%).
 */
export interface MomentumCollapseSettings {
  /** Base channel count of the 'cnn' net (c, 2c channels). */
  width: number;
  /** Bundled digits, "mnist:N_TRAIN:N_TEST" (as 14×14 images). */
  data: string;
  /** Mini-batch size. */
  batch: number;
  /** Learning rates η (at least 3). */
  lrs: number[];
  /** λ values (at least 2, as `lambdaSweep` asks). */
  lambdas: number[];
  /** Budget T = budgetFactor/λ: long enough to pass the peak (λ·t* ≈ 0.1–0.2 with momentum 0.9). */
  budgetFactor: number;
  /** Seeds of every (λ, η). */
  seeds: number[];
  /** Evaluations per decade of steps (before refinement). */
  evalsPerDecade: number;
  /** Training points behind the logged train loss/accuracy (not used by the claim; kept small for speed). */
  evalTrainSize: number;
}

/**
 * The settings at the small defaults (`npm start`, ≤ 60 s on a quiet 2-core machine) or at `--full`
 * (paper-like: the setup's width 64 and batch 128, 2048/1000 digits, 4 η over a factor 8, 3 λ over a decade,
 * 2 seeds: 24 runs, ~34k steps in all).
 * @param full - the acceptance-sized settings
 * @returns the settings
 */
export function momentumCollapseSettings(full: boolean): MomentumCollapseSettings {
  const cnn = PAPER_SETUPS.cnn;
  return full
    ? { width: cnn.fullWidth, data: 'mnist:2048:1000', batch: cnn.batch, lrs: [0.05, 0.1, 0.2, 0.4], lambdas: [3.16e-3, 1e-2, 3.16e-2], budgetFactor: 1, seeds: [0, 1], evalsPerDecade: 24, evalTrainSize: 1024 }
    : { width: 8, data: 'mnist:256:200', batch: 32, lrs: [0.2, 0.4, 0.8], lambdas: [0.01, 0.02], budgetFactor: 0.5, seeds: [0], evalsPerDecade: 8, evalTrainSize: 64 };
}

/** What `momentumCollapse` returns: the sweep, the figure, the claim and the settings that made them. */
export interface MomentumCollapseOutcome {
  sweep: SweepResult;
  figure: Figure;
  claim: Claim;
  settings: MomentumCollapseSettings;
}

/**
 * λ·t* across learning rates with heavy-ball momentum on the paper's CNN: `lambdaSweep` over the λ and η of the
 * settings (runs kept in WORK/collapse_momentum and reused), with its figure and claim.
 * @param o - the settings (see MomentumCollapseSettings), the work folder, parallel runs and a log line sink (one line per run)
 * @returns the sweep, the figure, the claim and the settings
 */
export async function momentumCollapse(o: { settings: MomentumCollapseSettings; work: string; jobs?: number; log?: (l: string) => void }): Promise<MomentumCollapseOutcome> {
  const s = o.settings;
  const cnn = PAPER_SETUPS.cnn;
  const data = bundledImageDataset(s.data, { size: cnn.imageSize });
  const spec = parseSpec(cnn.arch(s.width));
  o.log?.(`collapse across η with momentum ('cnn', width ${s.width}): ${s.lambdas.length} λ × ${s.lrs.length} η × ${s.seeds.length} seeds, budgets ${s.budgetFactor}/λ…`);
  const sweep = await lambdaSweep({
    spec,
    data,
    lambdas: s.lambdas,
    lrs: s.lrs,
    seeds: s.seeds,
    budgetFactor: s.budgetFactor,
    loss: cnn.loss,
    momentum: cnn.momentum,
    batchSize: s.batch,
    evalsPerDecade: s.evalsPerDecade,
    evalTrainSize: s.evalTrainSize,
    refine: {},
    dir: join(o.work, 'collapse_momentum'),
    jobs: o.jobs,
    onRunDone: (row, reused) => o.log?.(`  λ = ${row.lambda}, η = ${row.lr}, seed ${row.seed}: ${reused ? 'reused' : `${row.wallSeconds.toFixed(0)} s`}, λ·t*(acc) = ${row.lambdaTStarAcc.toPrecision(3)}${row.accAtEdge ? ' (at the end of the budget)' : ''}`),
  });
  return { sweep, figure: momentumCollapseFigure(sweep, momentumCollapseContext(s)), claim: momentumCollapseClaim(sweep), settings: s };
}

/** The data and settings of the figure in words (its subtitle). */
export function momentumCollapseContext(s: MomentumCollapseSettings): string {
  const cnn = PAPER_SETUPS.cnn;
  const [nTrain, nTest] = s.data.slice(6).split(':');
  return `MNIST ${nTrain} train / ${nTest} test (bundled digits, unit-norm); ${cnn.description}; base width ${s.width}; SGD with momentum ${cnn.momentum}, batch ${s.batch}, cross-entropy, float32 (tfjs); budgets T = ${s.budgetFactor}/λ; ${s.seeds.length} seed${s.seeds.length === 1 ? '' : 's'} per (λ, η)`;
}

/**
 * Per λ (and seed), the spread (max − min)/mean across η of λ·t* (t* of the best test accuracy), leaving out a
 * (λ, seed) with fewer than two η or any run whose t* is at the end of its budget.
 * @param rows - the sweep's rows
 * @returns one spread per (λ, seed) kept, with its λ and seed
 */
export function collapseSpreads(rows: readonly SweepRow[]): { lambda: number; seed: number; spread: number; values: number[] }[] {
  const keys = [...new Set(rows.map((r) => `${r.lambda}|${r.seed}`))];
  return keys.flatMap((k) => {
    const rs = rows.filter((r) => `${r.lambda}|${r.seed}` === k);
    if (rs.length < 2 || rs.some((r) => r.accAtEdge)) return [];
    const v = rs.map((r) => r.lambdaTStarAcc);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return [{ lambda: rs[0].lambda, seed: rs[0].seed, spread: (Math.max(...v) - Math.min(...v)) / mean, values: v }];
  });
}

/** The spread below which λ·t* counts as independent of η (as the plain-SGD collapse figure). */
export const COLLAPSE_SPREAD_BOUND = 0.3;

/**
 * The claim of the figure: with momentum, λ·t* does not depend on η (spread across η below 30% at each λ,
 * paired by λ and seed), decided by `boundVerdict` with 2 × the worst t* resolution as the resolution.
 * @param sweep - the sweep
 * @returns the claim with its measured numbers, rule and verdict
 */
export function momentumCollapseClaim(sweep: SweepResult): Claim {
  const spreads = collapseSpreads(sweep.rows);
  const kept = sweep.rows.filter((r) => !r.accAtEdge);
  const res = kept.length ? Math.max(...kept.map((r) => r.tStarAccResolution)) : Infinity;
  const fmtRes = (r: number) => (Number.isFinite(r) ? `${(100 * r).toFixed(1)}%` : 'unknown');
  const lrs = [...new Set(sweep.rows.map((r) => r.lr))];
  const edges = sweep.rows.filter((r) => r.accAtEdge).length;
  return {
    figure: 'collapse_momentum',
    claim: `with momentum, c = λ·t* does not depend on the learning rate: across ${lrs.length} η (${lrs.join(', ')}) its spread stays below ${100 * COLLAPSE_SPREAD_BOUND}% at each λ`,
    measured: `${sweep.perLr.map((p) => `η = ${p.lr}: λ·t* = ${p.cAcc.toFixed(3)}`).join('; ')} (mean over λ, t* of the best test accuracy); spread across η: ${spreads.map((x) => `${(100 * x.spread).toFixed(1)}% at λ = ${x.lambda}${sweep.rows.some((r) => r.seed !== x.seed) ? ` (seed ${x.seed})` : ''}`).join(', ') || 'none measurable'}; ${edges} run${edges === 1 ? '' : 's'} with t* at the end of the budget left out; t* resolved to ${fmtRes(res)}`,
    rule: boundRule('the spread (max − min)/mean of λ·t* across η, at each λ and seed (paired; a λ with any run whose t* is at the end of its budget left out)', `${100 * COLLAPSE_SPREAD_BOUND}%`, 'below', 'λ', `2 × the worst t* resolution = ${fmtRes(2 * res)}`),
    verdict: boundVerdict(spreads.map((x) => x.spread), COLLAPSE_SPREAD_BOUND, 'below', 2 * res),
  };
}
