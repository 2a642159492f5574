import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccuracyPoint, AccuracyVsLambdaResult } from '../../src/experiments/accuracyVsLambda.js';
import type { Claim } from '../../src/experiments/claim.js';
import { lambdaChoiceFigures } from '../../src/experiments/lambdaChoiceFigures.js';
import { snapBudget } from '../../src/experiments/paperRegimeRuns.js';
import { averageGap, bestAtGridEdge, budgetComparison, noPredictionText, PAPER_GAP, predictionVerdict, type BudgetComparison, type PredictedVsBestResult } from '../../src/experiments/predictedVsBestLambda.js';
import type { NoPrediction } from '../../src/experiments/predictLambda.js';
import { runName } from '../../src/experiments/runStore.js';
import { writeFigure, type Figure } from '../../src/figures/figure.js';
import { meanStderr } from '../../src/util/stats.js';
import { TINY } from './lambdaChoiceTiny.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-predvb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Trace = { x: number[]; y: number[]; name: string; error_y?: { array: number[] } };
const readJson = <T>(f: string) => JSON.parse(readFileSync(f, 'utf8')) as T;

describe('predicted_vs_best_lambda at a tiny size', () => {
  let fig: Figure;
  let claim: Claim;
  let num: PredictedVsBestResult;
  const work = join(dir, 'work');
  const r = TINY.runs;
  const root = join(work, 'lambda-choice');
  const snap = (t: number) => snapBudget(t, r.lr, 12);
  const maxSteps = Math.round(Math.max(...r.lambdas.map((l) => snap(r.budgetFactor / l)), snap(r.fixedBudget), ...r.predictBudgets.map(snap)) / r.lr);
  const logged = (lambda: number, seed: number, budget: number): number => {
    const recs = readFileSync(join(root, 'runs', `long_${runName({ lambda, steps: maxSteps, seed })}`, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; testAcc: number });
    return recs.find((x) => x.step === Math.round(budget / r.lr))!.testAcc;
  };

  beforeAll(async () => {
    const out = await lambdaChoiceFigures(new Set(['predicted_vs_best_lambda']), { work, jobs: 1, backend: 'wasm', log: () => undefined, settings: TINY });
    expect(out.figures.map((f) => f.name)).toEqual(['predicted_vs_best_lambda']);
    fig = out.figures[0];
    claim = out.claims[0];
    num = fig.numbers as unknown as PredictedVsBestResult;
  }, 120_000); // ~25 s at load 10 on 2 cores

  it("c comes from each seed's short run, and every accuracy from the runs' results files", () => {
    // c = λ0·t* of the short run's best test accuracy (its result.json), per seed
    const c = r.seeds.map((s) => r.lambda0 * readJson<{ tStarAcc: number }>(join(root, `seed=${s}`, 'runs', `short_${runName({ lambda: r.lambda0 })}`, 'result.json')).tStarAcc);
    expect(num.c.perSeed).toEqual(c);
    expect(num.budgets.map((b) => Math.round(b.budget / r.lr))).toEqual([1, 2, 5, 10]);
    for (const b of num.budgets) {
      for (const g of b.grid) expect(g.acc).toEqual(r.seeds.map((s) => logged(g.lambda, s, b.budget)));
      // the best grid λ by the mean over seeds
      expect(b.best.mean).toBe(Math.max(...b.grid.map((g) => g.mean)));
      // each seed's predicted λ = c/T, trained for T in its own folder: its final accuracy
      r.seeds.forEach((s, i) => {
        expect(b.predicted.lambdas[i]).toBeCloseTo(c[i] / b.budget, 12);
        const res = readJson<{ finalTestAcc: number; steps: number }>(join(root, `seed=${s}`, 'runs', `predicted_${runName({ lambda: b.predicted.lambdas[i] })}`, 'result.json'));
        expect(res.steps).toBe(Math.round(b.budget / r.lr));
        expect(b.predicted.acc[i]).toBe(res.finalTestAcc);
        expect(b.gap.perSeed[i]).toBe(b.best.acc[i] - res.finalTestAcc);
      });
    }
    // one short run per seed, shared by every budget
    for (const s of r.seeds) expect(readdirSync(join(root, `seed=${s}`, 'runs')).filter((n) => n.startsWith('short_'))).toHaveLength(1);
    expect(num.averageGap.perSeed).toEqual(r.seeds.map((_, i) => num.budgets.reduce((a, b) => a + b.gap.perSeed[i], 0) / num.budgets.length));
  });

  it('draws those numbers, writes them to the JSON beside the HTML, and decides the claim by its rule', async () => {
    const traces = fig.traces as Trace[];
    const ts = num.budgets.map((b) => b.budget);
    const best = traces.find((t) => t.name.startsWith('grid λ with the best'))!;
    expect(best.x).toEqual(ts);
    expect(best.y).toEqual(num.budgets.map((b) => b.best.lambda));
    expect(traces.find((t) => t.name.startsWith('predicted λ'))!.y).toEqual(num.budgets.flatMap((b) => b.predicted.lambdas));
    const gap = traces.find((t) => t.name.startsWith('gap: best'))!;
    expect(gap.y).toEqual(num.budgets.map((b) => 100 * b.gap.mean));
    expect(gap.error_y!.array).toEqual(num.budgets.map((b) => 100 * b.gap.stderr));
    const w = await writeFigure(fig, join(dir, 'figs'), null);
    const json = readJson<PredictedVsBestResult & { plotly: { data: unknown } }>(w.json);
    expect(json.plotly.data).toEqual(fig.traces);
    expect(json.budgets).toEqual(num.budgets);
    expect(json.averageGap).toEqual(num.averageGap);
    expect(readFileSync(w.html, 'utf8')).toContain(JSON.stringify(fig.traces).replace(/</g, '\\u003c'));
    expect(claim.figure).toBe('predicted_vs_best_lambda');
    expect(claim.verdict).toBe(predictionVerdict(json));
    expect(claim.measured).toContain(`averaged over budgets: ${(100 * json.averageGap.mean).toFixed(2)} ± ${(100 * json.averageGap.stderr).toFixed(2)} points`);
    expect(claim.claim).toContain('4 budgets spanning 10.0×');
  });
});

describe('predicted_vs_best_lambda when some seeds get no prediction (tiny size)', () => {
  // λ0 = 0.1 for 0.1/λ0 = 1 (4 steps of η = 0.3): seed 0's best test accuracy is at the last step (still improving),
  // seed 2's never rises above its initial value (t* = 0), seed 1 peaks at t = 0.9 inside the run (found by trying seeds)
  const settings = { ...TINY, runs: { ...TINY.runs, seeds: [0, 1, 2], shortFactor: 0.1 } };
  const work = join(dir, 'work-none');
  const root = join(work, 'lambda-choice');
  const r = settings.runs;
  const shortResult = (s: number) => readJson<{ tStarAcc: number; accAtEdge: boolean; steps: number }>(join(root, `seed=${s}`, 'runs', `short_${runName({ lambda: r.lambda0 })}`, 'result.json'));
  let out: Awaited<ReturnType<typeof lambdaChoiceFigures>>;
  const lines: string[] = [];

  beforeAll(async () => {
    out = await lambdaChoiceFigures(new Set(['accuracy_vs_lambda', 'predicted_vs_best_lambda']), { work, jobs: 1, backend: 'wasm', log: (l) => lines.push(l), settings });
  }, 180_000); // ~20 s alone: 3 seeds × (4 long runs of 10 steps, a 4-step short run), 4 predicted runs of seed 1

  it('records the two seeds without a prediction, with the reason read from their short runs, and computes the rest', () => {
    expect(out.figures.map((f) => f.name)).toEqual(['accuracy_vs_lambda', 'predicted_vs_best_lambda']);
    const num = out.figures[1].numbers as unknown as PredictedVsBestResult;
    // the short runs themselves (result.json): seed 0 at its edge, seed 2 never improved, seed 1 inside
    const [s0, s1, s2] = [0, 1, 2].map(shortResult);
    expect([s0.accAtEdge, s0.tStarAcc > 0, s1.accAtEdge, s1.tStarAcc > 0, s2.tStarAcc]).toEqual([true, true, false, true, 0]);
    // 0.1/λ0 = 1 is 4 steps of η = 0.3: the short run lasts t = 1.2
    expect([s0.steps, s2.steps]).toEqual([Math.ceil(r.shortFactor! / r.lambda0 / r.lr), Math.ceil(r.shortFactor! / r.lambda0 / r.lr)]);
    expect(num.noPrediction).toEqual([
      { seed: 0, lambda0: r.lambda0, metric: 'acc', reason: 'still improving', tStar0: s0.tStarAcc, shortBudget: s0.steps * r.lr },
      { seed: 2, lambda0: r.lambda0, metric: 'acc', reason: 'never improved', tStar0: 0, shortBudget: s2.steps * r.lr },
    ]);
    expect(s0.tStarAcc).toBeCloseTo(r.lr * s0.steps, 12); // t* at the very end of the short run
    // seed 1: its c, and a prediction at every one of the 4 budgets, paired with its own grid accuracies
    expect(num.c).toMatchObject({ seeds: [1], perSeed: [r.lambda0 * s1.tStarAcc] });
    expect(num.budgets).toHaveLength(4);
    for (const b of num.budgets) {
      expect(b.predicted.seeds).toEqual([1]);
      expect(b.grid.every((g) => g.acc.length === 3)).toBe(true); // the grid keeps all three seeds
      const res = readJson<{ finalTestAcc: number }>(join(root, 'seed=1', 'runs', `predicted_${runName({ lambda: b.predicted.lambdas[0] })}`, 'result.json'));
      expect(b.gap.perSeed).toEqual([b.best.acc[1] - res.finalTestAcc]);
    }
    // no predicted-λ run was trained for the seeds without a prediction
    for (const s of [0, 2]) expect(readdirSync(join(root, `seed=${s}`, 'runs')).filter((n) => !n.startsWith('short_'))).toEqual([]);
    // accuracy_vs_lambda, from the same runs, has all three seeds
    expect((out.figures[0].numbers as unknown as AccuracyVsLambdaResult).inverse.every((p) => p.acc.length === 3)).toBe(true);
    expect(lines.filter((l) => l.includes('no prediction'))).toEqual(num.noPrediction.map((n) => `  ${noPredictionText(n)}`));
  });

  it('lists them in the figure and the claim, and the verdict is not resolved', async () => {
    const fig = out.figures[1];
    const num = fig.numbers as unknown as PredictedVsBestResult;
    const texts = num.noPrediction.map(noPredictionText);
    expect(num.noPredictionNotes).toEqual(texts);
    for (const t of texts) expect(fig.subtitle).toContain(t);
    expect((fig.layout.annotations as { text: string }[])[0].text).toBe(`seed 0: no prediction (short run still improving at its end, t* = ${+num.noPrediction[0].tStar0.toPrecision(4)})<br>seed 2: no prediction (short run never improved, t* = 0)`);
    const traces = fig.traces as Trace[];
    expect(traces.find((t) => t.name.startsWith('predicted λ'))!.name).toBe('predicted λ = c/T (one per seed with a prediction)');
    expect(traces.find((t) => t.name.startsWith('predicted λ'))!.y).toEqual(num.budgets.map((b) => b.predicted.lambdas[0]));
    const claim = out.claims[1];
    expect(claim.verdict).toBe('not resolved');
    for (const t of texts) expect(claim.measured).toContain(t);
    expect(claim.measured).toContain('3 seeds, 1 with a prediction (seed 1)');
    expect(claim.rule).toContain('Not resolved either when any seed has no prediction');
    // the JSON carries the seeds without a prediction, and its verdict is re-derived from it
    const w = await writeFigure(fig, join(dir, 'figs-none'), null);
    const json = readJson<PredictedVsBestResult>(w.json);
    expect(json.noPrediction).toEqual(num.noPrediction);
    expect(predictionVerdict(json)).toBe('not resolved');
  });
});

describe('the prediction claim on constructed accuracies', () => {
  const pt = (lambda: number, acc: number[]): AccuracyPoint => ({ lambda, budget: 1, acc, ...meanStderr(acc) });
  const budget = (T: number, grid: number[][], pred: number[]): BudgetComparison =>
    budgetComparison(T, grid.map((a, i) => ({ ...pt([1e-3, 2e-3, 4e-3][i], a), budget: T })), pred.map((acc, seed) => ({ seed, lambda: 0.1 / T, acc })), [0, 1, 2]);
  const result = (bs: BudgetComparison[], noPrediction: NoPrediction[] = []) => ({ budgets: bs, averageGap: averageGap(bs), noPrediction });
  const grid = [
    [0.9, 0.91, 0.92],
    [0.95, 0.94, 0.96],
    [0.93, 0.93, 0.93],
  ];

  it('picks the grid λ with the best mean and pairs the gap by seed', () => {
    const b = budget(10, grid, [0.94, 0.94, 0.94]);
    expect(b.best.lambda).toBe(2e-3);
    expect(b.gap.perSeed.map((g) => +g.toFixed(12))).toEqual([0.01, 0, 0.02]);
  });
  it('holds: every seed within 0.4 points on average over 4 budgets spanning 10×', () => {
    const bs = [1, 2, 5, 10].map((T) => budget(T, grid, [0.949, 0.938, 0.958]));
    expect(predictionVerdict(result(bs))).toBe('holds');
  });
  it('does not hold: the predicted λ loses 2 points in every seed', () => {
    const bs = [1, 2, 5, 10].map((T) => budget(T, grid, [0.93, 0.92, 0.94]));
    expect(predictionVerdict(result(bs))).toBe('does not hold');
  });
  it('not resolved: one seed loses 3 points, another gains 2 (mean within 2 s.e. of 0.4)', () => {
    const bs = [1, 2, 5, 10].map((T) => budget(T, grid, [0.92, 0.96, 0.96]));
    expect(predictionVerdict(result(bs))).toBe('not resolved');
  });
  it('not resolved with fewer than 4 budgets or a span below 10×, however small the gap', () => {
    expect(predictionVerdict(result([1, 2, 10].map((T) => budget(T, grid, [0.95, 0.94, 0.96]))))).toBe('not resolved');
    expect(predictionVerdict(result([1, 2, 5, 9].map((T) => budget(T, grid, [0.95, 0.94, 0.96]))))).toBe('not resolved');
    expect(predictionVerdict(result([1, 2, 5, 10].map((T) => budget(T, grid, [0.95, 0.94, 0.96]))))).toBe('holds');
  });
  it('a seed without a prediction: the others are paired by seed, and the verdict is not resolved however small their gap', () => {
    // seeds 0 and 2 predicted, seed 1 not: the gap pairs each with its own grid accuracy (best λ = 2e-3: 0.95, 0.94, 0.96)
    const b = budgetComparison(10, grid.map((a, i) => ({ ...pt([1e-3, 2e-3, 4e-3][i], a), budget: 10 })), [{ seed: 0, lambda: 0.01, acc: 0.949 }, { seed: 2, lambda: 0.01, acc: 0.958 }], [0, 1, 2]);
    expect(b.predicted.seeds).toEqual([0, 2]);
    expect(b.gap.perSeed.map((g) => +g.toFixed(12))).toEqual([0.001, 0.002]);
    const none: NoPrediction = { seed: 1, lambda0: 0.04, metric: 'acc', reason: 'still improving', tStar0: 12.6, shortBudget: 12.5 };
    const bs = [1, 2, 5, 10].map((T) => budget(T, grid, [0.949, 0.938, 0.958]));
    expect(predictionVerdict(result(bs))).toBe('holds');
    expect(predictionVerdict(result(bs, [none]))).toBe('not resolved');
    expect(noPredictionText(none)).toBe('seed 1: no prediction, the short run (λ0 = 0.04, t = 12.5) had its best test accuracy at its end (t* = 12.6, still improving)');
    expect(noPredictionText({ ...none, reason: 'never improved', tStar0: 0 })).toBe('seed 1: no prediction, the short run (λ0 = 0.04, t = 12.5) never improved on its initial test accuracy (t* = 0)');
  });
  it("the best grid λ at the grid's edge: a small gap is not resolved (a better λ may lie outside), a large one still does not hold", () => {
    // best mean at the smallest λ (1e-3) at one budget, in the middle (2e-3) at the others
    const edgeGrid = [
      [0.97, 0.96, 0.98],
      [0.95, 0.94, 0.96],
      [0.93, 0.93, 0.93],
    ];
    const at = (accEdge: number[], accMid: number[]) => [budget(1, edgeGrid, accEdge), ...[2, 5, 10].map((T) => budget(T, grid, accMid))];
    expect(bestAtGridEdge(at([0.969, 0.958, 0.978], [0.949, 0.938, 0.958])[0])).toBe(true);
    expect(bestAtGridEdge(at([0.969, 0.958, 0.978], [0.949, 0.938, 0.958])[1])).toBe(false);
    // the same gaps as the 'holds' case above, but one budget's best is at the edge
    expect(predictionVerdict(result(at([0.969, 0.958, 0.978], [0.949, 0.938, 0.958])))).toBe('not resolved');
    // 2 points lost in every seed at every budget: does not hold, edge or not
    expect(predictionVerdict(result(at([0.95, 0.94, 0.96], [0.93, 0.92, 0.94])))).toBe('does not hold');
    // the largest λ is an edge too
    expect(bestAtGridEdge(budget(1, [grid[0], grid[2], grid[1]], [0.9, 0.9, 0.9]))).toBe(true);
  });
  it("the paper's number is 0.4 points", () => expect(PAPER_GAP).toBe(0.004));
});
