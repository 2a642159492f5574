import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import type { Eigenbasis } from './eigenbasis.js';
import { modeResponses } from './modeSolution.js';
import { asTimes, checkDepthLambda, checkTimes } from './problem.js';
import { trajectoryOutputs, type EigenTrajectory, type FlowSolution } from './trajectory.js';

export type { FlowSolution } from './trajectory.js';

/** (e^z − 1)/z, accurate near 0. */
export function expm1OverX(z: number): number {
  return Math.abs(z) < 1e-5 ? 1 + z / 2 + (z * z) / 6 : Math.expm1(z) / z;
}

/**
 * Closed-form solution of the L2 gradient flow at constant λ (paper notes, "closed form"), in the eigenbasis.
 * Each mode has f̃(t) = G·f̃0 + H·ỹ; the test outputs follow from
 *   f*(t) = e^{−Lλt} f0* + C·z(t),   z = (G − e^{−Lλt})/κ · f̃0 + (H/κ) · ỹ,
 * which solves (f*)' = −(1/n)Θ_t(X*, X)(f − Y) − Lλ f* because κe^{−as}G = −G' − LλG (likewise for H).
 * κ → 0 modes use the limits of those ratios. One eigendecomposition (in `eb`) serves every λ and L.
 * @param eb - the eigenbasis of the flow problem
 * @param lambda - constant L2 coefficient λ ≥ 0
 * @param depth - L ≥ 1, the number of weight layers
 * @param outputTimes - strictly increasing physical times t ≥ 0 (any array of numbers)
 * @returns the per-mode coefficients (G, H, and the test factors) at each time, for `trajectoryOutputs` / `trajectoryCurves`
 */
export function spectralTrajectory(eb: Eigenbasis, lambda: number, depth: number, outputTimes: ArrayLike<number>): EigenTrajectory {
  checkDepthLambda(depth, lambda);
  const times = asTimes(outputTimes);
  checkTimes(times);
  const n = eb.n;
  const T = times.length;
  const { g, h } = modeResponses(eb.kappa, lambda, depth, times);
  const withTest = eb.c !== null;
  const zg = withTest ? new Float64Array(n * T) : null;
  const zh = withTest ? new Float64Array(n * T) : null;
  const a = 2 * (depth - 1) * lambda;
  const testDecay = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    const t = times[j];
    const decay = Math.exp(-depth * lambda * t);
    testDecay[j] = decay;
    if (!zg || !zh) continue;
    const w = t * expm1OverX(-a * t); // (1 − e^{−at})/a, → t as a → 0
    const hk0 = decay * t * expm1OverX((depth * lambda - a) * t); // lim_{κ→0} H/κ
    for (let i = 0; i < n; i++) {
      const kap = eb.kappa[i];
      // (G − e^{−Lλt})/κ = −e^{−Lλt}·w·(1 − e^{−κw})/(κw)
      zg[j * n + i] = -decay * w * expm1OverX(-kap * w);
      zh[j * n + i] = kap > 0 ? h[j * n + i] / kap : hk0;
    }
  }
  return { times, g, h, zg, zh, testDecay };
}

/**
 * f on training and test points at each time, float64: see `spectralTrajectory`. `times` is any array of numbers
 * (`logspace(…)`'s number[] or a Float64Array); the result carries the shapes of its arrays (`fTrainShape`, …).
 * @param eb - the eigenbasis of the flow problem (`eigenbasis`, computed once)
 * @param lambda - constant L2 coefficient λ ≥ 0
 * @param depth - L, the number of weight layers (homogeneity degree); L = 1 is the linear (kernel) model
 * @param times - strictly increasing physical times t ≥ 0 (length T)
 * @param opts - float64 linear algebra (default: the best available)
 * @returns `times`, f on the training points (T×n×k) and on the test points (T×m×k, null without a test kernel)
 */
export function spectralSolve(eb: Eigenbasis, lambda: number, depth: number, times: ArrayLike<number>, opts: { linalg?: Linalg } = {}): FlowSolution {
  return trajectoryOutputs(eb, spectralTrajectory(eb, lambda, depth, times), opts.linalg ?? getLinalg());
}
