import type { NetworkSpec } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import type { Images } from '../data/images.js';
import { InputError } from '../util/errors.js';
import { analyticKernelSync, type KernelOptions } from './analytic.js';

/**
 * The infinite-width NTK after L2 has acted for Λ = ∫λ dt (paper notes, "beyond the paper"): at infinite
 * width θ_t = e^{−Λ}θ_0, and scaling every raw parameter by s = e^{−Λ} equals scaling σ_w and σ_b by s,
 * while the gradient picks up 1/s, so
 *   Θ_t = e^{2Λ} · Θ_analytic(σ_w·e^{−Λ}, σ_b·e^{−Λ}).
 * Valid for any spec (biases, Erf); for a bias-free ReLU net it equals e^{−2(L−1)Λ}Θ_0. Float64.
 * NTK parameterization only (the standard one has no width-independent limit).
 */
export function ntkUnderL2(spec: NetworkSpec, bigLambda: number, x1: Mat | Images, x2?: Mat | Images, opts: Omit<KernelOptions, 'get'> = {}): Mat {
  if (!Number.isFinite(bigLambda) || bigLambda < 0) throw new InputError(`∫λ dt must be finite and ≥ 0, got ${bigLambda}`);
  if (spec.parameterization !== 'ntk') throw new InputError('the kernel under L2 is defined for the NTK parameterization');
  const s = Math.exp(-bigLambda);
  const scaled: NetworkSpec = {
    parameterization: spec.parameterization,
    layers: spec.layers.map((l) => l.scaleParams(s)), // each layer's own L2 rule
  };
  const k = analyticKernelSync(scaled, x1, x2, { ...opts, get: 'ntk' }).ntk as Mat;
  const f = Math.exp(2 * bigLambda);
  return { rows: k.rows, cols: k.cols, data: k.data.map((v) => v * f) };
}
