import { describe, expect, it } from 'vitest';
import { denseSteps, evalSteps, localResolution, refineWindows, type ScheduleRecord } from '../../src/training/evalSchedule.js';

// A synthetic run with known optima: test accuracy peaks at step s1 and test loss bottoms at step s2 (smooth in
// log step), so the exact t* is known and the grid's error can be measured.
const s1 = 3713;
const s2 = 5291;
const curve = (step: number): ScheduleRecord => ({ step, testAcc: 0.9 - 0.1 * Math.log(Math.max(step, 0.5) / s1) ** 2, testLoss: 0.2 + 0.1 * Math.log(Math.max(step, 0.5) / s2) ** 2 });
const best = (recs: ScheduleRecord[], key: 'testAcc' | 'testLoss') => recs.reduce((a, r) => ((key === 'testAcc' ? r.testAcc > a.testAcc : r.testLoss < a.testLoss) ? r : a)).step;

describe('evaluation schedule: refinement around the first pass’s optima', () => {
  it('finds t* of a synthetic curve to 2% where the 24-per-decade grid alone is off by more than 2%', () => {
    const total = 20000;
    const coarse = evalSteps(total, 24).map(curve);
    const coarseErr = [Math.abs(best(coarse, 'testAcc') / s1 - 1), Math.abs(best(coarse, 'testLoss') / s2 - 1)];
    // the optima were chosen between grid points: the first pass alone misses them by more than 2% (the test can fail)
    expect(Math.max(...coarseErr)).toBeGreaterThan(0.02);
    const windows = refineWindows(coarse);
    expect(windows.length).toBeGreaterThanOrEqual(1);
    const dense = windows.flatMap((w) => denseSteps(w.from, w.to)).map(curve);
    const all = [...coarse, ...dense].sort((a, b) => a.step - b.step);
    const steps = all.map((r) => r.step);
    for (const [key, truth] of [['testAcc', s1], ['testLoss', s2]] as const) {
      const s = best(all, key);
      // the refined best is within half the local spacing of the truth, and the spacing is ≤ 2%
      expect(Math.abs(s / truth - 1)).toBeLessThanOrEqual(0.02);
      expect(localResolution(steps, s)).toBeLessThanOrEqual(0.02 + 1 / s);
    }
    // cheap: a few dozen extra evaluations, not a dense grid everywhere
    expect(dense.length).toBeLessThan(40);
  });

  it('dense steps are ≤ factor apart (or 1 step), strictly inside the bracket', () => {
    const d = denseSteps(1000, 1300, 1.02);
    expect(d[0]).toBe(1020);
    expect(d[d.length - 1]).toBeLessThan(1300);
    [1000, ...d, 1300].forEach((s, i, a) => i > 0 && expect(s / a[i - 1]).toBeLessThanOrEqual(1.02 + 1e-12));
    expect(denseSteps(3, 9)).toEqual([4, 5, 6, 7, 8]);
    expect(() => denseSteps(1, 5, 1)).toThrow(/factor/);
  });

  it('brackets: around the first best, around the first crossing of a level; overlapping ones merged', () => {
    const recs: ScheduleRecord[] = [0, 10, 20, 30, 40, 50].map((step, i) => ({ step, testAcc: [0.1, 0.5, 0.8, 0.8, 0.6, 0.4][i], testLoss: [1, 0.6, 0.5, 0.3, 0.4, 0.9][i] }));
    // best accuracy first at 20 → (10, 30); lowest loss at 30 → (20, 40); merged (10, 40)
    expect(refineWindows(recs)).toEqual([{ from: 10, to: 40 }]);
    // level 0.45 first reached at 10 → (0, 10); it touches the peaks' bracket, so one replay covers both
    expect(refineWindows(recs, { accuracyLevels: [0.45] })).toEqual([{ from: 0, to: 40 }]);
    expect(refineWindows(recs, { accuracyLevels: [0.7] })).toEqual([{ from: 10, to: 40 }]);
    expect(refineWindows(recs, { peaks: false, accuracyLevels: [0.45, 0.99] })).toEqual([{ from: 0, to: 10 }]);
  });
});
