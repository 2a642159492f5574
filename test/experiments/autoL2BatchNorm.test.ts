import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArmSummary, AutoL2CompareResult } from '../../src/experiments/autoL2Compare.js';
import { autoL2BatchNorm, autoL2BatchNormClaim, autoL2BatchNormSettings, type AutoL2BatchNormSettings } from '../../src/experiments/autoL2BatchNorm.js';
import { writeFigure } from '../../src/figures/figure.js';
import { meanStderr } from '../../src/util/stats.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-autol2bn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface SavedRun {
  finalTestAcc: number;
}
const resultOf = (name: string): SavedRun => JSON.parse(readFileSync(join(dir, 'work', 'autol2_batchnorm', 'runs', name, 'result.json'), 'utf8')) as SavedRun;
const logOf = (name: string): { t: number; testAcc: number; lambda: number }[] =>
  readFileSync(join(dir, 'work', 'autol2_batchnorm', 'runs', name, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { t: number; testAcc: number; lambda: number });

describe('autol2_batchnorm: Auto L2 on the BatchNorm net (the wrn setup) against constant λ', () => {
  it('at a tiny size: the plotted numbers are the runs’ result files, the JSON carries what the HTML shows', async () => {
    // 6 steps of a width-2 WRN on 64 digits: mechanics only (the nets stay near chance)
    const settings: AutoL2BatchNormSettings = { width: 2, data: 'mnist:64:40', batch: 16, budget: 0.6, lambda0: 0.1, grid: [1e-3], seeds: [0, 1], evalsPerDecade: 6, evalTrainSize: 16 };
    const out = await autoL2BatchNorm({ settings, work: join(dir, 'work') });
    const { result: res, figure } = out;
    expect(figure.name).toBe('autol2_batchnorm');
    // every arm's final accuracies are those in its runs' result.json, and the mean ± s.e. is theirs
    const autoFinal = [0, 1].map((s) => resultOf(`auto_lambda=1.00e-1_seed=${s}`).finalTestAcc);
    const constFinal = [0, 1].map((s) => resultOf(`const_lambda=1.00e-3_seed=${s}`).finalTestAcc);
    expect(res.auto.finalAcc).toEqual(autoFinal);
    expect(res.best.finalAcc).toEqual(constFinal);
    expect(res.auto.meanFinalAcc).toBeCloseTo(meanStderr(autoFinal).mean, 12);
    // the drawn seed-mean accuracy curve of Auto L2 is the mean of its runs' logs, point by point
    const logs = [0, 1].map((s) => logOf(`auto_lambda=1.00e-1_seed=${s}`));
    const autoTrace = figure.traces.find((t) => String(t.name).startsWith('Auto L2 (λ0 = 0.1): final')) as { x: number[]; y: number[]; name: string };
    expect(autoTrace.x).toEqual(logs[0].slice(1).map((r) => r.t));
    autoTrace.y.forEach((y, j) => expect(y).toBeCloseTo((logs[0][j + 1].testAcc + logs[1][j + 1].testAcc) / 2, 12));
    expect(autoTrace.name).toContain(`${meanStderr(autoFinal).mean.toFixed(4)} ± ${meanStderr(autoFinal).stderr.toFixed(4)}`);
    // λ(t) of Auto L2 as logged (starts at λ0)
    const lamTrace = figure.traces.find((t) => String(t.name).includes('λ(t) of each seed')) as { y: number[] };
    expect(lamTrace.y).toEqual(logs[0].slice(1).map((r) => r.lambda));
    expect(logs[0][0].lambda).toBe(0.1);
    // the target line and the reach markers are the comparison's
    const target = figure.traces.find((t) => String(t.name).startsWith('target')) as { y: number[] };
    expect(target.y).toEqual([res.target, res.target]);
    const marks = figure.traces.find((t) => String(t.name).startsWith('Auto L2 (λ0 = 0.1): first time')) as { x: number[] };
    expect(marks.x).toEqual(res.auto.tReach.filter(Number.isFinite));
    // the subtitle says so when the target is no test of speed (as the claim's verdict does)
    const initial = Math.max(...[res.auto, res.best].flatMap((a) => a.curves.map((c) => c.testAcc[0])));
    expect(figure.subtitle.includes('the target is not above the initial test accuracy')).toBe(!(res.target > initial));
    expect(out.claim.verdict === 'not resolved' || res.target > initial).toBe(true);
    // the written JSON has the numbers and the very traces the HTML draws
    const w = await writeFigure(figure, join(dir, 'fig'), null);
    const json = JSON.parse(readFileSync(w.json, 'utf8')) as { auto: ArmSummary; best: ArmSummary; target: number; plotly: { data: unknown[] }; subtitle: string };
    expect(json.auto.finalAcc).toEqual(autoFinal);
    expect(json.target).toBe(res.target);
    expect(json.plotly.data).toEqual(JSON.parse(JSON.stringify(figure.traces)));
    const html = readFileSync(w.html, 'utf8');
    expect(html).toContain(JSON.stringify(figure.traces).replace(/</g, '\\u003c'));
    expect(html).toContain(json.subtitle.split(';')[0]);
    // a rerun reuses every run and gives the same numbers
    const again = await autoL2BatchNorm({ settings, work: join(dir, 'work') });
    expect(again.result).toEqual(res);
    expect(again.claim).toEqual(out.claim);
  }, 240_000);

  it('the claim states the paper’s λ0 = 0.1 first and follows the verdict rules on constructed results', () => {
    const arm = (label: string, lambda: number | null, iv: [number, number][], acc0 = 0.1): ArmSummary => ({
      label,
      lambda,
      finalAcc: [0.9, 0.91, 0.92],
      meanFinalAcc: 0.91,
      stderrFinalAcc: 0.005,
      tReach: iv.map((v) => v[1]),
      tReachInterval: iv.map(([lo, hi]) => ({ lo, hi })),
      meanTReach: 0,
      medianTReach: 0,
      reachedBy: iv.filter((v) => Number.isFinite(v[1])).length,
      curves: [0, 1, 2].map((seed) => ({ seed, t: [0, 1], testAcc: [acc0, 0.9], lambda: [lambda ?? 0.1, lambda ?? 0.1] })),
    });
    const ref = arm('λ = 0.001', 1e-3, [[100, 110], [150, 160], [180, 190]]);
    const res = (auto: ArmSummary, best = ref, target = 0.9): AutoL2CompareResult => ({ budget: 400, target, auto, constants: [best], best, accGain: 0, speedup: 1 });
    const c = autoL2BatchNormClaim(res(arm('Auto L2 (λ0 = 0.1)', null, [[50, 60], [90, 100], [120, 130]])), 0.1);
    expect(c.figure).toBe('autol2_batchnorm');
    expect(c.claim).toContain("the paper's λ0 = 0.1");
    expect(c.measured.startsWith('Auto L2 (λ0 = 0.1): final test accuracy 0.9100 ± 0.0050, reached the target in 3/3 seeds')).toBe(true);
    expect(c.verdict).toBe('holds');
    // every seed later
    expect(autoL2BatchNormClaim(res(arm('Auto L2 (λ0 = 0.1)', null, [[120, 130], [170, 180], [200, Infinity]])), 0.1).verdict).toBe('does not hold');
    // one seed ties (same interval): not resolved
    expect(autoL2BatchNormClaim(res(arm('Auto L2 (λ0 = 0.1)', null, [[50, 60], [150, 160], [120, 130]])), 0.1).verdict).toBe('not resolved');
    // a target the untrained nets already meet (chance-level runs): not resolved, whatever the intervals say
    const trivial = autoL2BatchNormClaim(res(arm('Auto L2 (λ0 = 0.1)', null, [[50, 60], [90, 100], [120, 130]], 0.12), ref, 0.1), 0.1);
    expect(trivial.verdict).toBe('not resolved');
    expect(trivial.measured).toContain('the target is not above it');
    // another λ0 says it is not the paper's
    expect(autoL2BatchNormClaim(res(arm('Auto L2 (λ0 = 0.01)', null, [[50, 60], [90, 100], [120, 130]])), 0.01).claim).toContain("λ0 = 0.01 (the paper's is 0.1)");
  });

  it('defaults: ≥ 3 seeds and the paper’s λ0 = 0.1; --full is paper-sized (WRN-10-1 widths, the setup’s batch)', () => {
    for (const full of [false, true]) {
      const s = autoL2BatchNormSettings(full);
      expect(s.seeds.length).toBeGreaterThanOrEqual(3);
      expect(s.lambda0).toBe(0.1);
      expect(s.grid.length).toBeGreaterThanOrEqual(2);
    }
    expect(autoL2BatchNormSettings(true)).toMatchObject({ width: 16, batch: 128 });
  });
});
