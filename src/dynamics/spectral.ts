import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import type { Eigenbasis } from './eigenbasis.js';
import { modeResponses } from './modeSolution.js';
import { checkDepthLambda, checkTimes } from './problem.js';

/** Outputs of a flow at each requested time, float64, row-major [time][point][output]. */
export interface FlowSolution {
  times: Float64Array;
  /** T×n×k: f on the training points. */
  fTrain: Float64Array;
  /** T×m×k: f on the test points (null without a test kernel). */
  fTest: Float64Array | null;
}

/** (e^z − 1)/z, accurate near 0. */
export function expm1OverX(z: number): number {
  return Math.abs(z) < 1e-5 ? 1 + z / 2 + (z * z) / 6 : Math.expm1(z) / z;
}

/**
 * Closed-form solution of the L2 gradient flow at constant λ (paper notes, "closed form"), for training and
 * test points. In the eigenbasis, each mode has f̃(t) = G·f̃0 + H·ỹ; the test outputs follow from
 *   f*(t) = e^{−Lλt} f0* + C·z(t),   z = (G − e^{−Lλt})/κ · f̃0 + (H/κ) · ỹ,
 * which solves (f*)' = −(1/n)Θ_t(X*, X)(f − Y) − Lλ f* because κe^{−as}G = −G' − LλG (and likewise for H).
 * κ → 0 modes use the limits of those ratios. One eigendecomposition (in `eb`) serves every λ and L.
 */
export function spectralSolve(
  eb: Eigenbasis,
  lambda: number,
  depth: number,
  times: Float64Array,
  opts: { train?: boolean; test?: boolean; linalg?: Linalg } = {},
): FlowSolution {
  checkDepthLambda(depth, lambda);
  checkTimes(times);
  const linalg = opts.linalg ?? getLinalg();
  const { n, k, m } = eb;
  const T = times.length;
  const { g, h } = modeResponses(eb.kappa, lambda, depth, times);
  const wantTrain = opts.train ?? true;
  const wantTest = (opts.test ?? true) && eb.c !== null;
  let fTrain: Float64Array = new Float64Array(0);
  if (wantTrain) {
    // columns (time j, output c) of the eigen-coordinates, then one gemm with V
    const mt = new Float64Array(n * T * k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < T; j++) {
        const gi = g[j * n + i];
        const hi = h[j * n + i];
        for (let c = 0; c < k; c++) {
          const f0 = eb.f0T ? eb.f0T.data[i * k + c] : 0;
          mt[i * T * k + j * k + c] = gi * f0 + hi * eb.yT.data[i * k + c];
        }
      }
    }
    const out = linalg.gemm(eb.v, { rows: n, cols: T * k, data: mt });
    fTrain = reorder(out.data, n, T, k);
  }
  let fTest: Float64Array | null = null;
  if (wantTest && eb.c) {
    const a = 2 * (depth - 1) * lambda;
    const zt = new Float64Array(n * T * k);
    for (let j = 0; j < T; j++) {
      const t = times[j];
      const decay = Math.exp(-depth * lambda * t);
      // w = (1 − e^{−at})/a, → t as a → 0
      const w = t * expm1OverX(-a * t) ;
      for (let i = 0; i < n; i++) {
        const kap = eb.kappa[i];
        // (G − e^{−Lλt})/κ = e^{−Lλt}·(e^{−κw} − 1)/κ = −e^{−Lλt}·w·(1 − e^{−κw})/(κw)
        const pm = -decay * w * expm1OverX(-kap * w) ;
        const hk = kap > 0 ? h[j * n + i] / kap : decay * t * expm1OverX((depth * lambda - a) * t);
        for (let c = 0; c < k; c++) {
          const f0 = eb.f0T ? eb.f0T.data[i * k + c] : 0;
          zt[i * T * k + j * k + c] = pm * f0 + hk * eb.yT.data[i * k + c];
        }
      }
    }
    const out = linalg.gemm(eb.c, { rows: n, cols: T * k, data: zt });
    fTest = reorder(out.data, m, T, k);
    if (eb.f0Test) {
      for (let j = 0; j < T; j++) {
        const decay = Math.exp(-depth * lambda * times[j]);
        for (let q = 0; q < m * k; q++) fTest[j * m * k + q] += decay * eb.f0Test.data[q];
      }
    }
  }
  return { times, fTrain, fTest };
}

/** [point][time][output] → [time][point][output]. */
function reorder(src: Float64Array, rows: number, T: number, k: number): Float64Array {
  const out = new Float64Array(rows * T * k);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < T; j++) {
      for (let c = 0; c < k; c++) out[j * rows * k + i * k + c] = src[i * T * k + j * k + c];
    }
  }
  return out;
}
