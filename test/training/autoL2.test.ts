import { describe, expect, it } from 'vitest';
import { autoL2 } from '../../src/training/autoL2.js';
import { InputError } from '../../src/util/errors.js';

/** Feeds (loss, acc) measurements at steps 0, 10, 20, …; returns λ after each. */
function feed(p: ReturnType<typeof autoL2>, ms: [number, number][], interval = 10): number[] {
  return ms.map(([l, a], i) => {
    p.observe(i * interval, l, a);
    return p.current();
  });
}

describe('Auto L2 (the rule of google/autol2)', () => {
  it('never decays while both loss and accuracy improve', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0 });
    const lams = feed(p, Array.from({ length: 30 }, (_, i) => [1 / (i + 1), i / 30] as [number, number]));
    expect(lams.every((l) => l === 0.1)).toBe(true);
    expect(p.decays()).toEqual([]);
  });

  it('decays ÷10 when the last two losses are no better than the best, once the refractory period has passed', () => {
    // λ0 = 0.1, refractory 0.1 → no decay before step 0.1/0.1 = 1 (passed at step 10)
    const p = autoL2({ lambda0: 0.1 });
    // measurements: best loss 1.0 at the first, then 1.0 (tie), 1.2 → stalled at the 3rd measurement
    const lams = feed(p, [[1.0, 0.5], [1.0, 0.6], [1.2, 0.7]]);
    // 1st: count 1; 2nd: bests ← first (1.0, 0.5); 3rd: both of (1.0, 1.2) ≥ 1.0 → decay
    expect(lams).toEqual([0.1, 0.1, 0.1 / 10]);
    expect(p.decays()).toEqual([{ step: 20, lambda: 0.1 / 10 }]);
  });

  it('one stalled metric is enough: accuracy stuck at its best while the loss improves', () => {
    const p = autoL2({ lambda0: 0.01, refractory: 0 });
    const lams = feed(p, [[1.0, 0.5], [0.9, 0.5], [0.8, 0.5]]);
    expect(lams[2]).toBeCloseTo(0.001, 15);
  });

  it('the refractory period (steps > refractory/λ since the last decay) blocks decays', () => {
    // λ = 0.001: refractory 0.1/0.001 = 100 steps; stalled from the 3rd measurement (step 20) on
    const p = autoL2({ lambda0: 0.001 });
    const ms: [number, number][] = Array.from({ length: 14 }, () => [1.0, 0.5]);
    const lams = feed(p, ms);
    const firstDecay = lams.findIndex((l) => l < 0.001);
    expect(firstDecay).toBe(11); // step 110 is the first measurement with step > 100
    // after the decay λ = 1e-4: the next refractory is 1000 steps
    expect(lams.slice(firstDecay)).toEqual(Array(lams.length - firstDecay).fill(0.0001));
  });

  it('bests are not reset by a decay and absorb the second-to-last measurement', () => {
    const p = autoL2({ lambda0: 1, refractory: 0 });
    feed(p, [[1.0, 0.5], [0.5, 0.7], [0.4, 0.8], [0.45, 0.75], [0.42, 0.79]]);
    // bests: after m2 ← m1 (1.0, 0.5); m3 not stalled → ← m2 (0.5, 0.7); m4 not stalled (0.45 < 0.5 → loss improved?
    // losses m3, m4 = 0.4, 0.45 are not both ≥ 0.5; accs 0.8, 0.75 not both ≤ 0.7) → ← m3 (0.4, 0.8);
    // m5: losses 0.45, 0.42 both ≥ 0.4 → decay
    expect(p.decays()).toEqual([{ step: 40, lambda: 0.1 }]);
    const st = p.state() as { bestLoss: number; bestAcc: number };
    expect(st.bestLoss).toBe(0.4);
    expect(st.bestAcc).toBe(0.8);
  });

  it('the floor stops the decays; state round-trips to identical decisions', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0, floor: 0.001 });
    feed(p, Array.from({ length: 20 }, () => [1, 0.5] as [number, number]));
    expect(p.current()).toBe(0.001);
    const a = autoL2({ lambda0: 0.1, refractory: 0.05 });
    const ms: [number, number][] = [[1, 0.1], [0.8, 0.2], [0.9, 0.2], [0.95, 0.1], [0.7, 0.3], [0.75, 0.3], [0.8, 0.2], [0.6, 0.4]];
    feed(a, ms.slice(0, 4));
    const b = autoL2({ lambda0: 0.1, refractory: 0.05 });
    b.restore(a.state());
    const rest = ms.slice(4);
    const la = rest.map(([l, c], i) => (a.observe((i + 4) * 10, l, c), a.current()));
    const lb = rest.map(([l, c], i) => (b.observe((i + 4) * 10, l, c), b.current()));
    expect(lb).toEqual(la);
  });

  it('bad options and a NaN measurement are named', () => {
    expect(() => autoL2({ lambda0: 0 })).toThrow(/lambda0 must be a positive/);
    expect(() => autoL2({ lambda0: 0.1, interval: 0 })).toThrow(/interval must be an integer ≥ 1/);
    expect(() => autoL2({ lambda0: 0.1, factor: 1 })).toThrow(/factor must be > 1/);
    expect(() => autoL2({ lambda0: 0.1, refractory: -1 })).toThrow(/refractory must be ≥ 0/);
    expect(() => autoL2({ lambda0: 0.1, floor: 0.2 })).toThrow(/floor must be ≥ 0 and below lambda0/);
    expect(() => autoL2({ lambda0: 0.1 }).observe(0, NaN, 0.5)).toThrow(InputError);
  });
});
