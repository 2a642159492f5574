import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATEAU_TOLERANCE, plateauNumbers, plateauVerdict, type AccuracyPoint, type AccuracyVsLambdaResult } from '../../src/experiments/accuracyVsLambda.js';
import type { Claim } from '../../src/experiments/claim.js';
import { bundledImageDataset } from '../../src/experiments/dataset.js';
import { lambdaChoiceFigures } from '../../src/experiments/lambdaChoiceFigures.js';
import { PAPER_SETUPS } from '../../src/experiments/paperSetups.js';
import { snapBudget } from '../../src/experiments/paperRegimeRuns.js';
import { withPooledBlasThreads } from '../../src/experiments/pooledBlasThreads.js';
import { runName } from '../../src/experiments/runStore.js';
import { writeFigure, type Figure } from '../../src/figures/figure.js';
import { parseSpec } from '../../src/layers/json.js';
import { trainRun } from '../../src/training/trainer.js';
import { meanStderr } from '../../src/util/stats.js';
import { TINY } from './lambdaChoiceTiny.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-accvl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Trace = { x: number[]; y: number[]; name: string; error_y?: { array: number[] } };

describe('accuracy_vs_lambda at a tiny size', () => {
  let fig: Figure;
  let claim: Claim;
  let num: AccuracyVsLambdaResult;
  const work = join(dir, 'work');
  const r = TINY.runs;
  // what a run's log says at a step: the results file, read independently of the experiment code
  const logged = (lambda: number, seed: number, budget: number): number => {
    const steps = Math.round(Math.max(...r.lambdas.map((l) => snapBudget(r.budgetFactor / l, r.lr, 12)), snapBudget(r.fixedBudget, r.lr, 12), ...r.predictBudgets.map((t) => snapBudget(t, r.lr, 12))) / r.lr);
    const file = join(work, 'lambda-choice', 'runs', `long_${runName({ lambda, steps, seed })}`, 'log.jsonl');
    const recs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; testAcc: number });
    const rec = recs.find((x) => x.step === Math.round(budget / r.lr));
    if (!rec) throw new Error(`no record at budget ${budget} in ${file}`);
    return rec.testAcc;
  };

  beforeAll(async () => {
    const out = await lambdaChoiceFigures(new Set(['accuracy_vs_lambda']), { work, jobs: 1, backend: 'wasm', log: () => undefined, settings: TINY });
    expect(out.figures.map((f) => f.name)).toEqual(['accuracy_vs_lambda']);
    fig = out.figures[0];
    claim = out.claims[0];
    num = fig.numbers as unknown as AccuracyVsLambdaResult;
  }, 120_000); // ~25 s at load 10 on 2 cores: 2 seeds × (4 long runs of 10 steps, a short run, 4 predicted runs)

  it('plots the accuracies the runs logged at the end of each budget, and λ = 0 at the longest budget', () => {
    expect(num.inverse.map((p) => p.lambda)).toEqual(r.lambdas);
    // budgets ∝ 1/λ, each on the evaluation grid: 0.06/λ → 10, 5 and 3 steps of η = 0.3
    expect(num.inverse.map((p) => Math.round(p.budget / r.lr))).toEqual([10, 5, 3]);
    for (const p of [...num.inverse, ...num.fixed, num.baseline]) {
      expect(p.acc).toEqual(r.seeds.map((s) => logged(p.lambda, s, p.budget)));
      expect(p.mean).toBe(meanStderr(p.acc).mean);
    }
    expect(num.fixed.every((p) => Math.round(p.budget / r.lr) === 5)).toBe(true);
    expect(num.baseline.budget).toBe(Math.max(...num.inverse.map((p) => p.budget)));
    // the traces draw exactly these numbers (percent)
    const traces = fig.traces as Trace[];
    const mean = (label: string) => traces.find((t) => t.name.startsWith(label) && t.name.includes('mean'))!;
    const inv = mean('budget T');
    expect(inv.x).toEqual(num.inverse.map((p) => p.lambda));
    expect(inv.y).toEqual(num.inverse.map((p) => 100 * p.mean));
    expect(inv.error_y!.array).toEqual(num.inverse.map((p) => 100 * p.stderr));
    expect(mean('fixed budget').y).toEqual(num.fixed.map((p) => 100 * p.mean));
    const seedDots = traces.find((t) => t.name.startsWith('budget T') && t.name.endsWith('one seed'))!;
    expect(seedDots.y).toEqual(num.inverse.flatMap((p) => p.acc.map((a) => 100 * a)));
    const base = traces.find((t) => t.name.startsWith('λ = 0, T'))!;
    expect(base.y).toEqual([100 * num.baseline.mean, 100 * num.baseline.mean]);
  });

  it('a run of a shorter budget ends exactly where the long run of the same λ and seed passes that step', async () => {
    // the sharing every number of the figure rests on: a separate run of λ's own budget, trained from scratch
    const p = num.inverse[1];
    const data = bundledImageDataset(TINY.data, { size: 14 });
    // trained as the figure's pooled runs are: one OpenBLAS thread (the thread count changes the last bits)
    const own = await withPooledBlasThreads(() => trainRun({ spec: parseSpec(PAPER_SETUPS.cnn.arch(TINY.width)), data, lr: r.lr, momentum: r.momentum, loss: r.loss, batchSize: r.batchSize, evalsPerDecade: 12, budget: p.budget, lambda: p.lambda, seed: r.seeds[1], backend: 'wasm' }));
    expect(own.steps).toBe(5);
    expect(own.finalTestAcc).toBe(p.acc[1]);
  }, 60_000);

  it('writes JSON with what the HTML draws, and a claim whose verdict follows the rule on those numbers', async () => {
    const out = join(dir, 'figs');
    const w = await writeFigure(fig, out, null);
    const json = JSON.parse(readFileSync(w.json, 'utf8')) as AccuracyVsLambdaResult & { plotly: { data: unknown } };
    expect(json.plotly.data).toEqual(fig.traces);
    expect(json.inverse).toEqual(num.inverse);
    expect(json.baseline).toEqual(num.baseline);
    expect(json.plateau).toEqual(num.plateau);
    expect(readFileSync(w.html, 'utf8')).toContain(JSON.stringify(fig.traces).replace(/</g, '\\u003c'));
    expect(claim.figure).toBe('accuracy_vs_lambda');
    expect(claim.verdict).toBe(plateauVerdict(json));
    expect(claim.measured).toContain(`${(100 * json.overBaseline.mean).toFixed(2)} ± ${(100 * json.overBaseline.stderr).toFixed(2)} points`);
    expect(claim.rule).toContain('±1.00 point');
    // three λ form the plateau: three pairs
    expect(json.plateau.pairs.map((p) => p.lambdas)).toEqual([[0.02, 0.04], [0.02, 0.08], [0.04, 0.08]]);
  });
});

describe('the plateau claim on constructed accuracies', () => {
  const pt = (lambda: number, acc: number[]): AccuracyPoint => ({ lambda, budget: 1 / lambda, acc, ...meanStderr(acc) });
  const verdict = (accs: number[][], base: number[]) => {
    const inverse = accs.map((a, i) => pt([1e-3, 2e-3, 4e-3, 8e-3][i], a));
    return plateauVerdict(plateauNumbers(inverse, pt(0, base)));
  };
  it('holds: the smallest three λ agree within 1 point in every seed (± 2 s.e. inside), all above λ = 0; the fourth λ may differ', () => {
    expect(verdict([[0.9, 0.91, 0.92], [0.902, 0.912, 0.919], [0.899, 0.909, 0.921], [0.5, 0.6, 0.7]], [0.85, 0.86, 0.88])).toBe('holds');
  });
  it('does not hold: accuracy still climbs with λ by 3 points in every seed (whole interval outside ±1 point)', () => {
    expect(verdict([[0.8, 0.81, 0.8], [0.83, 0.84, 0.83], [0.86, 0.87, 0.86], [0.9, 0.9, 0.9]], [0.7, 0.7, 0.7])).toBe('does not hold');
  });
  it('does not hold: flat, but below λ = 0 by more than 2 s.e.', () => {
    expect(verdict([[0.9, 0.91, 0.92], [0.9, 0.91, 0.92], [0.9, 0.91, 0.92], [0.9, 0.9, 0.9]], [0.95, 0.96, 0.97])).toBe('does not hold');
  });
  it('not resolved: seeds too noisy to tell a 1-point plateau from a slope', () => {
    expect(verdict([[0.9, 0.8], [0.85, 0.9], [0.95, 0.82], [0.9, 0.9]], [0.5, 0.5])).toBe('not resolved');
  });
  it('the tolerance is 1 point', () => expect(PLATEAU_TOLERANCE).toBe(0.01));
});

describe('snapBudget', () => {
  it('moves a budget to the nearest (in log) step of the evaluation grid round(10^(j/12))', () => {
    // grid near 100: …, 68, 83, 100, 121, …
    expect(snapBudget(30, 0.3, 12)).toBeCloseTo(30, 12); // 100 steps
    expect(snapBudget(0.3 * 90, 0.3, 12)).toBeCloseTo(0.3 * 83, 12); // |log(83/90)| = 0.081 < |log(100/90)| = 0.105
    expect(snapBudget(0.3 * 92, 0.3, 12)).toBeCloseTo(30, 12); // |log(100/92)| = 0.083 < |log(83/92)| = 0.103
    expect(snapBudget(0.01, 0.3, 12)).toBeCloseTo(0.3, 12); // at least one step
  });
});
