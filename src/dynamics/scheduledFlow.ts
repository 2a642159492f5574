import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import { integrateDopri } from './dopri.js';
import type { Eigenbasis } from './eigenbasis.js';
import { checkDepthLambda, checkTimes } from './problem.js';
import { checkSchedule, integratedLambda, lambdaAt, type LambdaSchedule } from './schedule.js';
import type { FlowSolution } from './spectral.js';

export interface ScheduledFlowOptions {
  rtol?: number;
  atol?: number;
  linalg?: Linalg;
}

/**
 * The L2 gradient flow for any piecewise-constant λ(t), integrated with adaptive Dormand–Prince 5(4) in the
 * eigenbasis of Θ_0/n (float64). With Λ(t) = ∫λ and a = 2(L−1), each mode obeys
 *   f̃' = −κ·e^{−aΛ}(f̃ − ỹ) − Lλ(t)·f̃,
 *   z'  = −e^{−aΛ}(f̃ − ỹ) − Lλ(t)·z,       z(0) = 0,
 * and the test outputs are f*(t) = e^{−LΛ(t)} f0* + C·z(t) (C = Θ_0(X*, X)V/n), which solves
 * (f*)' = −(1/n)Θ_t(X*, X)(f − Y) − Lλ f*. The schedule's jumps are breakpoints of the integrator.
 */
export function scheduledSolve(
  eb: Eigenbasis,
  schedule: LambdaSchedule,
  depth: number,
  times: Float64Array,
  opts: ScheduledFlowOptions = {},
): FlowSolution & { steps: number } {
  checkSchedule(schedule);
  checkDepthLambda(depth);
  checkTimes(times);
  const linalg = opts.linalg ?? getLinalg();
  const { n, k, m } = eb;
  const wantTest = eb.c !== null;
  const size = n * k;
  const dim = wantTest ? 2 * size : size;
  const y0 = new Float64Array(dim);
  if (eb.f0T) y0.set(eb.f0T.data, 0);
  const a = 2 * (depth - 1);
  const yT = eb.yT.data;
  const kappa = eb.kappa;
  const rhs = (t: number, y: Float64Array, dy: Float64Array): void => {
    const lam = lambdaAt(schedule, t);
    const decay = Math.exp(-a * integratedLambda(schedule, t));
    const shrink = depth * lam;
    for (let i = 0; i < n; i++) {
      const kd = kappa[i] * decay;
      for (let c = 0; c < k; c++) {
        const q = i * k + c;
        const resid = y[q] - yT[q];
        dy[q] = -kd * resid - shrink * y[q];
        if (wantTest) dy[size + q] = -decay * resid - shrink * y[size + q];
      }
    }
  };
  const { y, steps } = integrateDopri(rhs, y0, times, {
    rtol: opts.rtol ?? 1e-11,
    atol: opts.atol ?? 1e-14,
    breakpoints: schedule.starts.slice(1),
  });
  const T = times.length;
  // back to the original basis: one gemm each for train (V) and test (C), time-major columns
  const gather = (offset: number): Float64Array => {
    const mt = new Float64Array(n * T * k);
    for (let j = 0; j < T; j++) for (let q = 0; q < size; q++) mt[Math.floor(q / k) * T * k + j * k + (q % k)] = y[j * dim + offset + q];
    return mt;
  };
  const trainOut = linalg.gemm(eb.v, { rows: n, cols: T * k, data: gather(0) }).data;
  const fTrain = timeMajor(trainOut, n, T, k);
  let fTest: Float64Array | null = null;
  if (wantTest && eb.c) {
    fTest = timeMajor(linalg.gemm(eb.c, { rows: n, cols: T * k, data: gather(size) }).data, m, T, k);
    if (eb.f0Test) {
      for (let j = 0; j < T; j++) {
        const decay = Math.exp(-depth * integratedLambda(schedule, times[j]));
        for (let q = 0; q < m * k; q++) fTest[j * m * k + q] += decay * eb.f0Test.data[q];
      }
    }
  }
  return { times, fTrain, fTest, steps };
}

function timeMajor(src: Float64Array, rows: number, T: number, k: number): Float64Array {
  const out = new Float64Array(rows * T * k);
  for (let i = 0; i < rows; i++) for (let j = 0; j < T; j++) for (let c = 0; c < k; c++) out[j * rows * k + i * k + c] = src[i * T * k + j * k + c];
  return out;
}
