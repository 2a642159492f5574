import type { Eigenbasis } from '../dynamics/eigenbasis.js';
import { bestTime, logLogSlope } from '../dynamics/observables.js';
import { checkDepthLambda } from '../dynamics/problem.js';
import { spectralTrajectory } from '../dynamics/spectral.js';
import { trajectoryCurves } from '../dynamics/trajectory.js';
import type { Linalg } from '../linalg/types.js';
import { InputError } from '../util/errors.js';

export interface ScanRow {
  lambda: number;
  /** Time of the best test MSE (refined in log t) and λ·t*. */
  tStarMse: number;
  lambdaTStarMse: number;
  bestTestMse: number;
  /** First time of the best test accuracy and λ·t*. */
  tStarAcc: number;
  lambdaTStarAcc: number;
  bestTestAcc: number;
  /** Test MSE and accuracy at the last time of the grid. */
  finalTestMse: number;
  finalTestAcc: number;
  /** The best MSE fell on the first or last grid time: t* is then only a bound. */
  mseAtEdge: boolean;
  accAtEdge: boolean;
}

export interface ScanResult {
  depth: number;
  rows: ScanRow[];
  /** Least-squares slope of log t* against log λ, with its standard error, over rows whose t* is interior. */
  slopeMse: { slope: number; stderr: number; points: number };
  slopeAcc: { slope: number; stderr: number; points: number };
  /** Curves against physical time, per λ: the grid is λ·t ∈ [uMin, uMax], so times differ per λ. */
  curves: { lambda: number; times: number[]; testMse: number[]; testAcc: number[]; trainMse: number[] }[];
}

export interface ScanOptions {
  /** Grid of λ·t (log-spaced) on which each λ is evaluated: [min, max, points]. Default [1e-3, 1e2, 300]. */
  lambdaTimeGrid?: [number, number, number];
  linalg?: Linalg;
  onProgress?: (done: number, total: number) => void;
}

/**
 * `count` log-spaced values from a to b, both included (the end VALUES, not exponents: numpy's
 * np.logspace(-1, 4, 50) is logspace(0.1, 1e4, 50) here). Needs 0 < a < b and an integer count ≥ 2.
 */
export function logspace(a: number, b: number, count: number): number[] {
  const bad = (why: string): InputError => new InputError(`bad log-spaced range ${a}:${b}:${count}: ${why}`);
  if (!(a > 0) || !Number.isFinite(a)) {
    const hint = Number.isFinite(a) && Number.isFinite(b) && b > a ? ` (the ends are values, not powers of 10: for 10^${a} … 10^${b} pass ${10 ** a}, ${10 ** b})` : '';
    throw bad(`the start must be a finite value > 0, got ${a}${hint}`);
  }
  if (!(b > a) || !Number.isFinite(b)) throw bad(`the end must be a finite value above the start ${a}, got ${b}`);
  if (!Number.isInteger(count) || count < 2) throw bad(`the count must be an integer ≥ 2, got ${count}`);
  return Array.from({ length: count }, (_, i) => a * (b / a) ** (i / (count - 1)));
}

/**
 * The λ scan: one eigendecomposition (in `eb`), then for every λ the closed-form flow on a grid of λ·t, the
 * test MSE and accuracy over time, their best times t*, and the log-log slope of t* against λ. Float64.
 * Requires test targets (eb.yTest).
 */
export function lambdaScan(eb: Eigenbasis, lambdaValues: ArrayLike<number>, depth: number, opts: ScanOptions = {}): ScanResult {
  const lambdas = Array.from(lambdaValues); // number[] (logspace) or a Float64Array
  if (!eb.c || !eb.yTest) throw new InputError('a λ scan needs test points: the test–train kernel and test targets');
  if (lambdas.length === 0) throw new InputError('no λ values to scan');
  for (const l of lambdas) {
    checkDepthLambda(depth, l);
    if (l === 0) throw new InputError('λ = 0 has no 1/λ time scale; scan λ > 0');
  }
  const [uMin, uMax, count] = opts.lambdaTimeGrid ?? [1e-3, 1e2, 300];
  const u = logspace(uMin, uMax, count);
  const rows: ScanRow[] = [];
  const curves: ScanResult['curves'] = [];
  lambdas.forEach((lambda, idx) => {
    const times = Float64Array.from(u, (v) => v / lambda);
    const curvesNow = trajectoryCurves(eb, spectralTrajectory(eb, lambda, depth, times), opts.linalg);
    const T = times.length;
    const testMse = curvesNow.testMse!;
    const testAcc = curvesNow.testAcc!;
    const trainMse = curvesNow.trainMse;
    const bm = bestTime(testMse, times, 'min');
    const ba = bestTime(testAcc, times, 'max');
    rows.push({
      lambda,
      tStarMse: bm.t,
      lambdaTStarMse: lambda * bm.t,
      bestTestMse: bm.value,
      tStarAcc: ba.t,
      lambdaTStarAcc: lambda * ba.t,
      bestTestAcc: ba.value,
      finalTestMse: testMse[T - 1],
      finalTestAcc: testAcc[T - 1],
      mseAtEdge: bm.atEdge,
      accAtEdge: ba.atEdge,
    });
    curves.push({ lambda, times: Array.from(times), testMse: Array.from(testMse), testAcc: Array.from(testAcc), trainMse: Array.from(trainMse) });
    opts.onProgress?.(idx + 1, lambdas.length);
  });
  const fit = (key: 'tStarMse' | 'tStarAcc', edge: 'mseAtEdge' | 'accAtEdge') => {
    const use = rows.filter((r) => !r[edge]);
    if (use.length < 3) return { slope: NaN, stderr: NaN, points: use.length };
    const f = logLogSlope(use.map((r) => r.lambda), use.map((r) => r[key]));
    return { slope: f.slope, stderr: f.stderr, points: use.length };
  };
  return { depth, rows, slopeMse: fit('tStarMse', 'mseAtEdge'), slopeAcc: fit('tStarAcc', 'accAtEdge'), curves };
}
