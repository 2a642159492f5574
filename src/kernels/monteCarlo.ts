import type { NetworkSpec } from '../layers/types.js';
import type { Images } from '../data/images.js';
import { mat, type Mat } from '../linalg/matrix.js';
import { InputError } from '../util/errors.js';
import { prepareEmpirical, type EmpiricalKernelOptions, type EmpiricalMethod } from './empirical.js';

/** Options of `monteCarloKernel`: the empirical-kernel options plus how many networks (seeds) to average. */
export interface MonteCarloOptions extends Omit<EmpiricalKernelOptions, 'seed' | 'onProgress'> {
  /** Number of independently initialised networks (default 8). */
  seeds?: number;
  /** Network s uses seed `seed0 + s` (default 0). */
  seed0?: number;
  /** Called after each network with (networks done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The Monte Carlo estimate of a finite network's kernels: means over `seeds` independently initialised networks
 * and their standard errors, float64 (each network's products run in float32 on tfjs).
 */
export interface MonteCarloKernelResult {
  /** Mean over networks of the empirical Θ (k-averaged), N1×N2 float64. */
  ntk: Mat;
  /** Mean of f·f'ᵀ/k: the Monte Carlo NNGP, N1×N2 float64. */
  nngp: Mat;
  /** Standard error of each mean entry (sample standard deviation / √S); null with a single network. */
  ntkStderr: Mat | null;
  /** Standard error of each entry of `nngp` (N1×N2; null with a single network). */
  nngpStderr: Mat | null;
  /** Mean of Θ_cc' laid out [N1, N2, k, k] when `full` was asked for. */
  full: Float64Array | null;
  /** [N1, N2, k, k], the shape of `full` (null with it). */
  fullShape: [number, number, number, number] | null;
  /** Number of networks averaged (S). */
  seeds: number;
  /** Seed of the first network; network s used seed0 + s. */
  seed0: number;
  /** Number of network outputs k (the NTK is the trace over them divided by k). */
  outputs: number;
  /** Parameters per network. */
  paramCount: number;
  /** How each network's empirical NTK was computed. */
  method: EmpiricalMethod;
  /** The tfjs backend that ran the networks. */
  backend: string;
  /** Precision: products in float32 on tfjs, sums in float64. */
  dtype: 'float32 products, float64 sums';
}

/**
 * Monte Carlo kernels: the empirical NNGP and NTK averaged over `seeds` finite networks, with the standard
 * error of every entry (Welford's running mean and variance in float64). As the width grows the mean tends
 * to the analytic kernel and a single network's error shrinks like width^(−1/2).
 * @param spec - the finite network (its widths as written; see `withHiddenWidth`)
 * @param x1 - N1×d inputs or images
 * @param x2 - N2×d inputs or images (default: x1)
 * @param opts - number of networks (`seeds`, default 8), first seed, method, backend, memory ceiling
 * @returns the mean NTK and NNGP over the networks and their standard errors, N1×N2 float64
 */
export async function monteCarloKernel(spec: NetworkSpec, x1: Mat | Images, x2?: Mat | Images, opts: MonteCarloOptions = {}): Promise<MonteCarloKernelResult> {
  const seeds = opts.seeds ?? 8;
  const seed0 = opts.seed0 ?? 0;
  if (!Number.isInteger(seeds) || seeds < 1) throw new InputError(`seeds must be a positive integer, got ${seeds}`);
  if (!Number.isInteger(seed0) || seed0 < 0) throw new InputError(`seed0 must be a non-negative integer, got ${seed0}`);
  const run = await prepareEmpirical(spec, x1, x2, { ...opts, onProgress: undefined });
  const size = run.n1 * run.n2;
  const mean = { ntk: new Float64Array(size), nngp: new Float64Array(size) };
  const m2 = { ntk: new Float64Array(size), nngp: new Float64Array(size) };
  let fullMean: Float64Array | null = null;
  try {
    for (let s = 0; s < seeds; s++) {
      const parts = await run.compute(seed0 + s);
      const count = s + 1;
      for (const key of ['ntk', 'nngp'] as const) {
        const mu = mean[key];
        const acc = m2[key];
        const v = parts[key];
        for (let i = 0; i < size; i++) {
          const delta = v[i] - mu[i];
          mu[i] += delta / count;
          acc[i] += delta * (v[i] - mu[i]);
        }
      }
      if (parts.full) {
        fullMean ??= new Float64Array(parts.full.length);
        for (let i = 0; i < fullMean.length; i++) fullMean[i] += (parts.full[i] - fullMean[i]) / count;
      }
      opts.onProgress?.(count, seeds);
    }
  } finally {
    run.dispose();
  }
  const stderr = (acc: Float64Array): Mat | null => {
    if (seeds < 2) return null;
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = Math.sqrt(acc[i] / (seeds - 1) / seeds);
    return mat(run.n1, run.n2, out);
  };
  const one = run.wrap({ ntk: mean.ntk, nngp: mean.nngp, full: fullMean });
  return {
    ntk: one.ntk,
    nngp: one.nngp,
    ntkStderr: stderr(m2.ntk),
    nngpStderr: stderr(m2.nngp),
    full: fullMean,
    fullShape: one.fullShape,
    seeds,
    seed0,
    outputs: one.outputs,
    paramCount: one.paramCount,
    method: one.method,
    backend: one.backend,
    dtype: one.dtype,
  };
}
