import { SpecError } from './specError.js';
import type { KernelTransform, Layer, NetworkSpec, Parameterization } from './types.js';

/**
 * Composes layers in order, like neural-tangents' `stax.serial`. The result uses the NTK
 * parameterization; for the standard one write `{ ...serial(...), parameterization: 'standard' }`.
 */
export function serial(...layers: Layer[]): NetworkSpec {
  return { parameterization: 'ntk', layers };
}

/** The layers' kernel transforms bound to their places for inputs of dimension `inputDim`. */
export function bindKernel(spec: NetworkSpec, inputDim: number): KernelTransform[] {
  checkSpec(spec);
  let width = inputDim;
  return spec.layers.map((layer) => {
    const t = layer.kernel({ parameterization: spec.parameterization, fanIn: width });
    width = layer.outWidth(width);
    return t;
  });
}

/** Number of Dense layers: the homogeneity degree L of a bias-free ReLU/linear network. */
export function denseLayerCount(spec: NetworkSpec): number {
  return spec.layers.filter((l) => l.json.type === 'dense').length;
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
 * True when f(aθ) = a^L f(θ) for a > 0 with L = the number of Dense layers: no biases and only positively
 * homogeneous activations (the ReLU family and the identity). The output ODE with the −Lλf term needs it.
 */
export function isPositivelyHomogeneous(spec: NetworkSpec): boolean {
  return spec.layers.every((l) => {
    switch (l.json.type) {
      case 'dense':
        return (l.json.bStd ?? 0) === 0;
      case 'relu':
      case 'abrelu':
      case 'leakyrelu':
      case 'abs':
      case 'identity':
        return true;
      default:
        return false;
    }
  });
}
