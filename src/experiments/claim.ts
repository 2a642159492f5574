import { meanStderr } from '../util/stats.js';

/**
 * A claim's verdict, never kinder than its data: 'holds' needs every seed (or unit) to agree, or the mean to clear
 * the threshold by more than 2 standard errors (plus the grid resolution); 'does not hold' needs the data to miss
 * it by as much; anything in between, or a difference smaller than the evaluation grid can resolve, is
 * 'not resolved'.
 */
export type Verdict = 'holds' | 'does not hold' | 'not resolved';

/** Every verdict, in the order summaries count them. */
export const VERDICTS: readonly Verdict[] = ['holds', 'does not hold', 'not resolved'];

/**
 * A checkable claim printed by `ntk figures`, with the number measured in this very run, the rule that decides it
 * (what is compared, the standard-error rule, the grid resolution) and the verdict that rule gives on the measured
 * numbers (decided in the run, never stored).
 */
export interface Claim {
  figure: string;
  claim: string;
  measured: string;
  /** The decision rule in words: what was compared, the tolerance and standard-error rule, the resolution. */
  rule: string;
  verdict: Verdict;
}

/**
 * "value lies in [lo, hi]" for an estimate with a standard error: 'holds' when the whole interval value ± 2·stderr
 * is inside [lo, hi], 'does not hold' when it lies entirely outside, 'not resolved' otherwise (or when the estimate
 * or its standard error is not finite).
 */
export function intervalVerdict(value: number, stderr: number, lo: number, hi: number): Verdict {
  if (!Number.isFinite(value) || !Number.isFinite(stderr) || stderr < 0) return 'not resolved';
  const a = value - 2 * stderr;
  const b = value + 2 * stderr;
  if (a >= lo && b <= hi) return 'holds';
  if (b < lo || a > hi) return 'does not hold';
  return 'not resolved';
}

/** The rule text of `intervalVerdict`. */
export function intervalRule(what: string, lo: number, hi: number): string {
  return `${what}: holds if the whole interval estimate ± 2 s.e. lies inside [${lo}, ${hi}], does not hold if it lies entirely outside, otherwise not resolved`;
}

/**
 * "every value is below (or above) the bound", from per-unit values (seeds, λ values; one value for a deterministic
 * number), each known only to ± `resolution` (the evaluation grid's; 0 for an exact number):
 * 'holds' when every unit clears the bound by more than the resolution, or the mean clears it by more than
 * 2 standard errors plus the resolution; 'does not hold' when the mean misses it by more than 2 standard errors plus
 * the resolution (for one unit: misses it by more than the resolution); otherwise 'not resolved'.
 */
export function boundVerdict(values: readonly number[], bound: number, side: 'below' | 'above', resolution = 0): Verdict {
  if (values.length === 0 || values.some((v) => Number.isNaN(v)) || !(resolution >= 0)) return 'not resolved';
  // margin > 0: on the good side of the bound
  const margin = (v: number) => (side === 'below' ? bound - v : v - bound);
  if (values.every((v) => margin(v) > resolution)) return 'holds';
  if (values.some((v) => !Number.isFinite(v))) {
    return values.every((v) => margin(v) < -resolution) ? 'does not hold' : 'not resolved';
  }
  const { mean, stderr } = meanStderr(values);
  if (margin(mean) > 2 * stderr + resolution) return 'holds';
  if (margin(mean) < -(2 * stderr + resolution)) return 'does not hold';
  return 'not resolved';
}

/** The rule text of `boundVerdict`. */
export function boundRule(what: string, bound: number | string, side: 'below' | 'above', units: string, resolution: string): string {
  const rel = side === 'below' ? 'below' : 'above';
  return `${what} ${rel} ${bound}: holds if every ${units} is ${rel} it by more than the resolution (${resolution}) or the mean is by more than 2 s.e. plus the resolution; does not hold if the mean is on the other side by more than that; otherwise not resolved`;
}

/**
 * When each unit's event is known to lie in an interval (lo, hi] (the evaluation before it and the one at which it
 * was seen; hi = Infinity: never seen), "the arm's event comes earlier than the reference's", paired by unit.
 * A unit is earlier when arm.hi ≤ ref.lo (the intervals do not overlap) and arm.hi < ref.hi, later when arm.lo ≥ ref.hi
 * and ref.hi < arm.hi, else a tie the grid cannot resolve (two events seen at the same evaluation, e.g. both at t = 0,
 * are a tie). 'holds' when every unit is earlier; 'does not hold' when every unit is later, or every
 * event was seen and the mean of arm − ref (upper ends) exceeds 2 standard errors; otherwise 'not resolved'.
 */
export function pairedEarlierVerdict(arm: readonly Interval[], ref: readonly Interval[]): Verdict {
  if (arm.length === 0 || arm.length !== ref.length) return 'not resolved';
  // strict on the upper ends too: two events seen at the same evaluation ((0, 0] and (0, 0]: both at the start) are a tie
  const order = arm.map((a, i) => (a.hi <= ref[i].lo && a.hi < ref[i].hi && Number.isFinite(a.hi) ? -1 : a.lo >= ref[i].hi && ref[i].hi < a.hi && Number.isFinite(ref[i].hi) ? 1 : 0));
  if (order.every((o) => o === -1)) return 'holds';
  if (order.every((o) => o === 1)) return 'does not hold';
  const d = arm.map((a, i) => a.hi - ref[i].hi);
  if (d.every(Number.isFinite)) {
    const { mean, stderr } = meanStderr(d);
    if (mean - 2 * stderr > 0 && arm.length > 1) return 'does not hold';
  }
  return 'not resolved';
}

/** An event known to lie in (lo, hi]: lo the evaluation before it, hi the one at which it was seen (Infinity: never). */
export interface Interval {
  lo: number;
  hi: number;
}

/** Several conditions together: 'does not hold' if any fails, 'holds' if all hold, else 'not resolved'. */
export function allOf(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('does not hold')) return 'does not hold';
  return verdicts.length > 0 && verdicts.every((v) => v === 'holds') ? 'holds' : 'not resolved';
}

/** "3 hold, 1 does not hold, 2 not resolved (of 6 claims)": the summary line of a claim set, counting the three verdicts. */
export function verdictSummary(claims: readonly Claim[]): string {
  const n = (v: Verdict) => claims.filter((c) => c.verdict === v).length;
  const h = n('holds');
  const d = n('does not hold');
  return `${h} ${h === 1 ? 'holds' : 'hold'}, ${d} ${d === 1 ? 'does' : 'do'} not hold, ${n('not resolved')} not resolved (of ${claims.length} claims)`;
}

/**
 * The claims as `ntk figures` prints them: per claim its figure and text, what was measured, the rule and the verdict
 * (upper case unless it holds), then the summary line; empty for no claims.
 */
export function claimsPrintout(claims: readonly Claim[]): string {
  if (claims.length === 0) return '';
  const one = (c: Claim) => `[${c.figure}] ${c.claim}\n    measured: ${c.measured}\n    rule: ${c.rule}\n    verdict: ${c.verdict === 'holds' ? 'holds' : c.verdict.toUpperCase()} in this run\n`;
  return `${claims.map(one).join('')}claims in this run: ${verdictSummary(claims)}\n`;
}
