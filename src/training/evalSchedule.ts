import { InputError } from '../util/errors.js';

/**
 * Where a run evaluates. The first pass evaluates on a log-spaced grid (`evalSteps`, 24 per decade by default:
 * neighbouring evaluations ~10% apart in time). Refinement then evaluates densely inside the brackets the first
 * pass found — around the best test accuracy, around the lowest test loss, and around the first crossing of
 * given accuracy levels — so that t* and the time to a target are known to the refinement factor (default 2%).
 */

/**
 * Step numbers where a run evaluates: 0, `perDecade` log-spaced steps per decade (round(10^(j/perDecade)) for
 * j = 0, 1, … below `total`), and the last step `total`; sorted, without repeats.
 * @param total - the run's number of steps
 * @param perDecade - evaluations per decade of steps
 * @returns the sorted step numbers
 */
export function evalSteps(total: number, perDecade: number): number[] {
  const s = new Set<number>([0, total]);
  for (let j = 0; ; j++) {
    const v = Math.round(10 ** (j / perDecade));
    if (v >= total) break;
    s.add(v);
  }
  return [...s].sort((a, b) => a - b);
}

/** Refinement of the evaluation grid (TrainOptions.refine). */
export interface RefineOptions {
  /**
   * Neighbouring evaluations inside a refined bracket are at most this factor apart in step (hence in physical
   * time), or 1 step apart where that is coarser (default 1.02: 2%).
   */
  factor?: number;
  /** Refine around the best test accuracy and the lowest test loss (default true). */
  peaks?: boolean;
  /** Test-accuracy levels whose first crossing (first evaluation with testAcc ≥ level) is refined. */
  accuracyLevels?: number[];
}

/** A step range (from, to] to evaluate densely: `from` is an evaluation already made, `to` one too. */
export interface StepWindow {
  from: number;
  to: number;
}

/** The default refinement factor: 2% in time. */
export const DEFAULT_REFINE_FACTOR = 1.02;

/**
 * Steps strictly between `from` and `to` such that each is at most `factor` times the one before (at least one
 * step more), starting from `from`: the dense evaluations of one bracket.
 */
export function denseSteps(from: number, to: number, factor: number = DEFAULT_REFINE_FACTOR): number[] {
  if (!(factor > 1)) throw new RangeError(`the refinement factor must be > 1, got ${factor}`);
  const out: number[] = [];
  let s = from;
  for (;;) {
    s = Math.max(s + 1, Math.floor(s * factor));
    if (s >= to) break;
    out.push(s);
  }
  return out;
}

/** One evaluation as the schedule sees it (a subset of EvalRecord). */
export interface ScheduleRecord {
  step: number;
  testAcc: number;
  testLoss: number;
}

/**
 * The brackets the first pass found, in step order, overlapping ones merged: for the best test accuracy (its first
 * occurrence) and the lowest test loss, the evaluations just before and just after it; for each accuracy level,
 * the evaluation before the first one at or above the level and that one. `records` must be in step order.
 */
export function refineWindows(records: readonly ScheduleRecord[], o: RefineOptions = {}): StepWindow[] {
  if (records.length < 2) return [];
  const w: StepWindow[] = [];
  const around = (i: number) => w.push({ from: records[Math.max(0, i - 1)].step, to: records[Math.min(records.length - 1, i + 1)].step });
  if (o.peaks ?? true) {
    let iAcc = 0;
    let iLoss = 0;
    records.forEach((r, i) => {
      if (r.testAcc > records[iAcc].testAcc) iAcc = i;
      if (r.testLoss < records[iLoss].testLoss) iLoss = i;
    });
    around(iAcc);
    around(iLoss);
  }
  for (const level of o.accuracyLevels ?? []) {
    const i = records.findIndex((r) => r.testAcc >= level);
    if (i > 0) w.push({ from: records[i - 1].step, to: records[i].step });
  }
  w.sort((a, b) => a.from - b.from);
  const merged: StepWindow[] = [];
  for (const x of w) {
    const last = merged[merged.length - 1];
    if (last && x.from <= last.to) last.to = Math.max(last.to, x.to);
    else if (x.to > x.from) merged.push({ ...x });
  }
  return merged;
}

/**
 * The relative time resolution around step `s` given every evaluated step (sorted): the larger of the gaps to the
 * neighbouring evaluations, divided by s. t* found at step s lies within this fraction of the true grid-free best
 * (for a curve with a single peak between the neighbours).
 */
export function localResolution(steps: readonly number[], s: number): number {
  const i = steps.indexOf(s);
  if (i < 0 || s === 0) return Infinity;
  const left = i > 0 ? s - steps[i - 1] : 0;
  const right = i < steps.length - 1 ? steps[i + 1] - s : 0;
  return Math.max(left, right) / s;
}

/** Refuses malformed refinement options (one clear line, InputError). */
export function checkRefine(o: RefineOptions): void {
  if (o.factor !== undefined && !(Number.isFinite(o.factor) && o.factor > 1)) throw new InputError(`the refinement factor must be a number > 1, got ${o.factor}`);
  for (const l of o.accuracyLevels ?? []) if (!Number.isFinite(l)) throw new InputError(`an accuracy level to refine must be a finite number, got ${l}`);
}
