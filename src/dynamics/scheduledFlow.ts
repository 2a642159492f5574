import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import { float64Arrays, type FlowArrays } from './arrays.js';
import { integrateDopri, integrateDopriAsync } from './dopri.js';
import type { Eigenbasis } from './eigenbasis.js';
import { asTimes, checkDepthLambda, checkTimes } from './problem.js';
import { checkSchedule, integratedLambda, lambdaAt, type LambdaSchedule } from './schedule.js';
import { trajectoryOutputs, type EigenTrajectory, type FlowSolution } from './trajectory.js';

/**
 * Options of the scheduled (piecewise-constant λ(t)) flow solvers: the Dormand–Prince 5(4) error tolerances,
 * the arrays it runs on (float64 CPU or tfjs float32) and a step limit. `A` is the array type of `arrays`.
 */
export interface ScheduledFlowOptions<A = unknown> {
  /** Error tolerances (defaults: 1e-11 / 1e-14 in float64; 1e-6 / 1e-9 in float32). */
  rtol?: number;
  /** Absolute error tolerance of each step (see `rtol` for the defaults). */
  atol?: number;
  /** Float64 linear algebra for the final rotation back from the eigenbasis (default: the best available). */
  linalg?: Linalg;
  /** The arrays the integrator runs on: float64 CPU (default) or `tfjsArrays()` (float32, GPU if installed). */
  arrays?: FlowArrays<A>;
  /** Give up (RangeError) after this many integrator steps (default: the integrator's own limit). */
  maxSteps?: number;
}

/**
 * The L2 gradient flow for piecewise-constant λ(t), integrated with adaptive Dormand–Prince 5(4) in the
 * eigenbasis of Θ_0/n, for a batch of schedules at once. With Λ(t) = ∫λ and a = 2(L−1), each mode obeys
 *   f̃' = −κ·e^{−aΛ}(f̃ − ỹ) − Lλ(t)·f̃,
 *   z'  = −e^{−aΛ}(f̃ − ỹ) − Lλ(t)·z,       z(0) = 0,
 * and the test outputs are f*(t) = e^{−LΛ(t)} f0* + C·z(t) (C = Θ_0(X*, X)V/n), which solves
 * (f*)' = −(1/n)Θ_t(X*, X)(f − Y) − Lλ f*. Schedule jumps are breakpoints of the integrator. The rotation
 * back to the original basis is float64 (native BLAS); the integration runs in the arrays' dtype.
 * @param eb - the eigenbasis of the flow problem (`eigenbasis`)
 * @param schedules - piecewise-constant λ(t) schedules `{starts, values}` (starts from 0, increasing; λ ≥ 0)
 * @param depth - L ≥ 1, the number of weight layers
 * @param times - strictly increasing physical times t ≥ 0 (length T)
 * @param opts - tolerances, the arrays (float64 by default; `tfjsArrays()` for float32 on tfjs), step limit
 * @returns per schedule the per-mode trajectories, the integrator's step count and the dtype it ran in
 */
export function scheduledTrajectories<A>(
  eb: Eigenbasis,
  schedules: readonly LambdaSchedule[],
  depth: number,
  times: ArrayLike<number>,
  opts: ScheduledFlowOptions<A> = {},
): { trajectories: EigenTrajectory[]; steps: number; dtype: 'float64' | 'float32' } {
  const t = asTimes(times);
  const p = prepareFlow(eb, schedules, depth, t, opts);
  try {
    const { y, steps } = integrateDopri(p.arrays, p.f, p.y0, t, p.dopri);
    return p.finish(y, steps);
  } finally {
    p.arrays.dispose(p.y0);
  }
}

/**
 * `scheduledTrajectories` with every read-back awaited: the form to use with `tfjsArrays()` on the webgpu backend
 * (which has no synchronous read in Node.js); the same steps and numbers on any arrays.
 * @param eb - the eigenbasis of the flow problem
 * @param schedules - piecewise-constant λ(t) schedules
 * @param depth - L ≥ 1
 * @param times - strictly increasing physical times t ≥ 0
 * @param opts - tolerances, arrays, step limit
 * @returns per schedule the per-mode trajectories, the step count and the dtype
 */
export async function scheduledTrajectoriesAsync<A>(
  eb: Eigenbasis,
  schedules: readonly LambdaSchedule[],
  depth: number,
  times: ArrayLike<number>,
  opts: ScheduledFlowOptions<A> = {},
): Promise<{ trajectories: EigenTrajectory[]; steps: number; dtype: 'float64' | 'float32' }> {
  const t = asTimes(times);
  const p = prepareFlow(eb, schedules, depth, t, opts);
  try {
    const { y, steps } = await integrateDopriAsync(p.arrays, p.f, p.y0, t, p.dopri);
    return p.finish(y, steps);
  } finally {
    p.arrays.dispose(p.y0);
  }
}

/** The batched flow's setup (state, right-hand side, tolerances) and the split of the result into trajectories. */
function prepareFlow<A>(eb: Eigenbasis, schedules: readonly LambdaSchedule[], depth: number, times: Float64Array, opts: ScheduledFlowOptions<A>) {
  schedules.forEach((s) => checkSchedule(s));
  checkDepthLambda(depth);
  checkTimes(times);
  const arrays = (opts.arrays ?? float64Arrays) as FlowArrays<A>;
  const B = schedules.length;
  const n = eb.n;
  const withTest = eb.c !== null;
  const size = withTest ? 4 * n : 2 * n;
  // state per schedule: [G, H, ZG, ZH] with G(0) = 1, the rest 0
  const init = new Float64Array(B * size);
  for (let b = 0; b < B; b++) init.fill(1, b * size, b * size + n);
  const a = 2 * (depth - 1);
  const rhs = arrays.bindFlow(eb.kappa, withTest);
  const decay = new Float64Array(B);
  const shrink = new Float64Array(B);
  const f = (t: number, y: A): A => {
    for (let b = 0; b < B; b++) {
      decay[b] = Math.exp(-a * integratedLambda(schedules[b], t));
      shrink[b] = depth * lambdaAt(schedules[b], t);
    }
    return rhs(y, decay, shrink);
  };
  const f32 = arrays.dtype === 'float32';
  const dopri = {
    rtol: opts.rtol ?? (f32 ? 1e-6 : 1e-11),
    atol: opts.atol ?? (f32 ? 1e-9 : 1e-14),
    breakpoints: [...new Set(schedules.flatMap((s) => s.starts.slice(1)))],
    maxSteps: opts.maxSteps,
  };
  const finish = (y: Float64Array, steps: number): { trajectories: EigenTrajectory[]; steps: number; dtype: 'float64' | 'float32' } => {
    const T = times.length;
    const trajectories = schedules.map((schedule, b): EigenTrajectory => {
      const part = (offset: number): Float64Array => {
        const out = new Float64Array(T * n);
        for (let j = 0; j < T; j++) out.set(y.subarray((j * B + b) * size + offset, (j * B + b) * size + offset + n), j * n);
        return out;
      };
      return {
        times,
        g: part(0),
        h: part(n),
        zg: withTest ? part(2 * n) : null,
        zh: withTest ? part(3 * n) : null,
        testDecay: Float64Array.from(times, (t) => Math.exp(-depth * integratedLambda(schedule, t))),
      };
    });
    return { trajectories, steps, dtype: arrays.dtype };
  };
  return { arrays, f, y0: arrays.fromRows(init, B, size), dopri, finish };
}

/**
 * Like `scheduledTrajectories`, returning f on training and test points (float64 rotation back).
 * @param eb - the eigenbasis of the flow problem (`eigenbasis`)
 * @param schedules - piecewise-constant λ(t) schedules `{starts, values}` (starts from 0, increasing; λ ≥ 0)
 * @param depth - L ≥ 1, the number of weight layers
 * @param times - strictly increasing physical times t ≥ 0 (length T)
 * @param opts - tolerances, the arrays (float64 by default; `tfjsArrays()` for float32 on tfjs), step limit
 * @returns per schedule f on train (T×n×k) and test (T×m×k), the step count and the dtype (synchronous arrays only: use the Async form on webgpu)
 */
export function scheduledSolveBatch<A>(
  eb: Eigenbasis,
  schedules: readonly LambdaSchedule[],
  depth: number,
  times: ArrayLike<number>,
  opts: ScheduledFlowOptions<A> = {},
): { solutions: FlowSolution[]; steps: number; dtype: 'float64' | 'float32' } {
  const r = scheduledTrajectories(eb, schedules, depth, times, opts);
  const linalg = opts.linalg ?? getLinalg();
  return { solutions: r.trajectories.map((tr) => trajectoryOutputs(eb, tr, linalg)), steps: r.steps, dtype: r.dtype };
}

/**
 * `scheduledSolveBatch` with every read-back awaited (tfjsArrays on the webgpu backend; see `scheduledTrajectoriesAsync`).
 * @param eb - the eigenbasis of the flow problem (`eigenbasis`)
 * @param schedules - piecewise-constant λ(t) schedules `{starts, values}` (starts from 0, increasing; λ ≥ 0)
 * @param depth - L ≥ 1, the number of weight layers
 * @param times - strictly increasing physical times t ≥ 0 (length T)
 * @param opts - tolerances, the arrays (float64 by default; `tfjsArrays()` for float32 on tfjs), step limit
 * @returns the same as `scheduledSolveBatch` (reads back with await: works on every backend, webgpu included)
 */
export async function scheduledSolveBatchAsync<A>(
  eb: Eigenbasis,
  schedules: readonly LambdaSchedule[],
  depth: number,
  times: ArrayLike<number>,
  opts: ScheduledFlowOptions<A> = {},
): Promise<{ solutions: FlowSolution[]; steps: number; dtype: 'float64' | 'float32' }> {
  const r = await scheduledTrajectoriesAsync(eb, schedules, depth, times, opts);
  const linalg = opts.linalg ?? getLinalg();
  return { solutions: r.trajectories.map((tr) => trajectoryOutputs(eb, tr, linalg)), steps: r.steps, dtype: r.dtype };
}

/**
 * One schedule, float64 on the CPU: see `scheduledSolveBatch`.
 * @param eb - the eigenbasis of the flow problem (`eigenbasis`)
 * @param schedule - a piecewise-constant λ(t) `{starts, values}` (starts from 0, increasing; λ ≥ 0)
 * @param depth - L ≥ 1, the number of weight layers
 * @param times - strictly increasing physical times t ≥ 0 (length T)
 * @param opts - tolerances, linear algebra, step limit
 * @returns f on train (T×n×k) and test (T×m×k, null without a test kernel) and the integrator's step count
 */
export function scheduledSolve(
  eb: Eigenbasis,
  schedule: LambdaSchedule,
  depth: number,
  times: ArrayLike<number>,
  opts: ScheduledFlowOptions<unknown> = {},
): FlowSolution & { steps: number } {
  const r = scheduledSolveBatch(eb, [schedule], depth, times, opts);
  return { ...r.solutions[0], steps: r.steps };
}
