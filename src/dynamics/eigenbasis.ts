import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import type { Mat } from '../linalg/matrix.js';
import { checkFlowProblem, type FlowProblem } from './problem.js';
import { clipSpectrum, type PsdOptions, type SpectrumClip } from './psdSpectrum.js';

/**
 * A flow problem rotated into the eigenbasis of Θ_0/n, computed once and shared by every λ, depth and
 * schedule (float64):  Θ_0/n = V·diag(κ)·Vᵀ,  ỹ = Vᵀ Y,  f̃0 = Vᵀ f0,  C = Θ_0(X*, X)·V / n.
 * Θ_0 must be symmetric (checkFlowProblem) and positive semi-definite: eigenvalues below zero within the
 * round-off tolerance are set to 0; an indefinite Θ_0 is refused unless `opts.regularize` (see psdSpectrum.ts).
 * What was clipped is in `spectrum`.
 */
export interface Eigenbasis {
  /** Number of training points n (Θ_0 is n×n). */
  n: number;
  /** Number of outputs k (columns of Y). */
  k: number;
  /** Number of test points m (0 without a test kernel). */
  m: number;
  /** Eigenvalues κ of Θ_0/n (length n, ascending, ≥ 0 after clipping). */
  kappa: Float64Array;
  /** Eigenvectors V of Θ_0/n as columns, n×n (Θ_0/n = V·diag(κ)·Vᵀ). */
  v: Mat;
  /** Targets in the eigenbasis, ỹ = VᵀY (n×k). */
  yT: Mat;
  /** Initial outputs in the eigenbasis, f̃0 = Vᵀf0 (n×k); null when f0 = 0. */
  f0T: Mat | null;
  /** C = Θ_0(X*, X)·V/n (m×n): maps eigen-coordinates to the test points; null without a test kernel. */
  c: Mat | null;
  /** Initial outputs on the test points (m×k); null when 0 or without a test kernel. */
  f0Test: Mat | null;
  /** Test targets Y* (m×k); null when not given. */
  yTest: Mat | null;
  /** Training targets Y (n×k), as given. */
  y: Mat;
  /** Negative eigenvalues of Θ_0 set to 0 (round-off, or regularization when asked). */
  spectrum: SpectrumClip;
}

/** Options of `eigenbasis`: the PSD check (see psdSpectrum.ts). */
export type EigenbasisOptions = PsdOptions;

/**
 * Rotates a flow problem into the eigenbasis of Θ_0/n, once; every λ, depth, schedule and time after that is
 * cheap (`spectralSolve`, `scheduledSolve`, `lambdaScan`). Float64. Cost: one n×n symmetric eigendecomposition
 * (O(n³)) and O((n + m)·n·k) products.
 * @param p - the flow problem: Θ_0 on the training set (n×n, symmetric PSD), targets Y (n×k), optionally the
 *   test–train kernel Θ_0(X*, X) (m×n), test targets Y* (m×k) and initial outputs f0 (n×k), f0* (m×k)
 * @param linalg - the linear algebra to use (default: native OpenBLAS/LAPACKE when built, else TypeScript)
 * @param opts - the positive-semi-definiteness check: `regularize` clips negative eigenvalues beyond round-off
 *   instead of refusing Θ_0 (`tolerance`, default PSD_TOLERANCE relative to λ_max)
 * @returns the eigenbasis (eigenvalues κ ascending, eigenvectors, rotated targets and test map), with what was
 *   clipped in `spectrum`
 * @throws InputError when Θ_0 is not square, symmetric, finite or PSD, or shapes disagree
 */
export function eigenbasis(p: FlowProblem, linalg: Linalg = getLinalg(), opts: EigenbasisOptions = {}): Eigenbasis {
  checkFlowProblem(p);
  const n = p.thetaTrain.rows;
  const scaled = { rows: n, cols: n, data: p.thetaTrain.data.map((v) => v / n) };
  const { values, vectors } = linalg.eigh(scaled);
  const { kappa, clip } = clipSpectrum(values, n, 'Θ (train)', opts);
  const yT = linalg.gemm(vectors, p.y, { transA: true });
  const f0T = p.f0 ? linalg.gemm(vectors, p.f0, { transA: true }) : null;
  const c = p.thetaTest ? linalg.gemm(p.thetaTest, vectors, { alpha: 1 / n }) : null;
  return {
    n,
    k: p.y.cols,
    m: p.thetaTest ? p.thetaTest.rows : 0,
    kappa,
    v: vectors,
    yT,
    f0T,
    c,
    f0Test: p.f0Test ?? null,
    yTest: p.yTest ?? null,
    y: p.y,
    spectrum: clip,
  };
}
