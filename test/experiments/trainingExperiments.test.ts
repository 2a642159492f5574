import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareAutoL2 } from '../../src/experiments/autoL2Compare.js';
import { bundledDataset } from '../../src/experiments/dataset.js';
import { predictLambda, predictLambdaOverSeeds } from '../../src/experiments/predictLambda.js';
import { lambdaSweep } from '../../src/experiments/sweep.js';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { InputError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-exp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = bundledDataset('mnist:128:100');
const spec = parseOneLineSpec('[dense(32, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
const small = { spec, data, batchSize: 32, evalsPerDecade: 12 };

describe('training experiments (mechanics on a small MLP)', () => {
  it('predictLambdaOverSeeds: the procedure once per seed (same numbers as single-seed calls), means and a gap paired by seed', async () => {
    const o = { ...small, lr: 0.5, budget: 60, lambda0: 0.05, shortFactor: 3, grid: [3e-3, 1e-2, 3e-2] };
    const res = await predictLambdaOverSeeds({ ...o, seeds: [0, 1], dir: join(dir, 'ps') });
    const one = await predictLambda({ ...o, seed: 1, dir: join(dir, 'ps1') });
    expect(res.perSeed[1]).toEqual(one); // seed 1 inside the multi-seed call is the single-seed procedure
    expect(res.perSeed[0].c).not.toBe(res.perSeed[1].c); // different networks and batch orders
    expect(res.c.mean).toBeCloseTo((res.perSeed[0].c + res.perSeed[1].c) / 2, 12);
    expect(res.c.stderr).toBeCloseTo(Math.abs(res.perSeed[0].c - res.perSeed[1].c) / 2, 12); // n = 2: s.e. = |a − b|/2
    const means = res.grid.map((g) => (g.finalAcc[0] + g.finalAcc[1]) / 2);
    res.grid.forEach((g, i) => expect(g.meanFinalAcc).toBeCloseTo(means[i], 12));
    const bi = means.indexOf(Math.max(...means));
    expect(res.bestGrid!.lambda).toBe(o.grid[bi]);
    const gaps = res.perSeed.map((r) => r.grid[bi].finalTestAcc - r.predicted.finalTestAcc);
    expect(res.gap!.perSeed).toEqual(gaps);
    expect(res.gap!.mean).toBeCloseTo((gaps[0] + gaps[1]) / 2, 12);
    await expect(predictLambdaOverSeeds({ ...o, seeds: [1, 1], dir: join(dir, 'pz') })).rejects.toThrow(/seeds must differ/);
  });

  it('predictLambda: c = λ0·t* of the short run, λ = c/T, grid at the same budget, gap to the best', async () => {
    const res = await predictLambda({ ...small, lr: 0.5, budget: 60, lambda0: 0.05, shortFactor: 3, grid: [3e-3, 1e-2, 3e-2], dir: join(dir, 'p') });
    expect(res.metric).toBe('loss');
    expect(res.c).toBeCloseTo(0.05 * res.tStar0, 12);
    expect(res.lambdaPredicted).toBeCloseTo(res.c / 60, 12);
    expect(res.grid.map((g) => g.lambda)).toEqual([3e-3, 1e-2, 3e-2]);
    const best = Math.max(...res.grid.map((g) => g.finalTestAcc));
    expect(res.bestGrid!.finalTestAcc).toBe(best);
    expect(res.gap).toBeCloseTo(best - res.predicted.finalTestAcc, 12);
    // the same call again reuses every run (same numbers, nothing retrained)
    const again = await predictLambda({ ...small, lr: 0.5, budget: 60, lambda0: 0.05, shortFactor: 3, grid: [3e-3, 1e-2, 3e-2], dir: join(dir, 'p') });
    expect(again).toEqual(res);
  }, 120_000);

  it('predictLambda refuses a short run that is still improving at its end', async () => {
    await expect(predictLambda({ ...small, lr: 0.5, budget: 60, lambda0: 0.05, shortFactor: 0.05, grid: [], dir: join(dir, 'q') })).rejects.toThrow(InputError);
  });

  it('compareAutoL2: arms over seeds, the target from the best constant λ, times to reach it', async () => {
    const res = await compareAutoL2({ ...small, lr: 0.5, budget: 40, auto: { lambda0: 0.1 }, grid: [1e-3, 1e-2], seeds: [0, 1], dir: join(dir, 'a') });
    expect(res.constants).toHaveLength(2);
    expect(res.auto.finalAcc).toHaveLength(2);
    const best = res.constants.reduce((a, b) => (b.meanFinalAcc > a.meanFinalAcc ? b : a));
    expect(res.best).toEqual(best);
    expect(res.target).toBeCloseTo(best.meanFinalAcc - 2 * best.stderrFinalAcc, 12);
    for (const arm of [res.auto, ...res.constants]) {
      arm.tReach.forEach((t, s) => {
        if (Number.isFinite(t)) {
          const c = arm.curves[s];
          expect(c.testAcc[c.t.indexOf(t)]).toBeGreaterThanOrEqual(res.target);
        }
      });
    }
    // Auto L2's λ only ever decreases, by factors of 10
    for (const c of res.auto.curves) {
      for (let i = 1; i < c.lambda.length; i++) {
        expect(c.lambda[i]).toBeLessThanOrEqual(c.lambda[i - 1]);
        const r = c.lambda[i - 1] / c.lambda[i];
        expect(Math.abs(Math.log10(r) - Math.round(Math.log10(r)))).toBeLessThan(1e-9);
      }
    }
  }, 120_000);

  it('lambdaSweep: t* and c per run, slopes over non-edge runs, c spread across η', async () => {
    const res = await lambdaSweep({ ...small, lambdas: [1e-2, 3e-2, 1e-1], lrs: [0.25, 0.5], budgetFactor: 2.5, dir: join(dir, 's') });
    expect(res.rows).toHaveLength(6);
    for (const r of res.rows) expect(r.lambdaTStarLoss).toBeCloseTo(r.lambda * r.tStarLoss, 12);
    const c = res.perLr.map((p) => p.cLoss);
    const mean = (c[0] + c[1]) / 2;
    expect(res.cSpreadLoss).toBeCloseTo(Math.abs(c[0] - c[1]) / mean, 12);
    expect(res.curves).toHaveLength(6);
  }, 120_000);
});
