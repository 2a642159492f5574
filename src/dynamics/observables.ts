import type { Mat } from '../linalg/matrix.js';
import { integratedLambda, type LambdaSchedule } from './schedule.js';

/**
 * Observables of a flow solution. Conventions: MSE = (1/N)·Σ_i |f(x_i) − y_i|² (summed over the k outputs,
 * averaged over points; the paper's loss is half of it); accuracy compares argmax_c f with argmax_c y for
 * k > 1 outputs and signs for k = 1.
 * @param f - outputs over time, T×N×k row-major (as `FlowSolution.fTrain` / `fTest`)
 * @param y - targets, N×k
 * @param T - number of times
 * @returns T values of (1/N)Σ_i |f(x_i) − y_i|²
 */
export function mseOverTime(f: Float64Array, y: Mat, T: number): Float64Array {
  const size = y.rows * y.cols;
  const out = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    let s = 0;
    for (let q = 0; q < size; q++) s += (f[j * size + q] - y.data[q]) ** 2;
    out[j] = s / y.rows;
  }
  return out;
}

/**
 * Accuracy at each time: the fraction of points whose argmax_c f equals argmax_c y (k > 1 outputs), or whose
 * sign of f equals the sign of y (k = 1).
 * @param f - outputs over time, T×N×k row-major (as `FlowSolution.fTrain` / `fTest`)
 * @param y - targets, N×k
 * @param T - number of times
 * @returns T accuracies in [0, 1]
 */
export function accuracyOverTime(f: Float64Array, y: Mat, T: number): Float64Array {
  const { rows, cols: k } = y;
  const truth = new Int32Array(rows);
  for (let i = 0; i < rows; i++) truth[i] = k === 1 ? (y.data[i] > 0 ? 1 : 0) : argmax(y.data, i * k, k);
  const out = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    let correct = 0;
    for (let i = 0; i < rows; i++) {
      const base = j * rows * k + i * k;
      const pred = k === 1 ? (f[base] > 0 ? 1 : 0) : argmax(f, base, k);
      if (pred === truth[i]) correct++;
    }
    out[j] = correct / rows;
  }
  return out;
}

function argmax(a: Float64Array, off: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (a[off + c] > a[off + best]) best = c;
  return best;
}

/**
 * Relative tolerance under which a minimum equals the curve's first or last value "within rounding": about 4500 ulp
 * of the value, far above the few-ulp noise of a float64 MSE summed over thousands of entries and far below any
 * difference that means something (a test MSE that improves by 1e-12 of itself has no optimal stopping time).
 */
export const EDGE_ROUNDING_TOL = 1e-12;

/**
 * The time of the best value on the grid: the minimum (MSE) or the first time the maximum is reached
 * (accuracy, which is piecewise constant). For 'min', the minimum is refined by a parabola through the
 * three grid points around it in log t, when they bracket it (the grids are log-spaced).
 *
 * `atEdge`: the best value is at the first or last grid time, so t* is only a bound. For 'min' this includes a
 * minimum that equals the first or last value within rounding (|best − edge| ≤ EDGE_ROUNDING_TOL·|edge|), which is
 * then reported as that end (t, value and index of the end point): a curve that falls monotonically to a plateau
 * (the linear model's test MSE settling at the ridge value) has its grid minimum somewhere on the flat tail by
 * rounding noise, which is not an interior optimum.
 * @param values - one value per time (e.g. `mseOverTime` or `accuracyOverTime`)
 * @param times - the times, strictly increasing, same length
 * @param mode - 'min' (loss, MSE) or 'max' (accuracy)
 * @returns t*, the value there, its grid index, and whether it fell on the first or last time (then t* is only a bound)
 */
export function bestTime(values: Float64Array, times: Float64Array, mode: 'min' | 'max'): { t: number; value: number; index: number; atEdge: boolean } {
  let idx = 0;
  for (let j = 1; j < values.length; j++) {
    if (mode === 'min' ? values[j] < values[idx] : values[j] > values[idx]) idx = j;
  }
  const last = values.length - 1;
  if (mode === 'min' && idx !== 0 && idx !== last) {
    // a minimum within rounding of an end value is that end (the last one first: a curve settling on a plateau)
    const withinRounding = (edge: number): boolean => Math.abs(values[idx] - edge) <= EDGE_ROUNDING_TOL * Math.abs(edge);
    if (withinRounding(values[last])) idx = last;
    else if (withinRounding(values[0])) idx = 0;
  }
  const atEdge = idx === 0 || idx === last;
  let t = times[idx];
  if (mode === 'min' && !atEdge && times[idx - 1] > 0) {
    const [x0, x1, x2] = [Math.log(times[idx - 1]), Math.log(times[idx]), Math.log(times[idx + 1])];
    const [y0, y1, y2] = [values[idx - 1], values[idx], values[idx + 1]];
    const denom = (x0 - x1) * (x0 - x2) * (x1 - x2);
    const A = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom;
    const B = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom;
    if (A > 0) {
      const xv = -B / (2 * A);
      if (xv > x0 && xv < x2) t = Math.exp(xv);
    }
  }
  return { t, value: values[idx], index: idx, atEdge };
}

/**
 * Θ_t/Θ_0 = exp(−2(L−1)Λ(t)) for a homogeneous network of depth L.
 * @param depth - L, the number of weight layers
 * @param schedule - λ(t)
 * @param t - physical time
 * @returns the predicted Θ_t/Θ_0, in (0, 1]
 */
export function kernelScale(depth: number, schedule: LambdaSchedule, t: number): number {
  return Math.exp(-2 * (depth - 1) * integratedLambda(schedule, t));
}

/**
 * Spectral filters at the end of training (constant λ): the deep network learns a mode of eigenvalue κ
 * (of Θ_0/n) by 1 − exp(−κ/(2(L−1)λ)); the linear model (L = 1) by κ/(κ + λ).
 * @param kappa - eigenvalue κ ≥ 0 of Θ_0/n
 * @param lambda - constant λ > 0
 * @param depth - L ≥ 2
 * @returns 1 − exp(−κ/(2(L−1)λ)), in [0, 1)
 * @throws RangeError for L < 2 (use linearFilter)
 */
export function deepFilter(kappa: number, lambda: number, depth: number): number {
  if (depth < 2) throw new RangeError('deepFilter needs depth ≥ 2; use linearFilter for L = 1');
  return -Math.expm1(-kappa / (2 * (depth - 1) * lambda));
}

/**
 * The linear model's (L = 1) spectral filter at late times: the weight κ/(κ + λ) with which a mode of eigenvalue κ
 * of Θ_0/n enters the kernel-ridge solution.
 * @param kappa - eigenvalue κ ≥ 0 of Θ_0/n
 * @param lambda - L2 coefficient λ > 0
 * @returns κ/(κ + λ), in [0, 1)
 */
export function linearFilter(kappa: number, lambda: number): number {
  return kappa / (kappa + lambda);
}

/**
 * Least-squares slope of log y against log x, with its standard error.
 * @param x - positive abscissae (e.g. λ)
 * @param y - positive values (e.g. t*), same length (at least 2; 3 for a finite standard error)
 * @returns slope, its standard error and the intercept of log y = slope·log x + intercept
 */
export function logLogSlope(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; stderr: number; intercept: number } {
  const n = x.length;
  const lx = Array.from(x, Math.log);
  const ly = Array.from(y, Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i] - mx) ** 2;
    sxy += (lx[i] - mx) * (ly[i] - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (ly[i] - intercept - slope * lx[i]) ** 2;
  const stderr = n > 2 ? Math.sqrt(rss / (n - 2) / sxx) : NaN;
  return { slope, stderr, intercept };
}
