import { getLinalg } from '../linalg/index.js';
import type { Mat } from '../linalg/matrix.js';
import type { RowBlockSource } from '../linalg/rowBlocks.js';
import type { Linalg } from '../linalg/types.js';
import { InputError, assertFinite } from '../util/errors.js';
import type { Eigenbasis } from './eigenbasis.js';
import { krylovBasis, type KrylovBasis } from './krylovBasis.js';
import { checkTestTargets } from './problem.js';
import { clipSpectrum, type PsdOptions } from './psdSpectrum.js';
import { spectralTrajectory } from './spectral.js';
import { trajectoryCurves, trajectoryOutputs, type FlowSolution } from './trajectory.js';

/**
 * The L2 flow solved on a block Krylov basis instead of the full eigendecomposition (issue 17).
 *
 * What is approximated. Every observable of the constant-λ flow is a matrix function of A = Θ/n applied to the
 * targets (and the start f0): f(t) = G_t(A) f0 + H_t(A) Y on the training points, and f*(t) = e^{−Lλt} f0* +
 * (1/n)·Θ*·(ZG_t(A) f0 + ZH_t(A) Y) on the test points (spectral.ts; G, H, ZG, ZH are the per-mode responses of
 * modeSolution.ts, smooth functions of the eigenvalue κ). With Q (n×s) an orthonormal basis of the block Krylov
 * space K_s(A, [Y, f0]) and T = QᵀAQ = S·diag(θ)·Sᵀ, each is replaced by its Krylov (Lanczos) approximation
 *
 *     φ(A)·X  ≈  Q·φ(T)·QᵀX = (QS)·φ(θ)·(QS)ᵀX,     X = Y or f0 (both in span Q, so QᵀX carries all of X),
 *
 * i.e. the exact flow of the Galerkin-projected problem (Θ/n → T, Y → QᵀY, (1/n)·Θ* → Θ*Q/n), whose eigenbasis (the
 * Ritz pairs θ, S) is an ordinary {@link Eigenbasis} of size s: the spectral machinery runs on it unchanged, and one
 * basis serves every λ, depth and time. The approximation is exact when φ is a polynomial of degree < (number of
 * blocks) on the spectrum, so its error is that of the best such polynomial approximation of φ on the spectrum of A
 * (up to a constant): small once the basis resolves the eigenvalues the flow can see at the requested times.
 * Train MSE is exact for the projected f: Y lies in span Q, so |f − Y|² is computed in basis coordinates.
 *
 * The error estimate (see {@link krylovFlow}) is the largest relative change of the caller's observables between
 * two basis sizes (the previous check and the returned basis). It is an ESTIMATE, not a bound: it measures the
 * error of the smaller basis (up to the returned one's own error), and bounds the returned basis' error only when
 * the error falls by at least a factor 2 between checks (geometric convergence, which Lanczos approximations of
 * functions analytic around the spectrum show once they converge). A stagnating approximation could fool it; the
 * tests measure it against the spectral solution. Also reported: the relative residual |AQ_j − QQᵀAQ_j|/|AQ_j| of
 * the last block (KrylovBasis.residual), 0 when the Krylov space is exhausted (then the answer is exact to round-off).
 */
export interface KrylovFlow {
  /** Training points n and basis size s (number of Ritz modes). */
  n: number;
  size: number;
  /**
   * The eigenbasis of the projected problem: `kappa` the Ritz values (clipped at 0 like eigenbasis()), `v` = S
   * (s×s), `yT` = (QS)ᵀY, `c` = Θ*QS/n; its coordinates are Krylov coordinates (its `n` is s, not the number of
   * training points): use {@link krylovCurves} / {@link krylovSolve}, which restore the point normalization.
   */
  eb: Eigenbasis;
  /** The basis (kept for lifting train outputs back to the points, and to grow further). */
  basis: KrylovBasis;
}

/** A flow problem whose kernels are read in row blocks (in memory: inMemoryRowBlocks; on disk: src/io). */
export interface StreamedFlowProblem {
  /** Θ_0 on the training set (n×n, symmetric PSD). */
  train: RowBlockSource;
  /** Targets Y (n×k). */
  y: Mat;
  /** Θ_0(X*, X) (m×n), test targets (m×k), initial outputs (default 0). */
  test?: RowBlockSource | null;
  yTest?: Mat | null;
  f0?: Mat | null;
  f0Test?: Mat | null;
}

function isZero(m: Mat | null | undefined): boolean {
  if (!m) return true;
  for (const v of m.data) if (v !== 0) return false;
  return true;
}

function checkStreamed(p: StreamedFlowProblem): void {
  const n = p.train.rows;
  const k = p.y.cols;
  if (p.y.rows !== n) throw new InputError(`Y has ${p.y.rows} rows but Θ is ${n}×${p.train.cols}: one target row per training point`);
  if (k === 0) throw new InputError('Y has no columns');
  assertFinite(p.y, 'Y');
  if (p.f0 && (p.f0.rows !== n || p.f0.cols !== k)) throw new InputError(`f0 must be ${n}×${k} like Y, got ${p.f0.rows}×${p.f0.cols}`);
  if (p.f0) assertFinite(p.f0, 'f0');
  checkTestTargets(p.test ? p.test.rows : null, k, p.yTest, p.f0Test);
}

/** The start block of the Krylov space: Y, and f0 beside it when f0 is not zero. */
function startBlock(p: StreamedFlowProblem): Mat {
  if (isZero(p.f0)) return p.y;
  const n = p.y.rows;
  const k = p.y.cols;
  const out = new Float64Array(n * 2 * k);
  for (let i = 0; i < n; i++) {
    out.set(p.y.data.subarray(i * k, (i + 1) * k), i * 2 * k);
    out.set(p.f0!.data.subarray(i * k, (i + 1) * k), i * 2 * k + k);
  }
  return { rows: n, cols: 2 * k, data: out };
}

/** The projected problem's eigenbasis on the basis' current size (Ritz pairs), see {@link KrylovFlow}. */
export function ritzFlow(basis: KrylovBasis, p: StreamedFlowProblem, opts: { linalg?: Linalg } & PsdOptions = {}): KrylovFlow {
  const linalg = opts.linalg ?? getLinalg();
  const s = basis.size;
  if (s === 0) throw new InputError('the Krylov basis is empty: extend it at least once');
  const { values, vectors } = linalg.eigh(basis.projected());
  const { kappa, clip } = clipSpectrum(values, basis.n, 'Θ (train)', opts);
  const yq = basis.project(p.y);
  const yT = linalg.gemm(vectors, yq, { transA: true });
  const f0T = isZero(p.f0) ? null : linalg.gemm(vectors, basis.project(p.f0!), { transA: true });
  const pq = basis.testProjection();
  const c = pq ? linalg.gemm(pq, vectors) : null;
  const eb: Eigenbasis = {
    n: s,
    k: p.y.cols,
    m: p.test ? p.test.rows : 0,
    kappa,
    v: vectors,
    yT,
    f0T,
    c,
    f0Test: p.f0Test ?? null,
    yTest: p.yTest ?? null,
    y: yq,
    spectrum: clip,
  };
  return { n: basis.n, size: s, eb, basis };
}

/**
 * Train MSE, test MSE and test accuracy over `times` for constant λ (float64), on the Krylov basis: the same
 * curves as trajectoryCurves on the full eigenbasis (the train MSE divided by the number of training points).
 */
export function krylovCurves(
  kf: KrylovFlow,
  lambda: number,
  depth: number,
  times: Float64Array,
  linalg: Linalg = getLinalg(),
): { trainMse: Float64Array; testMse: Float64Array | null; testAcc: Float64Array | null; fTest: Float64Array | null } {
  const c = trajectoryCurves(kf.eb, spectralTrajectory(kf.eb, lambda, depth, times), linalg);
  // trajectoryCurves divides Σ|f − Y|² by eb.n = s (the basis size); the MSE averages over the n points
  const scale = kf.eb.n / kf.n;
  for (let j = 0; j < c.trainMse.length; j++) c.trainMse[j] *= scale;
  return c;
}

/** f on the training and test points at each time (constant λ), like spectralSolve, from the Krylov basis. */
export function krylovSolve(kf: KrylovFlow, lambda: number, depth: number, times: Float64Array, opts: { linalg?: Linalg } = {}): FlowSolution {
  const linalg = opts.linalg ?? getLinalg();
  const inK = trajectoryOutputs(kf.eb, spectralTrajectory(kf.eb, lambda, depth, times), linalg); // T × s × k
  const T = times.length;
  const { k } = kf.eb;
  const s = kf.size;
  const n = kf.n;
  const coords = new Float64Array(s * T * k); // s × (T·k)
  for (let j = 0; j < T; j++) for (let i = 0; i < s; i++) for (let c = 0; c < k; c++) coords[i * T * k + j * k + c] = inK.fTrain[j * s * k + i * k + c];
  const lifted = kf.basis.lift({ rows: s, cols: T * k, data: coords }).data; // n × (T·k)
  const fTrain = new Float64Array(T * n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < T; j++) for (let c = 0; c < k; c++) fTrain[j * n * k + i * k + c] = lifted[i * T * k + j * k + c];
  return { times, fTrain, fTest: inK.fTest, fTrainShape: [T, n, k], fTestShape: inK.fTest ? [T, kf.eb.m, k] : null };
}

/** One check of the adaptive basis: its size, the error estimate there (NaN at the first), the observables. */
export interface KrylovCheck {
  size: number;
  estimate: number;
  residual: number;
  observables: Float64Array;
}

/** Options of {@link krylovFlow}. */
export interface KrylovFlowOptions extends PsdOptions {
  /**
   * The observables the tolerance applies to, evaluated on a candidate basis (e.g. train and test MSE curves of
   * every λ of a scan: {@link curvesObservable}).
   */
  observe: (kf: KrylovFlow) => Float64Array;
  /** Requested relative accuracy of the observables (the estimate, see {@link KrylovFlow}); default 1e-8. */
  tol?: number;
  /** Basis growth between checks, as a fraction of the size (default 0.25; at least one block). */
  growth?: number;
  /** Largest basis size (default n); the result then carries its estimate, above tol (converged: false). */
  maxSize?: number;
  /** Entries whose magnitude is below floor·max|observable| are compared to that instead (default 1e-12). */
  floor?: number;
  test?: RowBlockSource | null;
  linalg?: Linalg;
  onCheck?: (c: KrylovCheck) => void;
}

/** The adaptive result: the flow on the final basis, its estimate, and every check made. */
export interface AdaptiveKrylovFlow extends KrylovFlow {
  /** Error estimate of the returned observables (0 when the Krylov space was exhausted: exact to round-off). */
  estimate: number;
  converged: boolean;
  checks: KrylovCheck[];
  /** The observables on the returned basis. */
  observables: Float64Array;
}

/** max_i |a_i − b_i| / max(|b_i|, floor·max|b|). */
export function relativeChange(a: Float64Array, b: Float64Array, floor: number): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor * scale, 1e-300));
  return worst;
}

/**
 * Builds a block Krylov basis of Θ/n from Y (and f0) until the caller's observables change by at most `tol`
 * (relative, entrywise) from the previous check: checks at sizes growing by `growth`, each evaluating
 * `observe` on the Ritz basis. Stops early (estimate 0) if the Krylov space is exhausted. See {@link KrylovFlow}
 * for what the estimate means (an estimate, not a bound).
 */
export function krylovFlow(p: StreamedFlowProblem, opts: KrylovFlowOptions): AdaptiveKrylovFlow {
  checkStreamed(p);
  const linalg = opts.linalg ?? getLinalg();
  const tol = opts.tol ?? 1e-8;
  const growth = opts.growth ?? 0.25;
  const floor = opts.floor ?? 1e-12;
  if (!(tol >= 0)) throw new InputError(`the Krylov tolerance must be ≥ 0, got ${tol}`);
  if (!(growth > 0)) throw new InputError(`the Krylov growth must be > 0, got ${growth}`);
  const n = p.train.rows;
  const maxSize = Math.min(opts.maxSize ?? n, n);
  const basis = krylovBasis(p.train, startBlock(p), { test: p.test ?? null, linalg });
  const checks: KrylovCheck[] = [];
  let prev: Float64Array | null = null;
  for (;;) {
    const target = Math.max(basis.size + 1, Math.ceil(basis.size * (1 + growth)));
    while (!basis.exhausted && basis.size < Math.min(target, maxSize)) basis.extend();
    const kf = ritzFlow(basis, p, { ...opts, linalg });
    const obs = opts.observe(kf);
    const estimate = basis.exhausted ? 0 : prev ? relativeChange(prev, obs, floor) : NaN;
    const check: KrylovCheck = { size: basis.size, estimate, residual: basis.exhausted ? 0 : basis.residual, observables: obs };
    checks.push(check);
    opts.onCheck?.(check);
    const done = estimate <= tol || basis.exhausted || basis.size >= maxSize;
    if (done) return { ...kf, estimate, converged: estimate <= tol, checks, observables: obs };
    prev = obs;
  }
}

/** Per projected eigenbasis: M = (CᵀC)∘(ỹỹᵀ) (s×s), d = Σ_c ỹ_ic (CᵀY*)_ic and |Y*|² for the quadratic-form MSE. */
const mseForms = new WeakMap<Eigenbasis, { mq: Mat; d: Float64Array; yy: number }>();

function forms(eb: Eigenbasis, linalg: Linalg): { mq: Mat; d: Float64Array; yy: number } {
  let f = mseForms.get(eb);
  if (!f) {
    const { n: s, k } = eb;
    const ctc = linalg.gemm(eb.c!, eb.c!, { transA: true }).data; // s × s
    const yyT = linalg.gemm(eb.yT, eb.yT, { transB: true }).data; // s × s
    const mq = new Float64Array(s * s);
    for (let q = 0; q < s * s; q++) mq[q] = ctc[q] * yyT[q];
    const cty = linalg.gemm(eb.c!, eb.yTest!, { transA: true }).data; // s × k
    const d = new Float64Array(s);
    for (let i = 0; i < s; i++) for (let c = 0; c < k; c++) d[i] += eb.yT.data[i * k + c] * cty[i * k + c];
    let yy = 0;
    for (const v of eb.yTest!.data) yy += v * v;
    f = { mq: { rows: s, cols: s, data: mq }, d, yy };
    mseForms.set(eb, f);
  }
  return f;
}

/**
 * Train and test MSE over `times` (constant λ, f0 = f0* = 0), float64, without forming the test outputs: with
 * f*(t) = C·(z(t)∘ỹ) (spectral.ts), |f* − Y*|² = zᵀMz − 2zᵀd + |Y*|² where M = (CᵀC)∘(ỹỹᵀ) and d_i = Σ_c ỹ_ic(CᵀY*)_ic,
 * so each time costs s² instead of m·k·s (the test gemm of trajectoryCurves). The subtraction loses
 * ~ε·(|f*|² + |Y*|²)/|f* − Y*|² relative (≲1e-15 for test MSEs of order |Y*|²/m). With a nonzero f0 or f0*, or
 * without test targets, this falls back to {@link krylovCurves}.
 */
export function krylovMseCurves(kf: KrylovFlow, lambda: number, depth: number, times: Float64Array, linalg: Linalg = getLinalg()): { trainMse: Float64Array; testMse: Float64Array | null } {
  const eb = kf.eb;
  if (eb.f0T || eb.f0Test || !eb.c || !eb.yTest) {
    const c = krylovCurves(kf, lambda, depth, times, linalg);
    return { trainMse: c.trainMse, testMse: c.testMse };
  }
  const tr = spectralTrajectory(eb, lambda, depth, times);
  const { n: s, k } = eb;
  const T = times.length;
  const trainMse = new Float64Array(T);
  const yy = new Float64Array(s);
  for (let i = 0; i < s; i++) for (let c = 0; c < k; c++) yy[i] += eb.yT.data[i * k + c] ** 2;
  for (let j = 0; j < T; j++) {
    let acc = 0;
    for (let i = 0; i < s; i++) acc += (tr.h[j * s + i] - 1) ** 2 * yy[i];
    trainMse[j] = acc / kf.n;
  }
  const { mq, d, yy: yTest } = forms(eb, linalg);
  const zm = linalg.gemm({ rows: T, cols: s, data: tr.zh! }, mq).data; // T × s
  const testMse = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    let quad = 0;
    let lin = 0;
    for (let i = 0; i < s; i++) {
      const z = tr.zh![j * s + i];
      quad += zm[j * s + i] * z;
      lin += z * d[i];
    }
    testMse[j] = (quad - 2 * lin + yTest) / eb.m;
  }
  return { trainMse, testMse };
}

/** Observables for {@link krylovFlow}: train and test MSE over `times(λ)` for each λ at one depth, concatenated. */
export function curvesObservable(lambdas: readonly number[], depth: number, times: (lambda: number) => Float64Array, linalg?: Linalg): (kf: KrylovFlow) => Float64Array {
  return (kf) => {
    const parts: Float64Array[] = [];
    for (const lambda of lambdas) {
      const c = krylovMseCurves(kf, lambda, depth, times(lambda), linalg);
      parts.push(c.trainMse);
      if (c.testMse) parts.push(c.testMse);
    }
    const out = new Float64Array(parts.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of parts) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
}
