import { meanStderr } from '../util/stats.js';
import { boundVerdict, type Claim, type Verdict } from './claim.js';
import type { AccuracyPoint, PairedDifference } from './accuracyVsLambda.js';
import { accuracyAtBudget, curveOf, type PaperRegimeRuns } from './paperRegimeRuns.js';
import type { NoPrediction } from './predictLambda.js';

/** The paper's number: the predicted λ's test accuracy is within 0.4 points of the tuned λ's, on average over budgets. */
export const PAPER_GAP = 0.004;

/** One budget of predicted_vs_best_lambda. */
export interface BudgetComparison {
  /** The budget T (physical time). */
  budget: number;
  /** Every grid λ at the end of T (ascending λ). */
  grid: AccuracyPoint[];
  /** The grid λ with the best mean accuracy at T. */
  best: AccuracyPoint;
  /** Each seed's predicted λ = c/T (c from that seed's short run) and its accuracy at the end of T; only the seeds with a prediction, in `seeds`' order. */
  predicted: { seeds: number[]; lambdas: number[]; acc: number[]; mean: number; stderr: number };
  /** The best grid λ's accuracy minus the predicted λ's, paired by seed, over the seeds with a prediction (positive: the grid did better). */
  gap: PairedDifference;
}

/** The figure predicted_vs_best_lambda's numbers (the paper's Fig. 1b). */
export interface PredictedVsBestResult {
  /** The seeds. */
  seeds: number[];
  /** λ0 of the short runs. */
  lambda0: number;
  /** Which t* of the short runs measured c. */
  metric: 'loss' | 'acc';
  /** The paper's gap the claim compares with (PAPER_GAP). */
  paperGap: number;
  /** c = λ0·t* per seed with a prediction (`seeds`), mean and standard error; and those short runs' worst t* resolution (NaN when no seed has one). */
  c: { seeds: number[]; perSeed: number[]; mean: number; stderr: number; resolution: number };
  /** Per budget, ascending. */
  budgets: BudgetComparison[];
  /** Per seed with a prediction the gap averaged over the budgets, and its mean and standard error over those seeds. */
  averageGap: PairedDifference;
  /** The seeds whose short run gave no t* (still improving at its end, or never improved): no prediction, with the reason. */
  noPrediction: NoPrediction[];
  /** The same in words, one phrase per seed (`noPredictionText`), as the figure and the claim print them. */
  noPredictionNotes: string[];
}

/**
 * The predicted λ against the grid's best at each budget, and the accuracy gap, from the shared runs.
 * @param runs - the shared runs (`paperRegimeRuns`)
 * @returns per budget the grid, its best λ, the predicted λ per seed and the gap; the gap averaged over budgets
 */
export function predictedVsBestLambda(runs: PaperRegimeRuns): PredictedVsBestResult {
  const budgets = runs.predictions.map(({ budget, perSeed }) => {
    const grid = runs.lambdas.map((lambda) => {
      const acc = runs.seeds.map((s) => accuracyAtBudget(curveOf(runs, lambda, s), budget, runs.lr));
      return { lambda, budget, acc, ...meanStderr(acc) };
    });
    const predicted = perSeed.flatMap((p, i) => (p ? [{ seed: runs.seeds[i], lambda: p.lambdaPredicted, acc: p.predicted.finalTestAcc }] : []));
    return budgetComparison(budget, grid, predicted, runs.seeds);
  });
  const first = runs.predictions[0].perSeed.flatMap((p, i) => (p ? [{ seed: runs.seeds[i], p }] : []));
  const c = first.map((x) => x.p.c);
  return {
    seeds: [...runs.seeds],
    lambda0: runs.lambda0,
    metric: runs.metric,
    paperGap: PAPER_GAP,
    c: { seeds: first.map((x) => x.seed), perSeed: c, ...meanStderr(c), resolution: first.length ? Math.max(...first.map((x) => x.p.tStar0Resolution)) : NaN },
    budgets,
    averageGap: averageGap(budgets),
    noPrediction: [...runs.noPrediction],
    noPredictionNotes: runs.noPrediction.map(noPredictionText),
  };
}

/**
 * One budget's comparison from per-seed accuracies: the grid's best λ (by the mean over every seed) and its gap to
 * the predicted λ, paired by seed, over the seeds that have a prediction.
 * @param budget - the budget T
 * @param grid - every grid λ's accuracies at T, per seed in `gridSeeds`' order
 * @param predicted - per seed with a prediction: the seed, its predicted λ and that λ's accuracy at T
 * @param gridSeeds - the seeds of the grid's accuracies, in order
 * @returns the comparison
 */
export function budgetComparison(budget: number, grid: AccuracyPoint[], predicted: readonly { seed: number; lambda: number; acc: number }[], gridSeeds: readonly number[]): BudgetComparison {
  const best = grid.reduce((a, b) => (b.mean > a.mean ? b : a));
  const acc = predicted.map((p) => p.acc);
  const gap = predicted.map((p) => {
    const i = gridSeeds.indexOf(p.seed);
    if (i < 0) throw new Error(`seed ${p.seed} has no grid accuracies`);
    return best.acc[i] - p.acc;
  });
  return { budget, grid, best, predicted: { seeds: predicted.map((p) => p.seed), lambdas: predicted.map((p) => p.lambda), acc, ...meanStderr(acc) }, gap: { perSeed: gap, ...meanStderr(gap) } };
}

/**
 * Per seed the gap averaged over the budgets, then mean and standard error over seeds.
 * @param budgets - the per-budget comparisons
 * @returns the averaged gap
 */
export function averageGap(budgets: readonly BudgetComparison[]): PairedDifference {
  // every budget has the same seeds with a prediction (one short run per seed serves them all)
  const seeds = budgets[0].gap.perSeed.length;
  const perSeed = Array.from({ length: seeds }, (_, s) => budgets.reduce((sum, b) => sum + b.gap.perSeed[s], 0) / budgets.length);
  return { perSeed, ...meanStderr(perSeed) };
}

/** The claim needs at least this many budgets… */
export const MIN_BUDGETS = 4;
/** …spanning at least this factor (issue 13). */
export const MIN_BUDGET_SPAN = 10;

/**
 * The verdict of the prediction claim: the gap averaged over budgets below PAPER_GAP (boundVerdict over seeds);
 * 'not resolved' when any seed has no prediction (its short run's t* at its end or at t = 0: the procedure failed
 * there, and the seeds that worked are not the whole sample), and with fewer than MIN_BUDGETS budgets or a span
 * below MIN_BUDGET_SPAN (the claim is about a range of budgets); a 'holds' becomes 'not resolved' when any budget's
 * best grid λ is at the grid's edge (`bestAtGridEdge`).
 * @param r - the budgets, the averaged gap and the seeds without a prediction
 * @returns the verdict
 */
export function predictionVerdict(r: Pick<PredictedVsBestResult, 'averageGap' | 'budgets' | 'noPrediction'>): Verdict {
  if (r.noPrediction.length > 0) return 'not resolved';
  const ts = r.budgets.map((b) => b.budget);
  if (ts.length < MIN_BUDGETS || Math.max(...ts) / Math.min(...ts) < MIN_BUDGET_SPAN * (1 - 1e-9)) return 'not resolved';
  const v = boundVerdict(r.averageGap.perSeed, PAPER_GAP, 'below', 0);
  // A best λ at the grid's edge is a lower bound on the best accuracy, not the best: a small gap to it does not show a
  // small gap to the best λ (so no "holds"), while a large gap to it is a large gap to the best too (the best is at least as good).
  return v === 'holds' && r.budgets.some(bestAtGridEdge) ? 'not resolved' : v;
}

/**
 * Whether a budget's best grid λ is the grid's smallest or largest: the grid does not bracket the best λ there.
 * @param b - one budget's comparison
 * @returns true at the edge
 */
export function bestAtGridEdge(b: Pick<BudgetComparison, 'grid' | 'best'>): boolean {
  return b.grid.length > 0 && (b.best.lambda === b.grid[0].lambda || b.best.lambda === b.grid[b.grid.length - 1].lambda);
}

const pts = (v: number) => (100 * v).toFixed(2);

/**
 * A seed without a prediction in words: "seed 1: the short run (t = 2.5) was still improving its best test accuracy at its end".
 * @param n - the seed's short-run facts
 * @returns one phrase
 */
export function noPredictionText(n: NoPrediction): string {
  const what = n.metric === 'loss' ? 'lowest test loss' : 'best test accuracy';
  return n.reason === 'still improving'
    ? `seed ${n.seed}: no prediction, the short run (λ0 = ${n.lambda0}, t = ${+n.shortBudget.toPrecision(4)}) had its ${what} at its end (t* = ${+n.tStar0.toPrecision(4)}, still improving)`
    : `seed ${n.seed}: no prediction, the short run (λ0 = ${n.lambda0}, t = ${+n.shortBudget.toPrecision(4)}) never improved on its initial ${what.replace(/^(best|lowest) /, '')} (t* = 0)`;
}

/**
 * The claim of predicted_vs_best_lambda, with its measured numbers (per budget and averaged), its rule and its verdict.
 * @param r - the figure's numbers
 * @returns the claim
 */
export function predictedVsBestClaim(r: PredictedVsBestResult): Claim {
  const ts = r.budgets.map((b) => b.budget);
  const some = r.c.perSeed.length > 0;
  const none = r.noPredictionNotes.length ? `; ${r.noPredictionNotes.join('; ')}` : '';
  return {
    figure: 'predicted_vs_best_lambda',
    claim: `the λ = c/T predicted from one short run reaches the grid's best test accuracy within ${pts(PAPER_GAP)} points on average over budgets (the paper's number), for ${ts.length} budgets spanning ${(ts[ts.length - 1] / ts[0]).toFixed(1)}×`,
    measured: some
      ? `${r.seeds.length} seeds, ${r.c.seeds.length} with a prediction (seed ${r.c.seeds.join(', ')}); c = ${r.c.mean.toFixed(4)} ± ${r.c.stderr.toFixed(4)} (λ0 = ${r.lambda0}, t* of the ${r.metric === 'loss' ? 'lowest test loss' : 'best test accuracy'}, resolved to ${(100 * r.c.resolution).toFixed(1)}%); per budget: ${r.budgets
          .map((b) => `T = ${+b.budget.toPrecision(4)}: best grid λ = ${b.best.lambda.toExponential(1)}${bestAtGridEdge(b) ? ' (the grid\'s edge)' : ''}, predicted ${b.predicted.lambdas.map((l) => l.toExponential(1)).join('/')}, gap ${pts(b.gap.mean)} ± ${pts(b.gap.stderr)}`)
          .join('; ')} points; averaged over budgets: ${pts(r.averageGap.mean)} ± ${pts(r.averageGap.stderr)} points (per seed ${r.averageGap.perSeed.map(pts).join(', ')})${none}`
      : `${r.seeds.length} seeds, none with a prediction${none}; per budget the best grid λ: ${r.budgets.map((b) => `T = ${+b.budget.toPrecision(4)}: ${b.best.lambda.toExponential(1)}`).join(', ')}`,
    rule: `per seed, the gap (the best grid λ's final test accuracy − the predicted λ's, at each budget; the best grid λ chosen by the mean over seeds) averaged over the budgets; final accuracies on the whole test set (exact: no grid resolution). Holds if every seed's average is below ${pts(PAPER_GAP)} points or the mean is by more than 2 s.e.; does not hold if the mean is above it by more than 2 s.e.; otherwise not resolved. Not resolved either when any seed has no prediction (its short run's t* at the run's end, i.e. still improving, or at t = 0: the gap is then known for only some seeds), or with fewer than ${MIN_BUDGETS} budgets or a span below ${MIN_BUDGET_SPAN}×; and a "holds" is not resolved when at any budget the best grid λ is the grid's smallest or largest (the grid does not bracket the best λ; a gap above the bound stands, since the best λ does at least as well)`,
    verdict: predictionVerdict(r),
  };
}
