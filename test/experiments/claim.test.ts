import { describe, expect, it } from 'vitest';
import { allOf, boundVerdict, claimsPrintout, intervalVerdict, pairedEarlierVerdict, verdictSummary, type Claim, type Interval } from '../../src/experiments/claim.js';

describe('claim verdicts: each rule gives each of the three outcomes on synthetic inputs', () => {
  it('interval: holds only if the whole ±2 s.e. interval is inside, does not hold only if entirely outside', () => {
    // slope −1 ± 0.2 (the finite t* claim)
    expect(intervalVerdict(-0.95, 0.05, -1.2, -0.8)).toBe('holds'); // [−1.05, −0.85]
    expect(intervalVerdict(-0.95, 0.1, -1.2, -0.8)).toBe('not resolved'); // [−1.15, −0.75]: pokes out
    expect(intervalVerdict(-0.5, 0.1, -1.2, -0.8)).toBe('does not hold'); // [−0.7, −0.3]
    expect(intervalVerdict(-0.75, 0.01, -1.2, -0.8)).toBe('does not hold');
    // the point estimate inside the range is not enough when the s.e. is large
    expect(intervalVerdict(-1, 0.3, -1.2, -0.8)).toBe('not resolved');
    expect(intervalVerdict(NaN, 0.1, -1.2, -0.8)).toBe('not resolved');
    expect(intervalVerdict(-1, NaN, -1.2, -0.8)).toBe('not resolved');
  });

  it('bound: every unit beyond the resolution, or the mean beyond 2 s.e. + resolution', () => {
    // "gap below 0.01", per seed
    expect(boundVerdict([0.002, 0.004, -0.001], 0.01, 'below')).toBe('holds');
    // one seed over the bound, and the mean within 2 s.e. of it
    expect(boundVerdict([0.002, 0.004, 0.02], 0.01, 'below')).toBe('not resolved');
    // the mean beyond the bound by more than 2 s.e.
    expect(boundVerdict([0.03, 0.035, 0.04], 0.01, 'below')).toBe('does not hold');
    // not every seed, but the mean clears it by more than 2 s.e.: holds
    expect(boundVerdict([0.001, 0.002, 0.0015, 0.011, 0.0005, 0.001, 0.002, 0.001], 0.01, 'below')).toBe('holds');
    // a resolution larger than the effect: not resolved, on either side
    expect(boundVerdict([3.9], 4, 'below', 0.3)).toBe('not resolved');
    expect(boundVerdict([4.1], 4, 'below', 0.3)).toBe('not resolved');
    expect(boundVerdict([3.5], 4, 'below', 0.3)).toBe('holds');
    expect(boundVerdict([4.5], 4, 'below', 0.3)).toBe('does not hold');
    expect(boundVerdict([0.3], 0.1, 'above')).toBe('holds');
    expect(boundVerdict([0.05], 0.1, 'above')).toBe('does not hold');
    expect(boundVerdict([], 0.1, 'below')).toBe('not resolved');
    expect(boundVerdict([Infinity, Infinity], 0.1, 'below')).toBe('does not hold');
    expect(boundVerdict([0.01, Infinity], 0.1, 'below')).toBe('not resolved');
  });

  it('paired earlier: every seed earlier, with the evaluation intervals disjoint', () => {
    const iv = (pairs: [number, number][]): Interval[] => pairs.map(([lo, hi]) => ({ lo, hi }));
    const ref = iv([[110, 120], [150, 160], [180, 190]]);
    expect(pairedEarlierVerdict(iv([[90, 100], [140, 150], [160, 170]]), ref)).toBe('holds');
    // seed 2 reached it in the same interval: a tie the grid cannot resolve
    expect(pairedEarlierVerdict(iv([[90, 100], [150, 160], [160, 170]]), ref)).toBe('not resolved');
    // last session's λ0 = 0.01: one seed never reached the target
    expect(pairedEarlierVerdict(iv([[170, 174], [145, 150], [200, Infinity]]), iv([[190, 191.5], [175, 180], [195, 200]]))).toBe('not resolved');
    // every seed later, or never
    expect(pairedEarlierVerdict(iv([[200, Infinity], [200, Infinity], [200, Infinity]]), ref)).toBe('does not hold');
    expect(pairedEarlierVerdict(iv([[130, 140], [170, 180], [190, 200]]), ref)).toBe('does not hold');
    // overlapping intervals (no seed resolved) but later on average by more than 2 s.e.
    expect(pairedEarlierVerdict(iv([[115, 125], [155, 166], [185, 196]]), ref)).toBe('does not hold');
    // one seed earlier, one later: not resolved
    expect(pairedEarlierVerdict(iv([[90, 100], [170, 180], [185, 190]]), ref)).toBe('not resolved');
    expect(pairedEarlierVerdict([], [])).toBe('not resolved');
    expect(pairedEarlierVerdict(iv([[1, 2]]), ref)).toBe('not resolved');
    // both arms at the target from the start ((0, 0], a degenerate interval): a tie, not "earlier" nor "later"
    expect(pairedEarlierVerdict(iv([[0, 0], [0, 0], [0, 0]]), iv([[0, 0], [0, 0], [0, 0]]))).toBe('not resolved');
    expect(pairedEarlierVerdict(iv([[90, 100], [0, 0], [160, 170]]), iv([[100, 110], [0, 0], [170, 180]]))).toBe('not resolved');
  });

  it('allOf and the summary line count the three verdicts', () => {
    expect(allOf(['holds', 'holds'])).toBe('holds');
    expect(allOf(['holds', 'not resolved'])).toBe('not resolved');
    expect(allOf(['not resolved', 'does not hold'])).toBe('does not hold');
    expect(allOf([])).toBe('not resolved');
    const c = (verdict: Claim['verdict']): Claim => ({ figure: 'f', claim: 'c', measured: 'm', rule: 'r', verdict });
    expect(verdictSummary([c('holds'), c('not resolved'), c('holds'), c('does not hold')])).toBe('2 hold, 1 does not hold, 1 not resolved (of 4 claims)');
    expect(verdictSummary([c('holds')])).toBe('1 holds, 0 do not hold, 0 not resolved (of 1 claims)');
  });

  it('the printout gives each claim its measured numbers, rule and verdict, then the three counts', () => {
    const claims: Claim[] = [
      { figure: 'a', claim: 'slope −1', measured: 'slope −0.95 ± 0.10', rule: 'interval rule', verdict: 'not resolved' },
      { figure: 'b', claim: 'gap < 1%', measured: 'gap 0.2 ± 0.1', rule: 'bound rule', verdict: 'holds' },
    ];
    expect(claimsPrintout(claims)).toBe(
      '[a] slope −1\n    measured: slope −0.95 ± 0.10\n    rule: interval rule\n    verdict: NOT RESOLVED in this run\n' +
        '[b] gap < 1%\n    measured: gap 0.2 ± 0.1\n    rule: bound rule\n    verdict: holds in this run\n' +
        'claims in this run: 1 holds, 0 do not hold, 1 not resolved (of 2 claims)\n',
    );
    expect(claimsPrintout([])).toBe('');
  });
});
