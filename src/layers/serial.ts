import { SpecError } from './specError.js';
import type { KernelTransform, Layer, NetworkSpec, Parameterization } from './types.js';

/**
 * Composes layers in order, like neural-tangents' `stax.serial`, as a spec in the NTK parameterization; for
 * the standard one write `{ ...serial(...), parameterization: 'standard' }`. The public `serial` (src/network/)
 * adds the three faces init / apply / kernel on top of this.
 */
export function serial(...layers: Layer[]): NetworkSpec {
  return { parameterization: 'ntk', layers };
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
