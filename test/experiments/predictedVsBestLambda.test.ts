import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccuracyPoint } from '../../src/experiments/accuracyVsLambda.js';
import type { Claim } from '../../src/experiments/claim.js';
import { lambdaChoiceFigures } from '../../src/experiments/lambdaChoiceFigures.js';
import { snapBudget } from '../../src/experiments/paperRegimeRuns.js';
import { averageGap, budgetComparison, PAPER_GAP, predictionVerdict, type BudgetComparison, type PredictedVsBestResult } from '../../src/experiments/predictedVsBestLambda.js';
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

describe('the prediction claim on constructed accuracies', () => {
  const pt = (lambda: number, acc: number[]): AccuracyPoint => ({ lambda, budget: 1, acc, ...meanStderr(acc) });
  const budget = (T: number, grid: number[][], pred: number[]): BudgetComparison =>
    budgetComparison(T, grid.map((a, i) => ({ ...pt([1e-3, 2e-3, 4e-3][i], a), budget: T })), pred.map(() => 0.1 / T), pred);
  const result = (bs: BudgetComparison[]) => ({ budgets: bs, averageGap: averageGap(bs) });
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
  it("the paper's number is 0.4 points", () => expect(PAPER_GAP).toBe(0.004));
});
