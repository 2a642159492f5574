import type { Tensor2D } from '@tensorflow/tfjs';
import type { KernelOptions, KernelResult } from '../kernels/analytic.js';
import type { Mat } from '../linalg/matrix.js';
import { applyNetwork, bindFinite, initParams, type NetworkParams } from './network.js';
import { SpecError } from './specError.js';
import type { KernelTransform, Layer, NetworkSpec, Parameterization } from './types.js';

/**
 * A network spec with its three faces, like neural-tangents' `(init_fn, apply_fn, kernel_fn)`:
 * the finite network (`init`, `apply`: float32 on TensorFlow.js, after `await initTfjs()`) and the
 * infinite-width kernels (`kernel`: float64). All three read the spec they are called on.
 */
export interface Network extends NetworkSpec {
  /** Seeded initial parameters for inputs of dimension `inputDim` (same seed → same network everywhere). */
  init(inputDim: number, seed?: number): NetworkParams;
  /** The finite network's outputs on the rows of x (N × d → N × k). */
  apply(params: NetworkParams, x: Tensor2D): Tensor2D;
  /** Analytic NNGP and NTK between the rows of X1 and X2 (default X1), float64. */
  kernel(x1: Mat, x2?: Mat, opts?: KernelOptions): Promise<KernelResult>;
}

/**
 * Composes layers in order, like neural-tangents' `stax.serial`. The result uses the NTK
 * parameterization; for the standard one write `{ ...serial(...), parameterization: 'standard' }`
 * (the methods read `this`, so the copy keeps them working with the new parameterization).
 */
export function serial(...layers: Layer[]): Network {
  return {
    parameterization: 'ntk',
    layers,
    init(this: NetworkSpec, inputDim: number, seed = 0): NetworkParams {
      return initParams(bindFinite(this, inputDim), seed);
    },
    apply(this: NetworkSpec, params: NetworkParams, x: Tensor2D): Tensor2D {
      return applyNetwork(bindFinite(this, params.inputDim), params.layers, x);
    },
    async kernel(this: NetworkSpec, x1: Mat, x2?: Mat, opts?: KernelOptions): Promise<KernelResult> {
      // Loaded on demand: the analytic module starts worker threads that themselves load this file.
      const { analyticKernel } = await import('../kernels/analytic.js');
      return analyticKernel(this, x1, x2, opts);
    },
  };
}

/** The layers' kernel transforms bound to their places for inputs of dimension `inputDim`. */
export function bindKernel(spec: NetworkSpec, inputDim: number): KernelTransform[] {
  checkSpec(spec);
  let width = inputDim;
  let gaussian = false; // the network's inputs are data, not Gaussian units
  return spec.layers.map((layer, i) => {
    let t: KernelTransform;
    try {
      t = layer.kernel({ parameterization: spec.parameterization, fanIn: width, inputGaussian: gaussian });
    } catch (e) {
      // A layer that refuses its place (layerNorm after a nonlinearity, batchNorm) is named by position.
      if (e instanceof SpecError) throw new SpecError(`layers[${i}] (${layer.json.type}): ${e.message}`);
      throw e;
    }
    width = layer.outWidth(width);
    gaussian = layer.gaussianOutput === 'always' || (layer.gaussianOutput === 'ifInput' && gaussian);
    return t;
  });
}

/** Number of weight layers (Dense): the depth L, and the homogeneity degree of a bias-free ReLU/linear network. */
export function weightLayerCount(spec: NetworkSpec): number {
  return spec.layers.filter((l) => l.hasWeights).length;
}

/** Output width of the network for a given input width (the number of outputs k). */
export function outputWidth(spec: NetworkSpec, inputDim: number): number {
  return spec.layers.reduce((w, l) => l.outWidth(w), inputDim);
}

export function checkSpec(spec: NetworkSpec): void {
  const p: Parameterization = spec.parameterization;
  if (p !== 'ntk' && p !== 'standard') {
    throw new SpecError(`parameterization must be "ntk" or "standard", got ${JSON.stringify(p)}`);
  }
  if (spec.layers.length === 0) throw new SpecError('the network has no layers');
}

/**
 * The degree L with f(a·θ) = a^L·f(θ) for a > 0 when every layer declares itself positively homogeneous (see
 * Layer.homogeneity: no biases, ReLU-family or identity activations), else null. The output ODE's −Lλf term
 * needs it.
 */
export function homogeneityDegree(spec: NetworkSpec): number | null {
  let degree = 0;
  for (const l of spec.layers) {
    if (l.homogeneity === null) return null;
    degree += l.homogeneity;
  }
  return degree;
}

/** Whether the network is positively homogeneous in its parameters (homogeneityDegree is not null). */
export function isPositivelyHomogeneous(spec: NetworkSpec): boolean {
  return homogeneityDegree(spec) !== null;
}
