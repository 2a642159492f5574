import { InputError } from '../util/errors.js';

/**
 * A piecewise-constant L2 schedule: λ(t) = values[i] for starts[i] ≤ t < starts[i+1] (the last piece lasts
 * forever). starts[0] must be 0. A constant λ is `{ starts: [0], values: [λ] }`.
 * JSON form (for --schedule): {"starts":[0, 100, 300], "values":[0.01, 0.001, 0.0001]}.
 */
export interface LambdaSchedule {
  /** Start time of each piece: 0 first, strictly increasing. */
  readonly starts: readonly number[];
  /** λ ≥ 0 on each piece (same length as `starts`). */
  readonly values: readonly number[];
}

/**
 * The schedule λ(t) = λ for all t ≥ 0.
 * @param lambda - the L2 coefficient λ ≥ 0 (per unit of physical time)
 * @returns the one-piece schedule `{ starts: [0], values: [lambda] }`
 * @throws InputError when λ is negative or not finite
 */
export function constantSchedule(lambda: number): LambdaSchedule {
  return checkSchedule({ starts: [0], values: [lambda] });
}

export function checkSchedule(s: LambdaSchedule): LambdaSchedule {
  if (!Array.isArray(s.starts) || !Array.isArray(s.values) || s.starts.length === 0 || s.starts.length !== s.values.length) {
    throw new InputError('a λ schedule needs "starts" and "values" arrays of the same non-zero length');
  }
  if (s.starts[0] !== 0) throw new InputError(`a λ schedule must start at t = 0, got ${s.starts[0]}`);
  for (let i = 0; i < s.starts.length; i++) {
    const v = s.values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`λ must be a finite number, got ${String(v)} (piece ${i})`);
    if (v < 0) throw new InputError(`λ must be ≥ 0, got ${v} (piece ${i})`);
    const t = s.starts[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new InputError(`schedule start ${i} is not a finite number`);
    if (i > 0 && !(t > s.starts[i - 1])) throw new InputError(`schedule starts must increase: ${s.starts[i - 1]} then ${t}`);
  }
  return s;
}

/**
 * λ(t).
 * @param s - the schedule
 * @param t - physical time ≥ 0
 * @returns λ in force at t (a jump at t takes the new value)
 */
export function lambdaAt(s: LambdaSchedule, t: number): number {
  let i = 0;
  while (i + 1 < s.starts.length && s.starts[i + 1] <= t) i++;
  return s.values[i];
}

/**
 * Λ(t) = ∫_0^t λ(s) ds, exact for a piecewise-constant schedule.
 * @param s - the schedule
 * @param t - physical time ≥ 0
 * @returns Λ(t), dimensionless
 */
export function integratedLambda(s: LambdaSchedule, t: number): number {
  let acc = 0;
  for (let i = 0; i < s.starts.length; i++) {
    const a = s.starts[i];
    if (t <= a) break;
    const b = i + 1 < s.starts.length ? Math.min(t, s.starts[i + 1]) : t;
    acc += s.values[i] * (b - a);
  }
  return acc;
}

export function isConstant(s: LambdaSchedule): boolean {
  return s.values.every((v) => v === s.values[0]);
}
