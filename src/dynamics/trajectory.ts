import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import type { Mat } from '../linalg/matrix.js';
import type { Eigenbasis } from './eigenbasis.js';
import { assertFiniteOverTime } from './finiteOutputs.js';
import { accuracyOverTime, mseOverTime } from './observables.js';

/**
 * A flow solution as per-mode response functions (float64), time-major (`g[j*n + i]` is mode i at time j):
 * every output c of mode i is f̃_ic(t) = g·f̃0_ic + h·ỹ_ic, and the test accumulator z_ic(t) = zg·f̃0_ic + zh·ỹ_ic
 * (zg, zh null without test points); f*(t) = e^{−LΛ(t)}·f0* + C·z(t) with `testDecay[j]` = e^{−LΛ(t_j)}.
 * The k outputs share the response functions, so solvers work with 4 numbers per mode, not 2k.
 */
export interface EigenTrajectory {
  /** Physical times t (length T). */
  times: Float64Array;
  /** G_i(t_j) per time and mode, T×n: f̃(t) = G·f̃0 + H·ỹ. */
  g: Float64Array;
  /** H_i(t_j), T×n. */
  h: Float64Array;
  /** Test factors of f̃0, T×n (null without a test kernel). */
  zg: Float64Array | null;
  /** Test factors of ỹ, T×n (null without a test kernel). */
  zh: Float64Array | null;
  /** e^{−LΛ(t)} per time: the decay of the test points' initial outputs. */
  testDecay: Float64Array;
}

/**
 * Outputs of a flow at each requested time, float64, row-major [time][point][output]. The shapes travel with the
 * data: `{ shape: sol.fTrainShape, data: sol.fTrain }` is what writeNpy takes (numpy reads it as a T×n×k array).
 */
export interface FlowSolution {
  /** Physical times t (length T). */
  times: Float64Array;
  /** T×n×k: f on the training points. */
  fTrain: Float64Array;
  /** T×m×k: f on the test points (null without a test kernel). */
  fTest: Float64Array | null;
  /** [T, n, k], the shape of fTrain. */
  fTrainShape: [number, number, number];
  /** [T, m, k], the shape of fTest (null with it). */
  fTestShape: [number, number, number] | null;
}

/**
 * f on training and test points: f = V·f̃ (one gemm) and the test outputs (see `testOutputs`).
 * @param eb - the eigenbasis of the flow problem
 * @param tr - a trajectory from `spectralTrajectory` or `scheduledTrajectories`
 * @param linalg - float64 linear algebra (default: the best available)
 * @returns f on train (T×n×k) and test (T×m×k, null without a test kernel)
 */
export function trajectoryOutputs(eb: Eigenbasis, tr: EigenTrajectory, linalg: Linalg = getLinalg()): FlowSolution {
  const T = tr.times.length;
  const { n, k } = eb;
  const y = eb.yT.data;
  const f0 = eb.f0T ? eb.f0T.data : null;
  const coords = new Float64Array(n * T * k); // n × (T·k): row i, column (j, c)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < T; j++) {
      const g = tr.g[j * n + i];
      const h = tr.h[j * n + i];
      const o = i * T * k + j * k;
      for (let c = 0; c < k; c++) coords[o + c] = (f0 ? g * f0[i * k + c] : 0) + h * y[i * k + c];
    }
  }
  const rotated = linalg.gemm(eb.v, { rows: n, cols: T * k, data: coords }).data;
  const fTrain = new Float64Array(n * T * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < T; j++) for (let c = 0; c < k; c++) fTrain[j * n * k + i * k + c] = rotated[i * T * k + j * k + c];
  const fTest = testOutputs(eb, tr, linalg);
  assertFiniteOverTime(fTrain, 'f_train', tr.times);
  if (fTest) assertFiniteOverTime(fTest, 'f_test', tr.times);
  return { times: tr.times, fTrain, fTest, fTrainShape: [T, n, k], fTestShape: fTest ? [T, eb.m, k] : null };
}

/** Per eigenbasis, the (m·k)×n matrices W_y[(p, c), i] = C[p, i]·ỹ[i, c] (and W_0 with f̃0), built once. */
const testWeights = new WeakMap<Eigenbasis, { wy: Mat; w0: Mat | null }>();

function weights(eb: Eigenbasis): { wy: Mat; w0: Mat | null } {
  let w = testWeights.get(eb);
  if (!w) {
    const { n, k, m } = eb;
    const build = (src: Float64Array): Mat => {
      const out = new Float64Array(m * k * n);
      for (let p = 0; p < m; p++) {
        for (let c = 0; c < k; c++) {
          const row = (p * k + c) * n;
          for (let i = 0; i < n; i++) out[row + i] = eb.c!.data[p * n + i] * src[i * k + c];
        }
      }
      return { rows: m * k, cols: n, data: out };
    };
    w = { wy: build(eb.yT.data), w0: eb.f0T ? build(eb.f0T.data) : null };
    testWeights.set(eb, w);
  }
  return w;
}

/**
 * Test outputs T×m×k: f*(t) = e^{−LΛ}·f0* + Σ_i C[:, i]·(zg_i(t)·f̃0_i + zh_i(t)·ỹ_i), i.e. one gemm
 * W_y·ZHᵀ (+ W_0·ZGᵀ) of cost 2·m·k·n·T. Memory: the W matrices hold 8·m·k·n bytes per eigenbasis.
 */
export function testOutputs(eb: Eigenbasis, tr: EigenTrajectory, linalg: Linalg = getLinalg()): Float64Array | null {
  if (!eb.c || !tr.zh) return null;
  const T = tr.times.length;
  const { n, k, m } = eb;
  const { wy, w0 } = weights(eb);
  const byRow = linalg.gemm(wy, { rows: T, cols: n, data: tr.zh }, { transB: true }).data; // (m·k) × T
  const from0 = w0 && tr.zg ? linalg.gemm(w0, { rows: T, cols: n, data: tr.zg }, { transB: true }).data : null;
  const out = new Float64Array(T * m * k);
  for (let r = 0; r < m * k; r++) {
    for (let j = 0; j < T; j++) out[j * m * k + r] = byRow[r * T + j] + (from0 ? from0[r * T + j] : 0);
  }
  if (eb.f0Test) {
    for (let j = 0; j < T; j++) {
      const dec = tr.testDecay[j];
      for (let q = 0; q < m * k; q++) out[j * m * k + q] += dec * eb.f0Test.data[q];
    }
  }
  return out;
}

/**
 * The curves a λ scan needs, without forming f on the training set: V is orthogonal, so
 * |f − Y|² = Σ_i |g·f̃0_i + (h − 1)·ỹ_i|² = Σ_i g²|f̃0_i|² + 2g(h − 1) f̃0_i·ỹ_i + (h − 1)²|ỹ_i|²  — O(n·T);
 * only the test outputs take a gemm.
 * @param eb - the eigenbasis of the flow problem
 * @param tr - a trajectory from `spectralTrajectory` or `scheduledTrajectories`
 * @param linalg - float64 linear algebra (default: the best available)
 * @returns train MSE over time, and with a test kernel the test MSE, test accuracy and f on the test points (T×m×k)
 */
export function trajectoryCurves(
  eb: Eigenbasis,
  tr: EigenTrajectory,
  linalg: Linalg = getLinalg(),
): { trainMse: Float64Array; testMse: Float64Array | null; testAcc: Float64Array | null; fTest: Float64Array | null } {
  const T = tr.times.length;
  const { n, k } = eb;
  const yy = new Float64Array(n);
  const fy = new Float64Array(n);
  const ff = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const y = eb.yT.data[i * k + c];
      const f = eb.f0T ? eb.f0T.data[i * k + c] : 0;
      yy[i] += y * y;
      fy[i] += f * y;
      ff[i] += f * f;
    }
  }
  const trainMse = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const g = tr.g[j * n + i];
      const hm1 = tr.h[j * n + i] - 1;
      s += g * g * ff[i] + 2 * g * hm1 * fy[i] + hm1 * hm1 * yy[i];
    }
    trainMse[j] = s / n;
  }
  assertFiniteOverTime(trainMse, 'train MSE', tr.times);
  const fTest = testOutputs(eb, tr, linalg);
  if (fTest) assertFiniteOverTime(fTest, 'f_test', tr.times);
  const yTest: Mat | null = eb.yTest;
  const testMse = fTest && yTest ? mseOverTime(fTest, yTest, T) : null;
  if (testMse) assertFiniteOverTime(testMse, 'test MSE', tr.times);
  return {
    trainMse,
    testMse,
    testAcc: fTest && yTest ? accuracyOverTime(fTest, yTest, T) : null,
    fTest,
  };
}
