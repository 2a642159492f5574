import type { Layer, NetworkSpec } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import type { Images } from '../data/images.js';
import { InputError } from '../util/errors.js';
import { analyticKernelSync, kernelDiagonal, type KernelOptions } from './analytic.js';

/**
 * The infinite-width NTK after L2 has acted for Λ = ∫λ dt (paper notes, "beyond the paper"): at infinite
 * width θ_t = e^{−Λ}θ_0, and scaling every raw parameter by s = e^{−Λ} equals scaling σ_w and σ_b by s,
 * while the gradient picks up 1/s, so
 *   Θ_t = e^{2Λ} · Θ_analytic(σ_w·e^{−Λ}, σ_b·e^{−Λ}).
 * Valid for any spec (biases, Erf, residual blocks, layerNorm) and for flat inputs or images (N×H×W×C): every layer
 * is rescaled by its own Layer.scaleParams rule. For a positively homogeneous net (see `l2KernelRule`) it equals
 * e^{−2(L−1)Λ}Θ_0, L the number of weight layers along every path. Float64.
 * NTK parameterization only (the standard one has no width-independent limit).
 * @param spec - the network (NTK parameterization)
 * @param bigLambda - Λ = ∫λ dt, the integrated L2 coefficient (dimensionless)
 * @param x1 - N1×d inputs or images
 * @param x2 - N2×d inputs or images (default: x1)
 * @param opts - memory ceiling, threads, progress
 * @returns the predicted Θ_t, N1×N2 float64
 */
export function ntkUnderL2(spec: NetworkSpec, bigLambda: number, x1: Mat | Images, x2?: Mat | Images, opts: Omit<KernelOptions, 'get'> = {}): Mat {
  const k = analyticKernelSync(scaledSpec(spec, bigLambda), x1, x2, { ...opts, get: 'ntk' }).ntk as Mat;
  const f = Math.exp(2 * bigLambda);
  return { rows: k.rows, cols: k.cols, data: k.data.map((v) => v * f) };
}

/**
 * The diagonal Θ_t(x_i, x_i) of `ntkUnderL2` alone (kernelDiagonal: O(N) pairs, also on images). Float64.
 * @param spec - the network (NTK parameterization)
 * @param bigLambda - Λ = ∫λ dt
 * @param x - N×d inputs or images
 * @param opts - memory ceiling
 * @returns Θ_t(x_i, x_i), length N
 */
export function ntkUnderL2Diagonal(spec: NetworkSpec, bigLambda: number, x: Mat | Images, opts: Pick<KernelOptions, 'maxMemoryBytes'> = {}): Float64Array {
  const d = kernelDiagonal(scaledSpec(spec, bigLambda), x, opts).ntk;
  const f = Math.exp(2 * bigLambda);
  return d.map((v) => v * f);
}

/** The spec with every parameter scaled by e^{−Λ}, through each layer's own L2 rule (Layer.scaleParams). */
function scaledSpec(spec: NetworkSpec, bigLambda: number): NetworkSpec {
  if (!Number.isFinite(bigLambda) || bigLambda < 0) throw new InputError(`∫λ dt must be finite and ≥ 0, got ${bigLambda}`);
  if (spec.parameterization !== 'ntk') throw new InputError('the kernel under L2 is defined for the NTK parameterization');
  const s = Math.exp(-bigLambda);
  return { parameterization: spec.parameterization, layers: spec.layers.map((l) => l.scaleParams(s)) };
}

/**
 * Which L2 kernel prediction a network gets, decided from its layers' own declarations (Layer.homogeneity,
 * composites derive theirs; nothing here looks at layer types):
 * - 'homogeneous': the network is positively homogeneous of degree L in its parameters, L the number of weight
 *   layers along every path from input to output (conv / dense without bias, ReLU-family activations, average
 *   pooling, flatten; parallel branches of equal degree count once). Then Θ_t = e^{−2(L−1)Λ}·Θ_0 exactly, and the
 *   output ODE's −Lλf term applies. `rate` = 2(L−1).
 * - 'scaledSigma': anything else (biases, layerNorm, Erf/tanh/GELU, residual blocks, whose skip path has no weight
 *   layer while the block has some). Only the kernel is predicted, by `ntkUnderL2` through each layer's rescale
 *   rule; `reason` names the first layer that breaks homogeneity, in one line.
 */
export type L2KernelRule = { kind: 'homogeneous'; degree: number; rate: number } | { kind: 'scaledSigma'; reason: string };

/**
 * The L2 kernel rule of `spec` (see L2KernelRule).
 * @param spec - the network
 * @returns how its kernel changes under L2 (homogeneous decay factor, or scaled σ)
 */
export function l2KernelRule(spec: NetworkSpec): L2KernelRule {
  let degree = 0;
  for (let i = 0; i < spec.layers.length; i++) {
    const d = spec.layers[i].homogeneity;
    if (d === null) return { kind: 'scaledSigma', reason: `layers[${i}]${whyNotHomogeneous(spec.layers[i])}` };
    degree += d;
  }
  return { kind: 'homogeneous', degree, rate: 2 * (degree - 1) };
}

/** Where in a layer homogeneity breaks: a child that declares none, or, when every child has a degree, its paths. */
function whyNotHomogeneous(layer: Layer): string {
  const name = ` (${layer.json.type})`;
  const children = layer.children ?? [];
  const bad = children.findIndex((c) => c.homogeneity === null);
  if (bad >= 0) return `${name} > children[${bad}]${whyNotHomogeneous(children[bad])}`;
  if (children.length > 0) {
    return `${name}: its paths from input to output carry different numbers of weight layers, so no single L applies`;
  }
  return `${name} is not positively homogeneous in its parameters (a bias, a normalization or a non-homogeneous activation)`;
}

/**
 * e^{−2(L−1)Λ}: the factor Θ_t/Θ_0 of a positively homogeneous network (paper notes), L from `l2KernelRule`.
 * Throws InputError, naming the layer, for a network that is not homogeneous (use `ntkUnderL2` there).
 * @param spec - a positively homogeneous network
 * @param bigLambda - Λ = ∫λ dt ≥ 0
 * @returns Θ_t/Θ_0 = e^{−2(L−1)Λ}
 */
export function homogeneousKernelFactor(spec: NetworkSpec, bigLambda: number): number {
  if (!Number.isFinite(bigLambda) || bigLambda < 0) throw new InputError(`∫λ dt must be finite and ≥ 0, got ${bigLambda}`);
  const rule = l2KernelRule(spec);
  if (rule.kind !== 'homogeneous') throw new InputError(`Θ_t = e^{−2(L−1)Λ}Θ_0 needs a positively homogeneous network: ${rule.reason}; use the scaled-σ kernel (ntkUnderL2)`);
  return Math.exp(-rule.rate * bigLambda);
}
