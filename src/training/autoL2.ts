import { InputError } from '../util/errors.js';
import type { LambdaPolicy } from './policy.js';

export interface AutoL2Options {
  /** Starting λ (the paper uses λ0 = 0.1 in its units). */
  lambda0: number;
  /** Steps between measurements (default 10). */
  interval?: number;
  /** Divide λ by this at each decay (default 10). */
  factor?: number;
  /** Refractory period: after a decay (and at the start) no decay until more than refractory/λ steps passed (default 0.1). */
  refractory?: number;
  /** λ never goes below this (default 0: no floor, as in the authors' code). */
  floor?: number;
}

interface AutoL2State {
  lambda: number;
  lastDecayStep: number;
  /** Measurements so far, and the last two as [loss, accuracy]. */
  count: number;
  last: [number, number] | null;
  prev: [number, number] | null;
  bestLoss: number | null;
  bestAcc: number | null;
  decays: { step: number; lambda: number }[];
}

/**
 * The Auto L2 schedule of Lewkowycz & Gur-Ari (2020), as their released code applies it (github.com/google/autol2,
 * jax_wideresnet_exps.py): start with a large λ and divide it by `factor` whenever progress stalls. At every
 * measurement (every `interval` steps: bare loss and accuracy on the current mini-batch), with at least three
 * measurements so far, decay if the refractory period has passed and either both of the last two losses are
 * ≥ the best loss so far, or both of the last two accuracies are ≤ the best accuracy so far (ties count as no
 * progress). Otherwise the bests absorb the second-to-last measurement. The bests are not reset after a decay.
 *
 * Units: the code's penalty is L2·Σθ² with L2 = λ/2, and it counts the refractory period as delay/L2 steps;
 * ntk-l2 states it as refractory/λ steps in the paper's λ (the paper notes' reading), so `refractory: 0.2`
 * reproduces the code's default delay = 0.1 exactly.
 */
export function autoL2(opts: AutoL2Options): LambdaPolicy & { decays(): { step: number; lambda: number }[] } {
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
  return {
    name: `Auto L2 (λ0 = ${opts.lambda0}, every ${interval} steps, ÷${factor}, refractory ${refractory}/λ, floor ${floor})`,
    interval,
    current: () => s.lambda,
    observe(step: number, loss: number, accuracy: number): void {
      if (!Number.isFinite(loss) || !Number.isFinite(accuracy)) throw new InputError(`Auto L2: measured a non-finite loss or accuracy at step ${step} (${loss}, ${accuracy}); the run diverged`);
      s.count++;
      s.prev = s.last;
      s.last = [loss, accuracy];
      const [l1, a1] = s.last;
      const stalled =
        s.count > 2 &&
        s.prev !== null &&
        s.bestLoss !== null &&
        s.bestAcc !== null &&
        ((s.bestLoss <= l1 && s.bestLoss <= s.prev[0]) || (s.bestAcc >= a1 && s.bestAcc >= s.prev[1]));
      if (stalled && step > refractory / s.lambda + s.lastDecayStep) {
        // at the floor nothing changes (and, as after a decay, the bests are left alone)
        const next = Math.max(floor, s.lambda / factor);
        if (next < s.lambda) {
          s.lambda = next;
          s.lastDecayStep = step;
          s.decays.push({ step, lambda: next });
        }
      } else if (s.count >= 2 && s.prev) {
        s.bestLoss = s.bestLoss === null ? s.prev[0] : Math.min(s.bestLoss, s.prev[0]);
        s.bestAcc = s.bestAcc === null ? s.prev[1] : Math.max(s.bestAcc, s.prev[1]);
      }
    },
    state: () => JSON.parse(JSON.stringify(s)) as AutoL2State,
    restore(state: unknown): void {
      s = JSON.parse(JSON.stringify(state)) as AutoL2State;
    },
    decays: () => s.decays.map((d) => ({ ...d })),
  };
}
