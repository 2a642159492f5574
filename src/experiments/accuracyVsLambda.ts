import { meanStderr } from '../util/stats.js';
import { allOf, boundVerdict, intervalVerdict, type Claim, type Verdict } from './claim.js';
import { accuracyAtBudget, curveOf, type PaperRegimeRuns } from './paperRegimeRuns.js';

/** Accuracies of one λ at one budget: per seed (in the runs' seed order), their mean and standard error. */
export interface AccuracyPoint {
  /** λ (0: the baseline). */
  lambda: number;
  /** The budget T (physical time) at whose end the accuracy is read. */
  budget: number;
  /** Final test accuracy per seed, in [0, 1]. */
  acc: number[];
  /** Mean over seeds. */
  mean: number;
  /** Standard error of the mean (0 with one seed). */
  stderr: number;
}

/** A difference paired by seed: per seed, mean and standard error. */
export interface PairedDifference {
  /** Per seed. */
  perSeed: number[];
  /** Mean over seeds. */
  mean: number;
  /** Standard error of the mean. */
  stderr: number;
}

/** How many of the smallest λ form the plateau of the budget ∝ 1/λ curve. */
export const PLATEAU_LAMBDAS = 3;

/** The plateau's tolerance: accuracies within this (1 point) of each other count as not depending on λ. */
export const PLATEAU_TOLERANCE = 0.01;

/** The figure accuracy_vs_lambda's numbers (the paper's Fig. 1a). */
export interface AccuracyVsLambdaResult {
  /** The seeds. */
  seeds: number[];
  /** c′ of the budget ∝ 1/λ. */
  budgetFactor: number;
  /** Per grid λ (ascending), its accuracy at the end of its budget c′/λ. */
  inverse: AccuracyPoint[];
  /** Per grid λ, its accuracy at the end of the fixed budget. */
  fixed: AccuracyPoint[];
  /** λ = 0 at the end of the longest of the budgets c′/λ. */
  baseline: AccuracyPoint;
  /** The plateau test: the smallest PLATEAU_LAMBDAS λ, and every pair's accuracy difference (larger λ − smaller), paired by seed. */
  plateau: { lambdas: number[]; pairs: { lambdas: [number, number]; diff: PairedDifference }[] };
  /** Mean accuracy over the plateau's λ minus the baseline's, paired by seed. */
  overBaseline: PairedDifference;
}

const point = (lambda: number, budget: number, acc: number[]): AccuracyPoint => ({ lambda, budget, acc, ...meanStderr(acc) });
const paired = (v: number[]): PairedDifference => ({ perSeed: v, ...meanStderr(v) });

/**
 * Test accuracy against λ for a fixed budget and for a budget ∝ 1/λ, with λ = 0 at the longest of those budgets,
 * read from the shared runs; and the numbers of the plateau claim.
 * @param runs - the shared runs (`paperRegimeRuns`)
 * @returns the accuracies per λ and budget, the baseline, the plateau pairs and the gain over the baseline
 */
export function accuracyVsLambda(runs: PaperRegimeRuns): AccuracyVsLambdaResult {
  const at = (lambda: number, budget: number) => runs.seeds.map((s) => accuracyAtBudget(curveOf(runs, lambda, s), budget, runs.lr));
  const inverse = runs.lambdas.map((l, i) => point(l, runs.inverseBudgets[i], at(l, runs.inverseBudgets[i])));
  const fixed = runs.lambdas.map((l) => point(l, runs.fixedBudget, at(l, runs.fixedBudget)));
  const longest = Math.max(...runs.inverseBudgets);
  const baseline = point(0, longest, at(0, longest));
  return { seeds: [...runs.seeds], budgetFactor: runs.budgetFactor, inverse, fixed, baseline, ...plateauNumbers(inverse, baseline) };
}

/**
 * The plateau's numbers from per-seed accuracies: every pair among the smallest PLATEAU_LAMBDAS λ (difference
 * larger λ − smaller, paired by seed), and the plateau's mean accuracy minus the baseline's (paired by seed).
 * @param inverse - accuracies at budgets ∝ 1/λ, ascending λ
 * @param baseline - λ = 0
 * @returns the plateau pairs and the gain over the baseline
 */
export function plateauNumbers(inverse: readonly AccuracyPoint[], baseline: AccuracyPoint): Pick<AccuracyVsLambdaResult, 'plateau' | 'overBaseline'> {
  const low = inverse.slice(0, PLATEAU_LAMBDAS);
  const pairs: AccuracyVsLambdaResult['plateau']['pairs'] = [];
  for (let i = 0; i < low.length; i++) {
    for (let j = i + 1; j < low.length; j++) pairs.push({ lambdas: [low[i].lambda, low[j].lambda], diff: paired(low[j].acc.map((a, s) => a - low[i].acc[s])) });
  }
  const plateauMean = baseline.acc.map((_, s) => low.reduce((sum, p) => sum + p.acc[s], 0) / low.length);
  return { plateau: { lambdas: low.map((p) => p.lambda), pairs }, overBaseline: paired(plateauMean.map((a, s) => a - baseline.acc[s])) };
}

/**
 * The verdict of the plateau claim: every pair's mean difference ± 2 s.e. inside ±PLATEAU_TOLERANCE (intervalVerdict),
 * and the plateau above the λ = 0 baseline (boundVerdict: every seed, or the mean by more than 2 s.e.); both must hold.
 * @param r - the plateau pairs and the gain over the baseline
 * @returns the verdict
 */
export function plateauVerdict(r: Pick<AccuracyVsLambdaResult, 'plateau' | 'overBaseline'>): Verdict {
  if (r.plateau.pairs.length === 0) return 'not resolved';
  return allOf([...r.plateau.pairs.map((p) => intervalVerdict(p.diff.mean, p.diff.stderr, -PLATEAU_TOLERANCE, PLATEAU_TOLERANCE)), boundVerdict(r.overBaseline.perSeed, 0, 'above')]);
}

const pts = (v: number) => (100 * v).toFixed(2);

/**
 * The claim of accuracy_vs_lambda, with its measured numbers, its rule and its verdict.
 * @param r - the figure's numbers
 * @returns the claim
 */
export function accuracyVsLambdaClaim(r: AccuracyVsLambdaResult): Claim {
  const acc = (p: AccuracyPoint) => `${pts(p.mean)} ± ${pts(p.stderr)}`;
  return {
    figure: 'accuracy_vs_lambda',
    claim: `with the budget ∝ 1/λ (T = c′/λ) the test accuracy stops depending on λ at small λ (the smallest ${PLATEAU_LAMBDAS} λ within ${pts(PLATEAU_TOLERANCE)} point of each other) and is at least that of λ = 0 trained for the longest budget`,
    measured: `${r.seeds.length} seeds; budget ∝ 1/λ: ${r.inverse.map((p) => `λ = ${p.lambda.toExponential(1)} (T = ${+p.budget.toPrecision(4)}): ${acc(p)}%`).join(', ')}; λ = 0 (T = ${+r.baseline.budget.toPrecision(4)}): ${acc(r.baseline)}%; plateau differences ${r.plateau.pairs.map((p) => `${pts(p.diff.mean)} ± ${pts(p.diff.stderr)}`).join(', ')} points; plateau − λ = 0: ${pts(r.overBaseline.mean)} ± ${pts(r.overBaseline.stderr)} points (per seed ${r.overBaseline.perSeed.map(pts).join(', ')})`,
    rule: `paired by seed, final test accuracies on the whole test set (exact: no grid resolution). (1) Plateau: for every pair of the smallest ${PLATEAU_LAMBDAS} λ, the accuracy difference: holds if its mean ± 2 s.e. lies inside ±${pts(PLATEAU_TOLERANCE)} point, does not hold if it lies entirely outside, otherwise not resolved. (2) Baseline: the plateau's mean accuracy minus λ = 0's: holds if above 0 in every seed or by more than 2 s.e. on the mean, does not hold if below 0 by more than 2 s.e., otherwise not resolved. The claim holds if both hold, does not hold if either does not`,
    verdict: plateauVerdict(r),
  };
}
