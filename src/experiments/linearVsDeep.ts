import type { Eigenbasis } from '../dynamics/eigenbasis.js';
import { deepFilter, linearFilter } from '../dynamics/observables.js';
import { spectralTrajectory } from '../dynamics/spectral.js';
import { trajectoryCurves } from '../dynamics/trajectory.js';
import { logspace } from './lambdaScan.js';

/** The depths compared: the linear model and two deep networks. */
export const LINEAR_VS_DEEP_DEPTHS = [1, 2, 3] as const;

/** Linear (L = 1) against deep (L = 2, 3) L2 dynamics on one kernel at one λ, as `linearVsDeep` computes them. */
export interface LinearVsDeepResult {
  lambda: number;
  /** Physical times t: 300 log-spaced from 1e-2 to 1e3/λ. */
  times: number[];
  /** Test MSE at `times` for each depth, keyed `L1`, `L2`, `L3` (closed-form flow, float64). */
  testMse: Record<string, number[]>;
  /** Eigenvalues κ of Θ/n on which the filters are drawn: 200 log-spaced from λ·1e-3 to λ·1e3. */
  kappaGrid: number[];
  /** The linear model's end-of-training filter κ/(κ + λ) on `kappaGrid`. */
  linearFilter: number[];
  /** The deep filters 1 − exp(−κ/(2(L−1)λ)) on `kappaGrid`, for L = 2 and 3. */
  deepFilters: { depth: number; values: number[] }[];
  /** The kernel's positive eigenvalues κ (of Θ/n). */
  kappa: number[];
}

/**
 * The linear-versus-deep comparison on the kernel of `eb` at one λ: test MSE against time for L = 1, 2, 3 (the
 * closed-form flow of src/dynamics/spectral.ts, on the same eigenbasis) and the end-of-training spectral filters
 * against the eigenvalue κ. Requires test targets (eb.yTest). Float64.
 */
export function linearVsDeep(eb: Eigenbasis, lambda: number): LinearVsDeepResult {
  const times = Float64Array.from(logspace(1e-2, 1e3 / lambda, 300));
  const testMse: Record<string, number[]> = {};
  for (const L of LINEAR_VS_DEEP_DEPTHS) testMse[`L${L}`] = Array.from(trajectoryCurves(eb, spectralTrajectory(eb, lambda, L, times)).testMse!);
  const kappaGrid = logspace(lambda * 1e-3, lambda * 1e3, 200);
  return {
    lambda,
    times: Array.from(times),
    testMse,
    kappaGrid,
    linearFilter: kappaGrid.map((k) => linearFilter(k, lambda)),
    deepFilters: [2, 3].map((depth) => ({ depth, values: kappaGrid.map((k) => deepFilter(k, lambda, depth)) })),
    kappa: Array.from(eb.kappa).filter((k) => k > 0),
  };
}
