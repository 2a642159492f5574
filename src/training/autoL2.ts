import { InputError } from '../util/errors.js';
import type { LambdaPolicy } from './policy.js';

/**
 * Options of the Auto L2 policy (`autoL2`), the rule of the authors' released code: measure every `interval`
 * steps; after the refractory period, divide λ by `factor` when the loss and accuracy stop improving.
 */
export interface AutoL2Options {
  /** Starting λ (the paper uses λ0 = 0.1 in its units). */
  lambda0: number;
  /** Steps between measurements (default 10, as in the authors' code). */
  interval?: number;
  /** Divide λ by this at each decay (default 10, the code's `L2dec`). */
  factor?: number;
  /** Refractory period: after a decay (and at the start) no decay until more than refractory/λ steps passed (default 0.1). */
  refractory?: number;
  /** λ never goes below this (default 0: no floor, as in the authors' code). */
  floor?: number;
}

/** What one measurement did: λ for the next steps, and whether this measurement decayed it. */
export interface AutoL2Decision {
  /** λ from now on. */
  lambda: number;
  /** Whether this measurement decayed λ. */
  decayed: boolean;
}

/** Everything the controller remembers; plain JSON, so it goes into a checkpoint as is. */
export interface AutoL2State {
  /** λ in force. */
  lambda: number;
  /** Step of the last decay (0 before the first: the refractory period also runs from the start). */
  lastDecayStep: number;
  /** Measurements so far, and the last two as [loss, accuracy]. */
  count: number;
  /** The last measurement [loss, accuracy] (null before any). */
  last: [number, number] | null;
  /** The one before it. */
  prev: [number, number] | null;
  /** Best loss absorbed so far (null before any). */
  bestLoss: number | null;
  /** Best accuracy absorbed so far. */
  bestAcc: number | null;
  /** Every decay so far: the step and the new λ. */
  decays: { step: number; lambda: number }[];
}

export interface AutoL2Policy extends LambdaPolicy {
  observe(step: number, loss: number, accuracy: number): AutoL2Decision;
  state(): AutoL2State;
  /** Continues from a `state()` (validated: a malformed state throws InputError). */
  restore(state: unknown): void;
  /** Every decay so far: the step it happened at and the new λ. */
  decays(): { step: number; lambda: number }[];
}

/**
 * The Auto L2 schedule of Lewkowycz & Gur-Ari (2020), as their released code applies it (github.com/google/autol2,
 * jax_wideresnet_exps.py): start with a large λ and divide it by `factor` whenever progress stalls. At every
 * measurement (every `interval` steps: bare loss and accuracy on the current mini-batch), with at least three
 * measurements so far, decay if the refractory period has passed and either both of the last two losses are
 * ≥ the best loss so far, or both of the last two accuracies are ≤ the best accuracy so far (ties count as no
 * progress; one stalled metric suffices). Otherwise the bests absorb the second-to-last measurement (so the
 * latest one is judged against bests that exclude it). The bests are not reset after a decay.
 *
 * Units: the code's penalty is L2·Σθ² with L2 = λ/2, and it counts the refractory period as delay/L2 steps;
 * ntk-l2 states it as refractory/λ steps in the paper's λ (the paper notes' reading), so `refractory: 0.2`
 * reproduces the code's default delay = 0.1 exactly.
 *
 * Resume: the authors' code restarts the schedule from scratch after loading a checkpoint; here `state()` /
 * `restore()` (or the `resume` argument) continue with exactly the decisions an uninterrupted run makes.
 * @param opts - λ0 and the rule's settings (interval, factor, refractory period, floor)
 * @param resume - a `state()` to continue from (optional)
 * @returns the policy (pass it as `lambda` to `trainRun`)
 * @throws InputError for invalid settings
 */
export function autoL2(opts: AutoL2Options, resume?: unknown): AutoL2Policy {
  const interval = opts.interval ?? 10;
  const factor = opts.factor ?? 10;
  const refractory = opts.refractory ?? 0.1;
  const floor = opts.floor ?? 0;
  if (!(Number.isFinite(opts.lambda0) && opts.lambda0 > 0)) throw new InputError(`Auto L2: lambda0 must be a positive finite number, got ${opts.lambda0}`);
  if (!(Number.isInteger(interval) && interval >= 1)) throw new InputError(`Auto L2: interval must be an integer ≥ 1, got ${interval}`);
  if (!(Number.isFinite(factor) && factor > 1)) throw new InputError(`Auto L2: factor must be > 1, got ${factor}`);
  if (!(Number.isFinite(refractory) && refractory >= 0)) throw new InputError(`Auto L2: refractory must be ≥ 0, got ${refractory}`);
  if (!(Number.isFinite(floor) && floor >= 0 && floor < opts.lambda0)) throw new InputError(`Auto L2: floor must be ≥ 0 and below lambda0, got ${floor}`);
  let s: AutoL2State = { lambda: opts.lambda0, lastDecayStep: 0, count: 0, last: null, prev: null, bestLoss: null, bestAcc: null, decays: [] };

  const policy: AutoL2Policy = {
    name: `Auto L2 (λ0 = ${opts.lambda0}, every ${interval} steps, ÷${factor}, refractory ${refractory}/λ, floor ${floor})`,
    interval,
    current: () => s.lambda,
    observe(step: number, loss: number, accuracy: number): AutoL2Decision {
      if (!Number.isFinite(step)) throw new InputError(`Auto L2: step must be a finite number, got ${step}`);
      if (!Number.isFinite(loss) || !Number.isFinite(accuracy)) throw new InputError(`Auto L2: measured a non-finite loss or accuracy at step ${step} (${loss}, ${accuracy}); the run diverged`);
      s.count++;
      s.prev = s.last;
      s.last = [loss, accuracy];
      const prev = s.prev;
      const stalled =
        s.count > 2 &&
        prev !== null &&
        s.bestLoss !== null &&
        s.bestAcc !== null &&
        ((s.bestLoss <= loss && s.bestLoss <= prev[0]) || (s.bestAcc >= accuracy && s.bestAcc >= prev[1]));
      // Same arithmetic as the code's `i > delay/L2 + idel0`, so borderline steps decide identically.
      if (stalled && step > refractory / s.lambda + s.lastDecayStep) {
        // At the floor nothing changes (and, as after a decay, the bests are left alone).
        const next = Math.max(floor, s.lambda / factor);
        if (next < s.lambda) {
          s.lambda = next;
          s.lastDecayStep = step;
          s.decays.push({ step, lambda: next });
          return { lambda: next, decayed: true };
        }
      } else if (prev !== null) {
        s.bestLoss = s.bestLoss === null ? prev[0] : Math.min(s.bestLoss, prev[0]);
        s.bestAcc = s.bestAcc === null ? prev[1] : Math.max(s.bestAcc, prev[1]);
      }
      return { lambda: s.lambda, decayed: false };
    },
    state: () => copyState(s),
    restore(state: unknown): void {
      s = copyState(checkState(state, opts.lambda0, floor));
    },
    decays: () => s.decays.map((d) => ({ ...d })),
  };
  if (resume !== undefined) policy.restore(resume);
  return policy;
}

function copyState(s: AutoL2State): AutoL2State {
  const pair = (p: [number, number] | null): [number, number] | null => (p ? [p[0], p[1]] : null);
  return { ...s, last: pair(s.last), prev: pair(s.prev), decays: s.decays.map((d) => ({ ...d })) };
}

/** A checkpoint's policy state, checked field by field: a state from another policy or a damaged file is refused, not half-used. */
function checkState(state: unknown, lambda0: number, floor: number): AutoL2State {
  const bad = (why: string): never => {
    throw new InputError(`Auto L2: cannot resume from this state (${why})`);
  };
  if (typeof state !== 'object' || state === null) return bad('not an object');
  const o = state as Record<string, unknown>;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const pairOk = (v: unknown): boolean => v === null || (Array.isArray(v) && v.length === 2 && finite(v[0]) && finite(v[1]));
  if (!finite(o.lambda) || o.lambda <= 0 || o.lambda > lambda0 || o.lambda < floor) bad(`lambda ${String(o.lambda)} is not in [floor, lambda0] = [${floor}, ${lambda0}]`);
  if (!finite(o.lastDecayStep)) bad('lastDecayStep is not a finite number');
  if (!(Number.isInteger(o.count) && (o.count as number) >= 0)) bad('count is not an integer ≥ 0');
  if (!pairOk(o.last) || !pairOk(o.prev)) bad('last/prev are not null or [loss, accuracy] pairs');
  if (!(o.bestLoss === null || finite(o.bestLoss)) || !(o.bestAcc === null || finite(o.bestAcc))) bad('bestLoss/bestAcc are not null or finite numbers');
  if (!Array.isArray(o.decays) || !o.decays.every((d: unknown) => typeof d === 'object' && d !== null && finite((d as { step: unknown }).step) && finite((d as { lambda: unknown }).lambda))) {
    bad('decays is not a list of {step, lambda}');
  }
  return o as unknown as AutoL2State;
}
