import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import { float64Arrays, type FlowArrays } from './arrays.js';
import { integrateDopri } from './dopri.js';
import type { Eigenbasis } from './eigenbasis.js';
import { checkDepthLambda, checkTimes } from './problem.js';
import { checkSchedule, integratedLambda, lambdaAt, type LambdaSchedule } from './schedule.js';
import type { FlowSolution } from './spectral.js';

export interface ScheduledFlowOptions<A = unknown> {
  /** Error tolerances (defaults: 1e-11 / 1e-14 in float64; 1e-6 / 1e-9 in float32). */
  rtol?: number;
  atol?: number;
  linalg?: Linalg;
  /** The arrays the integrator runs on: float64 CPU (default) or `tfjsArrays()` (float32, GPU if installed). */
  arrays?: FlowArrays<A>;
}

/**
 * The L2 gradient flow for piecewise-constant λ(t), integrated with adaptive Dormand–Prince 5(4) in the
 * eigenbasis of Θ_0/n, for a batch of schedules at once. With Λ(t) = ∫λ and a = 2(L−1), each mode obeys
 *   f̃' = −κ·e^{−aΛ}(f̃ − ỹ) − Lλ(t)·f̃,
 *   z'  = −e^{−aΛ}(f̃ − ỹ) − Lλ(t)·z,       z(0) = 0,
 * and the test outputs are f*(t) = e^{−LΛ(t)} f0* + C·z(t) (C = Θ_0(X*, X)V/n), which solves
 * (f*)' = −(1/n)Θ_t(X*, X)(f − Y) − Lλ f*. Schedule jumps are breakpoints of the integrator. The rotation
 * back to the original basis is float64 (native BLAS); the integration runs in the arrays' dtype.
 */
export function scheduledSolveBatch<A>(
  eb: Eigenbasis,
  schedules: readonly LambdaSchedule[],
  depth: number,
  times: Float64Array,
  opts: ScheduledFlowOptions<A> = {},
): { solutions: FlowSolution[]; steps: number; dtype: 'float64' | 'float32' } {
  schedules.forEach((s) => checkSchedule(s));
  checkDepthLambda(depth);
  checkTimes(times);
  const arrays = (opts.arrays ?? float64Arrays) as FlowArrays<A>;
  const linalg = opts.linalg ?? getLinalg();
  const B = schedules.length;
  const { n, k, m } = eb;
  const withTest = eb.c !== null;
  const nk = n * k;
  const size = withTest ? 2 * nk : nk;
  const init = new Float64Array(B * size);
  if (eb.f0T) for (let b = 0; b < B; b++) init.set(eb.f0T.data, b * size);
  const a = 2 * (depth - 1);
  const rhs = arrays.bindFlow(eb.kappa, eb.yT.data, k, withTest);
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
  const y0 = arrays.fromRows(init, B, size);
  const { y, steps } = integrateDopri(arrays, f, y0, times, {
    rtol: opts.rtol ?? (f32 ? 1e-6 : 1e-11),
    atol: opts.atol ?? (f32 ? 1e-9 : 1e-14),
    breakpoints: [...new Set(schedules.flatMap((s) => s.starts.slice(1)))],
  });
  arrays.dispose(y0);
  const T = times.length;
  const solutions = schedules.map((schedule, b) => {
    // columns (time j, output c) of the eigen-coordinates, then one gemm with V (train) and C (test)
    const gather = (offset: number): Float64Array => {
      const mt = new Float64Array(n * T * k);
      for (let j = 0; j < T; j++) {
        const base = (j * B + b) * size + offset;
        for (let q = 0; q < nk; q++) mt[Math.floor(q / k) * T * k + j * k + (q % k)] = y[base + q];
      }
      return mt;
    };
    const fTrain = timeMajor(linalg.gemm(eb.v, { rows: n, cols: T * k, data: gather(0) }).data, n, T, k);
    let fTest: Float64Array | null = null;
    if (withTest && eb.c) {
      fTest = timeMajor(linalg.gemm(eb.c, { rows: n, cols: T * k, data: gather(nk) }).data, m, T, k);
      if (eb.f0Test) {
        for (let j = 0; j < T; j++) {
          const dec = Math.exp(-depth * integratedLambda(schedule, times[j]));
          for (let q = 0; q < m * k; q++) fTest[j * m * k + q] += dec * eb.f0Test.data[q];
        }
      }
    }
    return { times, fTrain, fTest };
  });
  return { solutions, steps, dtype: arrays.dtype };
}

/** One schedule, float64 on the CPU: see `scheduledSolveBatch`. */
export function scheduledSolve(
  eb: Eigenbasis,
  schedule: LambdaSchedule,
  depth: number,
  times: Float64Array,
  opts: ScheduledFlowOptions<unknown> = {},
): FlowSolution & { steps: number } {
  const r = scheduledSolveBatch(eb, [schedule], depth, times, opts);
  return { ...r.solutions[0], steps: r.steps };
}

function timeMajor(src: Float64Array, rows: number, T: number, k: number): Float64Array {
  const out = new Float64Array(rows * T * k);
  for (let i = 0; i < rows; i++) for (let j = 0; j < T; j++) for (let c = 0; c < k; c++) out[j * rows * k + i * k + c] = src[i * T * k + j * k + c];
  return out;
}
