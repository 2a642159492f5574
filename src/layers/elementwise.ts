import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { singleDelta, singleValue } from './values.js';
import type { FiniteDelta, FiniteTransform, FiniteValue } from './types.js';

/**
 * The finite form shared by every activation: no parameters, φ applied entrywise, and for the structured
 * NTK the chain rule δ_in = δ_out ⊙ φ'(x), the same φ'(x) for every network output.
 * `phi` must be built from tfjs ops (autodiff runs through it in the Jacobian method); `dphi` is its
 * derivative written out, which the structured method uses instead of autodiff.
 */
export function elementwiseFinite(phi: (x: Tensor2D) => Tensor2D, dphi: (x: Tensor2D) => Tensor2D, name = 'activation'): FiniteTransform {
  return {
    paramShapes: [],
    init: () => [],
    apply: (_params: readonly Tensor[], x: FiniteValue) => phi(singleValue(x, name)),
    structured: {
      addParamNtk: () => undefined, // no parameters
      // φ'(x) is [N, width]; broadcasting over the leading output axis applies it to every δ_c.
      backward: (_params: readonly Tensor[], x: FiniteValue, delta: FiniteDelta): FiniteDelta => singleDelta(delta, name).mul(dphi(singleValue(x, name))) as Tensor3D,
    },
  };
}
