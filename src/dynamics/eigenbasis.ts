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
  n: number;
  k: number;
  m: number;
  kappa: Float64Array;
  v: Mat;
  yT: Mat;
  f0T: Mat | null;
  c: Mat | null;
  f0Test: Mat | null;
  yTest: Mat | null;
  y: Mat;
  /** Negative eigenvalues of Θ_0 set to 0 (round-off, or regularization when asked). */
  spectrum: SpectrumClip;
}

/** Options of `eigenbasis`: the PSD check (see psdSpectrum.ts). */
export type EigenbasisOptions = PsdOptions;

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
