import { checkMatArgument, type Mat } from '../linalg/matrix.js';
import { InputError, assertFinite } from '../util/errors.js';

/**
 * The data of an infinite-width L2 flow (float64):
 * Θ_0 on the training set (n×n, symmetric PSD), targets Y (n×k), and optionally the test–train kernel
 * Θ_0(X*, X) (m×n), test targets Y* (m×k) and the initial outputs f0 (n×k), f0* (m×k) (default 0: the
 * infinite-width ensemble mean).
 */
export interface FlowProblem {
  /** Θ_0 on the training set, n×n, symmetric positive semi-definite. */
  thetaTrain: Mat;
  /** Training targets Y, n×k. */
  y: Mat;
  /** Θ_0(X*, X), m×n (test × train); needed for test outputs. */
  thetaTest?: Mat | null;
  /** Test targets Y*, m×k. */
  yTest?: Mat | null;
  /** Initial outputs on the training points, n×k (default 0). */
  f0?: Mat | null;
  /** Initial outputs on the test points, m×k (default 0). */
  f0Test?: Mat | null;
}

/**
 * Largest accepted |Θ_ij − Θ_ji| relative to max|Θ|: kernels computed in float64 are symmetric to ~1e-16
 * (ntk kernel mirrors one triangle, so exactly); a kernel saved as float32 is still symmetric, each entry rounded
 * alike. A larger difference means the matrix is not a kernel (a wrong file, or X and X* swapped).
 */
export const SYMMETRY_TOLERANCE = 1e-10;

/** Checks shapes, finiteness and symmetry of a flow problem; throws InputError naming the problem. */
export function checkFlowProblem(p: FlowProblem): void {
  checkMatArgument(p.thetaTrain, 'Θ (train)');
  checkMatArgument(p.y, 'Y');
  for (const [m, name] of [[p.thetaTest, 'Θ (test)'], [p.yTest, 'Y (test)'], [p.f0, 'f0'], [p.f0Test, 'f0 (test)']] as const) {
    if (m !== undefined && m !== null) checkMatArgument(m, name);
  }
  const { thetaTrain: th, y } = p;
  if (th.rows !== th.cols) throw new InputError(`Θ (train) must be square, got ${th.rows}×${th.cols}`);
  if (th.rows === 0) throw new InputError('Θ (train) is empty');
  assertFinite(th, 'Θ (train)');
  const n = th.rows;
  let maxAbs = 0;
  for (let i = 0; i < th.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(th.data[i]));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = th.data[i * n + j];
      const b = th.data[j * n + i];
      if (Math.abs(a - b) > SYMMETRY_TOLERANCE * Math.max(maxAbs, 1e-300)) {
        throw new InputError(
          `Θ (train) is not symmetric: entry (${i}, ${j}) = ${a} but (${j}, ${i}) = ${b} ` +
            `(beyond the round-off tolerance ${SYMMETRY_TOLERANCE}·max|Θ| = ${(SYMMETRY_TOLERANCE * maxAbs).toPrecision(3)})`,
        );
      }
    }
  }
  if (y.rows !== n) throw new InputError(`Y has ${y.rows} rows but Θ is ${n}×${n}: one target row per training point`);
  if (y.cols === 0) throw new InputError('Y has no columns');
  assertFinite(y, 'Y');
  const k = y.cols;
  if (p.f0) {
    if (p.f0.rows !== n || p.f0.cols !== k) throw new InputError(`f0 must be ${n}×${k} like Y, got ${p.f0.rows}×${p.f0.cols}`);
    assertFinite(p.f0, 'f0');
  }
  if (p.thetaTest) {
    if (p.thetaTest.cols !== n) throw new InputError(`Θ (test) must be m×${n} (test × train), got ${p.thetaTest.rows}×${p.thetaTest.cols}`);
    assertFinite(p.thetaTest, 'Θ (test)');
  }
  checkTestTargets(p.thetaTest ? p.thetaTest.rows : null, k, p.yTest, p.f0Test);
}

/**
 * Checks the test targets and test initial outputs against m test points and k outputs (InputError otherwise);
 * with no test kernel (`m` null) there must be neither.
 * @param m - number of test points (rows of the test–train kernel), or null without one
 * @param k - number of outputs (columns of Y)
 * @param yTest - test targets, m×k (optional)
 * @param f0Test - test initial outputs, m×k (optional)
 */
export function checkTestTargets(m: number | null, k: number, yTest?: Mat | null, f0Test?: Mat | null): void {
  if (m === null) {
    if (yTest || f0Test) throw new InputError('test targets or test initial outputs were given without the test–train kernel Θ (test)');
    return;
  }
  if (yTest && (yTest.rows !== m || yTest.cols !== k)) throw new InputError(`Y (test) must be ${m}×${k}, got ${yTest.rows}×${yTest.cols}`);
  if (yTest) assertFinite(yTest, 'Y (test)');
  if (f0Test && (f0Test.rows !== m || f0Test.cols !== k)) throw new InputError(`f0 (test) must be ${m}×${k}, got ${f0Test.rows}×${f0Test.cols}`);
  if (f0Test) assertFinite(f0Test, 'f0 (test)');
}

export function checkDepthLambda(depth: number, lambda?: number): void {
  if (!Number.isInteger(depth) || depth < 1) throw new InputError(`depth L must be an integer ≥ 1 (L = 1 is the linear model), got ${depth}`);
  if (lambda !== undefined) {
    if (!Number.isFinite(lambda)) throw new InputError(`λ must be a finite number, got ${lambda}`);
    if (lambda < 0) throw new InputError(`λ must be ≥ 0, got ${lambda}`);
  }
}

/**
 * Output times as the Float64Array the solvers work on: a Float64Array is returned as is, anything else array-like
 * (a number[] from `logspace`, a Float32Array) is copied. Checked with `checkTimes` by the solvers.
 */
export function asTimes(times: ArrayLike<number>): Float64Array {
  if (times instanceof Float64Array) return times;
  if (times === null || typeof times !== 'object' || typeof times.length !== 'number') {
    throw new InputError('times must be an array of numbers (number[] or Float64Array)');
  }
  return Float64Array.from(times);
}

export function checkTimes(times: ArrayLike<number>): void {
  if (times.length === 0) throw new InputError('no output times given');
  for (let i = 0; i < times.length; i++) {
    if (!Number.isFinite(times[i]) || times[i] < 0) throw new InputError(`times must be finite and ≥ 0, got ${times[i]} at index ${i}`);
    if (i > 0 && !(times[i] > times[i - 1])) throw new InputError(`times must be strictly increasing: ${times[i - 1]} then ${times[i]} at index ${i}`);
  }
}
