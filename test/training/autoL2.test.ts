import { describe, expect, it } from 'vitest';
import { autoL2, type AutoL2Options, type AutoL2Policy } from '../../src/training/autoL2.js';
import { InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

type M = [number, number];

/** Feeds (loss, acc) measurements at steps 0, interval, 2·interval, …; returns λ after each. */
function feed(p: AutoL2Policy, ms: M[], interval = 10, from = 0): number[] {
  return ms.map(([l, a], i) => {
    p.observe((from + i) * interval, l, a);
    return p.current();
  });
}

/**
 * A second, deliberately naive reading of the rule (paper notes, "Auto L2"), keeping the whole history as lists:
 * used as an oracle for the incremental controller on random sequences.
 */
function oracle(o: Required<AutoL2Options>, ms: M[], interval: number): number[] {
  const losses: number[] = [];
  const accs: number[] = [];
  let lambda = o.lambda0;
  let since = 0;
  let best: { loss: number; acc: number } | null = null;
  const out: number[] = [];
  ms.forEach(([l, a], i) => {
    const step = i * interval;
    losses.push(l);
    accs.push(a);
    const k = losses.length;
    const lossStalled = best !== null && losses[k - 1] >= best.loss && losses[k - 2] >= best.loss;
    const accStalled = best !== null && accs[k - 1] <= best.acc && accs[k - 2] <= best.acc;
    if (k > 2 && (lossStalled || accStalled) && step - since > o.refractory / lambda) {
      const next = Math.max(o.floor, lambda / o.factor);
      if (next < lambda) {
        lambda = next;
        since = step;
      }
    } else if (k >= 2) {
      best = best === null ? { loss: losses[k - 2], acc: accs[k - 2] } : { loss: Math.min(best.loss, losses[k - 2]), acc: Math.max(best.acc, accs[k - 2]) };
    }
    out.push(lambda);
  });
  return out;
}

/** A noisy, slowly improving training curve with plateaus: decays happen, but not at every measurement. */
function randomCurve(seed: number, length: number): M[] {
  const rng = new Rng(seed);
  let loss = 2;
  let acc = 0.1;
  return Array.from({ length }, () => {
    loss = Math.max(0, loss * (1 - 0.02 * rng.uniform()) + 0.05 * rng.normal());
    acc = Math.min(1, Math.max(0, acc + 0.01 * rng.normal() + 0.003));
    // quantize the accuracy like a batch accuracy (k/128), so ties occur
    return [loss, Math.round(acc * 128) / 128] as M;
  });
}

describe('Auto L2 (the rule of google/autol2)', () => {
  it('has the documented defaults', () => {
    const p = autoL2({ lambda0: 0.1 });
    expect(p.interval).toBe(10);
    expect(p.current()).toBe(0.1);
    expect(p.name).toBe('Auto L2 (λ0 = 0.1, every 10 steps, ÷10, refractory 0.1/λ, floor 0)');
  });

  it('never decays while both loss and accuracy improve', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0 });
    const lams = feed(p, Array.from({ length: 30 }, (_, i) => [1 / (i + 1), i / 30] as M));
    expect(lams.every((l) => l === 0.1)).toBe(true);
    expect(p.decays()).toEqual([]);
  });

  it('never decays on the first two measurements, even when they stall', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0 });
    expect(p.observe(0, 1, 0.5)).toEqual({ lambda: 0.1, decayed: false });
    expect(p.observe(10, 1, 0.5)).toEqual({ lambda: 0.1, decayed: false });
    expect(p.observe(20, 1, 0.5)).toEqual({ lambda: 0.01, decayed: true });
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

  it('observe reports the new λ and whether it decayed', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0 });
    const ds = [[1.0, 0.5], [0.9, 0.6], [0.95, 0.55], [0.92, 0.58]].map(([l, a], i) => p.observe(i * 10, l, a));
    // 3rd: losses (0.9, 0.95) vs best 1.0 → no; accs (0.6, 0.55) vs best 0.5 → no; bests ← (0.9, 0.6)
    // 4th: losses (0.95, 0.92) ≥ 0.9 → decay
    expect(ds).toEqual([
      { lambda: 0.1, decayed: false },
      { lambda: 0.1, decayed: false },
      { lambda: 0.1, decayed: false },
      { lambda: 0.1 / 10, decayed: true },
    ]);
  });

  it('one stalled metric is enough: accuracy stuck at its best while the loss improves', () => {
    const p = autoL2({ lambda0: 0.01, refractory: 0 });
    const lams = feed(p, [[1.0, 0.5], [0.9, 0.5], [0.8, 0.5]]);
    expect(lams[2]).toBeCloseTo(0.001, 15);
  });

  it('one stalled metric is enough: loss stuck while the accuracy keeps improving', () => {
    const p = autoL2({ lambda0: 0.01, refractory: 0 });
    // best loss 0.5 (1st); later losses 0.6, 0.7 are worse although the accuracy climbs 0.1 → 0.2 → 0.3
    const lams = feed(p, [[0.5, 0.1], [0.6, 0.2], [0.7, 0.3]]);
    expect(lams).toEqual([0.01, 0.01, 0.01 / 10]);
  });

  it('only one of the last two measurements stalled is progress: no decay', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0 });
    // 3rd: loss 1.0 ties best 1.0 but 0.9 (the 2nd) beat it; acc 0.4 < best 0.5 but the 2nd's 0.6 beat it
    const lams = feed(p, [[1.0, 0.5], [0.9, 0.6], [1.0, 0.4]]);
    expect(lams).toEqual([0.1, 0.1, 0.1]);
  });

  it('ties count as no progress, for the accuracy as for the loss', () => {
    const acc = autoL2({ lambda0: 0.1, refractory: 0 });
    expect(feed(acc, [[1.0, 0.5], [0.9, 0.5], [0.8, 0.5]])[2]).toBeCloseTo(0.01, 15);
    const loss = autoL2({ lambda0: 0.1, refractory: 0 });
    expect(feed(loss, [[1.0, 0.5], [1.0, 0.6], [1.0, 0.7]])[2]).toBeCloseTo(0.01, 15);
  });

  it('the refractory period (steps > refractory/λ since the last decay) blocks decays', () => {
    // λ = 0.001: refractory 0.1/0.001 = 100 steps; stalled from the 3rd measurement (step 20) on
    const p = autoL2({ lambda0: 0.001 });
    const ms: M[] = Array.from({ length: 14 }, () => [1.0, 0.5]);
    const lams = feed(p, ms);
    const firstDecay = lams.findIndex((l) => l < 0.001);
    expect(firstDecay).toBe(11); // step 110 is the first measurement with step > 100
    // after the decay λ = 1e-4: the next refractory is 1000 steps
    expect(lams.slice(firstDecay)).toEqual(Array(lams.length - firstDecay).fill(0.0001));
  });

  it('the refractory comparison is strict and restarts at each decay, scaled by the new λ', () => {
    // λ0 = 0.5, refractory 5 → 10 steps; a measurement every 5 steps, all identical (stalled from the 3rd)
    const p = autoL2({ lambda0: 0.5, refractory: 5, interval: 5 });
    const lams = feed(p, Array.from({ length: 30 }, () => [1, 0.5] as M), 5);
    // step 10 is not > 10; step 15 decays to 0.05, whose refractory is 5/0.05 = 100 steps: the first measurement
    // with step > 15 + 100 is step 120
    expect(p.decays()).toEqual([
      { step: 15, lambda: 0.05 },
      { step: 120, lambda: 0.005 },
    ]);
    expect(lams.slice(0, 4)).toEqual([0.5, 0.5, 0.5, 0.05]);
  });

  it('a measurement stalled within the refractory period still updates the bests', () => {
    // the loss stalls at the 3rd measurement while the accuracy climbs: blocked by the refractory period, the
    // bests absorb the 2nd measurement (best accuracy 0.5 → 0.7); allowed, λ decays and the bests stay
    const blocked = autoL2({ lambda0: 0.01, refractory: 1 }); // 100 steps
    const free = autoL2({ lambda0: 0.01, refractory: 0 });
    const ms: M[] = [[1.0, 0.5], [1.1, 0.7], [1.2, 0.8]];
    feed(blocked, ms);
    feed(free, ms);
    expect(blocked.decays()).toEqual([]);
    expect(blocked.state()).toMatchObject({ bestLoss: 1.0, bestAcc: 0.7 });
    expect(free.decays()).toEqual([{ step: 20, lambda: 0.001 }]);
    expect(free.state()).toMatchObject({ bestLoss: 1.0, bestAcc: 0.5 });
  });

  it('bests are not reset by a decay and absorb the second-to-last measurement', () => {
    const p = autoL2({ lambda0: 1, refractory: 0 });
    feed(p, [[1.0, 0.5], [0.5, 0.7], [0.4, 0.8], [0.45, 0.75], [0.42, 0.79]]);
    // bests: after m2 ← m1 (1.0, 0.5); m3 not stalled → ← m2 (0.5, 0.7); m4 not stalled (losses 0.4, 0.45 not
    // both ≥ 0.5; accs 0.8, 0.75 not both ≤ 0.7) → ← m3 (0.4, 0.8); m5: losses 0.45, 0.42 both ≥ 0.4 → decay
    expect(p.decays()).toEqual([{ step: 40, lambda: 0.1 }]);
    expect(p.state()).toMatchObject({ bestLoss: 0.4, bestAcc: 0.8 });
    // the next measurement is judged against the same bests: (0.42, 0.41) both ≥ 0.4 → decays again
    expect(p.observe(50, 0.41, 0.9)).toEqual({ lambda: 0.1 / 10, decayed: true });
  });

  it('the floor stops the decays, with a partial last step down to it', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0, floor: 0.005 });
    const lams = feed(p, Array.from({ length: 10 }, () => [1, 0.5] as M));
    expect(lams.slice(0, 5)).toEqual([0.1, 0.1, 0.01, 0.005, 0.005]);
    expect(p.current()).toBe(0.005);
    expect(p.decays().map((d) => d.lambda)).toEqual([0.01, 0.005]);
    const q = autoL2({ lambda0: 0.1, refractory: 0, floor: 0.001 });
    feed(q, Array.from({ length: 20 }, () => [1, 0.5] as M));
    expect(q.current()).toBe(0.001);
  });

  it('agrees with a naive list-based reading of the rule on random training curves', () => {
    const cases: Required<AutoL2Options>[] = [
      { lambda0: 0.1, interval: 10, factor: 10, refractory: 0.1, floor: 0 },
      { lambda0: 0.1, interval: 10, factor: 10, refractory: 0, floor: 0 },
      { lambda0: 0.5, interval: 5, factor: 3, refractory: 2, floor: 0.01 },
      { lambda0: 0.01, interval: 1, factor: 2, refractory: 0.05, floor: 0 },
    ];
    let totalDecays = 0;
    for (const o of cases) {
      for (let seed = 0; seed < 20; seed++) {
        const ms = randomCurve(seed, 300);
        const p = autoL2(o);
        const got = feed(p, ms, o.interval);
        expect(got).toEqual(oracle(o, ms, o.interval));
        totalDecays += p.decays().length;
      }
    }
    expect(totalDecays).toBeGreaterThan(100); // the curves do exercise the decay branch
  });

  it('a state saved at any measurement, through JSON, continues with identical decisions', () => {
    const o: AutoL2Options = { lambda0: 0.1, refractory: 0.05 };
    const ms = randomCurve(7, 120);
    const straight = autoL2(o);
    const want = ms.map(([l, a], i) => straight.observe(i * 10, l, a));
    expect(want.some((d) => d.decayed)).toBe(true);
    for (const cut of [0, 1, 2, 3, 17, 60, 119]) {
      const a = autoL2(o);
      feed(a, ms.slice(0, cut));
      const saved = JSON.parse(JSON.stringify(a.state())) as unknown;
      const viaRestore = autoL2(o);
      viaRestore.restore(saved);
      const viaArg = autoL2(o, saved);
      const rest = ms.slice(cut);
      expect(rest.map(([l, c], i) => viaRestore.observe((cut + i) * 10, l, c))).toEqual(want.slice(cut));
      expect(rest.map(([l, c], i) => viaArg.observe((cut + i) * 10, l, c))).toEqual(want.slice(cut));
      expect(viaArg.decays()).toEqual(straight.decays());
      expect(viaArg.state()).toEqual(straight.state());
    }
  });

  it('state() is a copy: changing it does not touch the controller', () => {
    const p = autoL2({ lambda0: 0.1, refractory: 0 });
    feed(p, [[1, 0.5], [0.9, 0.6]]);
    const s = p.state();
    s.lambda = 123;
    s.last![0] = 99;
    s.decays.push({ step: 0, lambda: 1 });
    expect(p.current()).toBe(0.1);
    expect(p.state().last).toEqual([0.9, 0.6]);
    expect(p.decays()).toEqual([]);
  });

  it('refuses a malformed state to resume from', () => {
    const good = autoL2({ lambda0: 0.1 }).state();
    const p = autoL2({ lambda0: 0.1, floor: 0.01 });
    expect(() => p.restore(null)).toThrow(InputError);
    expect(() => p.restore({ lambda: 0.1 })).toThrow(/cannot resume from this state/);
    expect(() => p.restore({ ...good, lambda: 1 })).toThrow(/lambda 1 is not in \[floor, lambda0\]/); // other options
    expect(() => p.restore({ ...good, lambda: 0.001 })).toThrow(/lambda 0.001 is not in/); // below the floor
    expect(() => p.restore({ ...good, last: [1] })).toThrow(/last\/prev/);
    expect(() => p.restore({ ...good, bestLoss: 'x' })).toThrow(/bestLoss/);
    expect(() => p.restore({ ...good, count: 1.5 })).toThrow(/count/);
    expect(() => p.restore({ ...good, decays: [{ step: 1 }] })).toThrow(/decays/);
    expect(() => autoL2({ lambda0: 0.1 }, { nope: true })).toThrow(InputError);
    expect(p.current()).toBe(0.1); // a refused state leaves the controller as it was
  });

  it('bad options and a NaN measurement are named', () => {
    expect(() => autoL2({ lambda0: 0 })).toThrow(/lambda0 must be a positive/);
    expect(() => autoL2({ lambda0: Infinity })).toThrow(/lambda0 must be a positive/);
    expect(() => autoL2({ lambda0: NaN })).toThrow(/lambda0/);
    expect(() => autoL2({ lambda0: 0.1, interval: 0 })).toThrow(/interval must be an integer ≥ 1/);
    expect(() => autoL2({ lambda0: 0.1, interval: 2.5 })).toThrow(/interval must be an integer ≥ 1/);
    expect(() => autoL2({ lambda0: 0.1, factor: 1 })).toThrow(/factor must be > 1/);
    expect(() => autoL2({ lambda0: 0.1, factor: NaN })).toThrow(/factor must be > 1/);
    expect(() => autoL2({ lambda0: 0.1, refractory: -1 })).toThrow(/refractory must be ≥ 0/);
    expect(() => autoL2({ lambda0: 0.1, floor: 0.2 })).toThrow(/floor must be ≥ 0 and below lambda0/);
    expect(() => autoL2({ lambda0: 0.1, floor: 0.1 })).toThrow(/floor must be ≥ 0 and below lambda0/);
    expect(() => autoL2({ lambda0: 0.1, floor: -0.01 })).toThrow(/floor must be ≥ 0 and below lambda0/);
    for (const bad of [() => autoL2({ lambda0: -1 }), () => autoL2({ lambda0: 0.1, factor: 0.5 })]) expect(bad).toThrow(InputError);
    const p = autoL2({ lambda0: 0.1 });
    expect(() => p.observe(0, NaN, 0.5)).toThrow(InputError);
    expect(() => p.observe(0, 0.5, NaN)).toThrow(InputError);
    expect(() => p.observe(0, Infinity, 0.5)).toThrow(/non-finite loss or accuracy at step 0/);
    expect(p.state().count).toBe(0); // a refused measurement is not counted
  });
});
