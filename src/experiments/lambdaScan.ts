import type { Eigenbasis } from '../dynamics/eigenbasis.js';
import { curvesObservable, krylovCurves, krylovFlow, type AdaptiveKrylovFlow, type KrylovCheck, type StreamedFlowProblem } from '../dynamics/krylovFlow.js';
import { bestTime, logLogSlope } from '../dynamics/observables.js';
import { checkDepthLambda } from '../dynamics/problem.js';
import type { PsdOptions, SpectrumClip } from '../dynamics/psdSpectrum.js';
import { spectralTrajectory } from '../dynamics/spectral.js';
import { trajectoryCurves } from '../dynamics/trajectory.js';
import type { Linalg } from '../linalg/types.js';
import { InputError } from '../util/errors.js';

/** One λ of a λ scan: the best times t* of the test MSE and accuracy (physical time), λ·t*, and the values there. */
export interface ScanRow {
  /** The L2 coefficient λ of this row. */
  lambda: number;
  /** Time of the best test MSE (refined in log t) and λ·t*. */
  tStarMse: number;
  /** λ·t* of the best test MSE (dimensionless). */
  lambdaTStarMse: number;
  /** The best test MSE, (1/m)Σ|f − y|², at t*. */
  bestTestMse: number;
  /** First time of the best test accuracy and λ·t*. */
  tStarAcc: number;
  /** λ·t* of the best test accuracy. */
  lambdaTStarAcc: number;
  /** The best test accuracy, in [0, 1]. */
  bestTestAcc: number;
  /** Test MSE and accuracy at the last time of the grid. */
  finalTestMse: number;
  /** Test accuracy at the last time of the grid. */
  finalTestAcc: number;
  /** The best MSE fell on the first or last grid time: t* is then only a bound. */
  mseAtEdge: boolean;
  /** The best accuracy fell on the first or last grid time (t* only a bound). */
  accAtEdge: boolean;
}

/** The result of `lambdaScan`: one row per λ, the fitted log-log slopes of t* against λ (theory −1), and the curves. */
export interface ScanResult {
  /** Depth L of the flow (number of weight layers; L = 1 is the linear model). */
  depth: number;
  /** One row per λ, in the order given. */
  rows: ScanRow[];
  /** Least-squares slope of log t* against log λ, with its standard error, over rows whose t* is interior. */
  slopeMse: { slope: number; stderr: number; points: number };
  /** The same slope from the times of the best test accuracy. */
  slopeAcc: { slope: number; stderr: number; points: number };
  /** Curves against physical time, per λ: the grid is λ·t ∈ [uMin, uMax], so times differ per λ. */
  curves: { lambda: number; times: number[]; testMse: number[]; testAcc: number[]; trainMse: number[] }[];
}

/** Options of `lambdaScan`: the λ·t grid, the linear algebra and a progress callback. */
export interface ScanOptions {
  /** Grid of λ·t (log-spaced) on which each λ is evaluated: [min, max, points]. Default [1e-3, 1e2, 300]. */
  lambdaTimeGrid?: [number, number, number];
  /** Float64 linear algebra (default: the best available). */
  linalg?: Linalg;
  /** Called after each λ with (λ values done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * `count` log-spaced values from a to b, both included (the end VALUES, not exponents: numpy's
 * np.logspace(-1, 4, 50) is logspace(0.1, 1e4, 50) here). Needs 0 < a < b and an integer count ≥ 2.
 * @param a - first value (> 0)
 * @param b - last value (> a)
 * @param count - number of values (≥ 2)
 * @returns a·(b/a)^(i/(count − 1)) for i = 0 … count − 1
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

/** What a λ scan evaluates: train MSE, test MSE and test accuracy of one λ over `times` (float64). */
export type ScanCurves = (lambda: number, times: Float64Array) => { trainMse: Float64Array; testMse: Float64Array | null; testAcc: Float64Array | null };

/**
 * The λ scan: one eigendecomposition (in `eb`), then for every λ the closed-form flow on a grid of λ·t, the
 * test MSE and accuracy over time, their best times t*, and the log-log slope of t* against λ. Float64.
 * Requires test targets (eb.yTest).
 * @param eb - the eigenbasis, with a test kernel and test targets
 * @param lambdaValues - the λ values (each > 0; any array of numbers)
 * @param depth - L ≥ 1, the number of weight layers
 * @param opts - the λ·t grid (default [1e-3, 1e2, 300]), linear algebra, progress
 * @returns one row per λ (t*, λ·t*, best and final values), the slopes of log t* against log λ, and the curves
 * @throws InputError without test points, for no λ, or for λ ≤ 0
 */
export function lambdaScan(eb: Eigenbasis, lambdaValues: ArrayLike<number>, depth: number, opts: ScanOptions = {}): ScanResult {
  const lambdas = Array.from(lambdaValues); // number[] (logspace) or a Float64Array
  if (!eb.c || !eb.yTest) throw new InputError('a λ scan needs test points: the test–train kernel and test targets');
  return lambdaScanWith((lambda, times) => trajectoryCurves(eb, spectralTrajectory(eb, lambda, depth, times), opts.linalg), lambdas, depth, opts);
}

/** The checks of a λ scan's inputs (λ > 0, valid depth), shared by both solvers. */
function checkScan(lambdas: readonly number[], depth: number): void {
  if (lambdas.length === 0) throw new InputError('no λ values to scan');
  for (const l of lambdas) {
    checkDepthLambda(depth, l);
    if (l === 0) throw new InputError('λ = 0 has no 1/λ time scale; scan λ > 0');
  }
}

/** The times of one λ on the scan grid: λ·t log-spaced over [min, max] (default [1e-3, 1e2], 300 points). */
export function scanTimes(lambda: number, grid: [number, number, number] = [1e-3, 1e2, 300]): Float64Array {
  return Float64Array.from(logspace(grid[0], grid[1], grid[2]), (v) => v / lambda);
}

/** Options of {@link krylovLambdaScan}: the scan's, the PSD check's, and the Krylov tolerance. */
export interface KrylovScanOptions extends ScanOptions, PsdOptions {
  /** Relative accuracy requested of every train and test MSE value of the scan (the estimate; default 1e-8). */
  tol?: number;
  /** Largest basis size (default n): the basis stops there (converged: false when the estimate is still above tol). */
  maxSize?: number;
  /** Called after each basis-size check. */
  onCheck?: (c: KrylovCheck) => void;
}

/** A Krylov scan's result: the scan, and the basis that produced it (size, error estimate, checks). */
export interface KrylovScanResult extends ScanResult {
  krylov: {
    size: number;
    estimate: number;
    converged: boolean;
    passes: { train: number; test: number };
    checks: { size: number; estimate: number; residual: number }[];
    /** Negative Ritz values set to 0 (round-off, or regularization when asked), as eigenbasis() reports. */
    spectrum: SpectrumClip;
  };
}

/** The flow solvers of a λ scan. */
export const SCAN_SOLVERS = ['auto', 'spectral', 'krylov'] as const;
export type ScanSolver = (typeof SCAN_SOLVERS)[number];

/**
 * Largest n for which `auto` takes the spectral solver. The eigendecomposition grows as n³ while the Krylov basis
 * the bundled digits need stays at ~200–300 vectors (each one pass over Θ, n² per block): measured on this project's
 * 2-core box, n = 600 took 0.6 s (eigh) against 3.7 s (Krylov to 1e-10), n = 2000 45 s against 12 s (load ~10);
 * see docs/design/krylov-flow.md.
 */
export const AUTO_SPECTRAL_MAX_N = 1500;

/** Resolves `auto` by n (spectral up to {@link AUTO_SPECTRAL_MAX_N}); refuses other names (InputError). */
export function chooseScanSolver(choice: string, n: number): 'spectral' | 'krylov' {
  if (!(SCAN_SOLVERS as readonly string[]).includes(choice)) throw new InputError(`--solver must be auto, spectral or krylov, got "${choice}"`);
  if (choice === 'auto') return n <= AUTO_SPECTRAL_MAX_N ? 'spectral' : 'krylov';
  return choice as 'spectral' | 'krylov';
}

/**
 * The λ scan on a block Krylov basis (krylovFlow.ts) instead of the eigendecomposition: the basis grows until every
 * train and test MSE value of the scan (all λ, all grid times) changes by at most `tol` (relative) between checks,
 * then the scan runs on the Ritz basis exactly as {@link lambdaScan} does on the eigenbasis. Θ and Θ* are read in
 * row blocks only (in memory or from disk). The test accuracy is not in the estimate (it is piecewise constant;
 * it moves only where two classes' outputs are within the MSE error of a tie).
 */
export function krylovLambdaScan(p: StreamedFlowProblem, lambdas: readonly number[], depth: number, opts: KrylovScanOptions = {}): KrylovScanResult {
  if (!p.test || !p.yTest) throw new InputError('a λ scan needs test points: the test–train kernel and test targets');
  checkScan(lambdas, depth);
  const grid = opts.lambdaTimeGrid ?? [1e-3, 1e2, 300];
  scanTimes(1, grid); // checks the grid before any work
  const kf: AdaptiveKrylovFlow = krylovFlow(p, {
    observe: curvesObservable(lambdas, depth, (l) => scanTimes(l, grid), opts.linalg),
    tol: opts.tol,
    maxSize: opts.maxSize,
    linalg: opts.linalg,
    regularize: opts.regularize,
    tolerance: opts.tolerance,
    onCheck: opts.onCheck,
  });
  const scan = lambdaScanWith((lambda, times) => krylovCurves(kf, lambda, depth, times, opts.linalg), lambdas, depth, opts);
  return {
    ...scan,
    krylov: {
      size: kf.size,
      estimate: kf.estimate,
      converged: kf.converged,
      passes: { ...kf.basis.passes },
      checks: kf.checks.map((c) => ({ size: c.size, estimate: c.estimate, residual: c.residual })),
      spectrum: kf.eb.spectrum,
    },
  };
}

/** The λ scan on any solver's curves (see {@link lambdaScan}); `curvesAt` must give test MSE and accuracy. */
export function lambdaScanWith(curvesAt: ScanCurves, lambdas: readonly number[], depth: number, opts: ScanOptions = {}): ScanResult {
  checkScan(lambdas, depth);
  const [uMin, uMax, count] = opts.lambdaTimeGrid ?? [1e-3, 1e2, 300];
  const u = logspace(uMin, uMax, count);
  const rows: ScanRow[] = [];
  const curves: ScanResult['curves'] = [];
  lambdas.forEach((lambda, idx) => {
    const times = Float64Array.from(u, (v) => v / lambda);
    const curvesNow = curvesAt(lambda, times);
    const T = times.length;
    if (!curvesNow.testMse || !curvesNow.testAcc) throw new InputError('a λ scan needs test points: the test–train kernel and test targets');
    const testMse = curvesNow.testMse;
    const testAcc = curvesNow.testAcc;
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
