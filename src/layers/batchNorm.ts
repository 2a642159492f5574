import { builtin } from './builtin.js';
import { SpecError } from './specError.js';
import type { FiniteTransform, KernelFn, Layer } from './types.js';

/**
 * Batch normalization (no affine part), accepted in specs so that files naming it parse, but with neither form
 * yet: it normalizes each unit over the examples of a batch, so the output for one example depends on the whole
 * batch and the kernel of a pair is not a function of that pair — there is no closed-form NNGP/NTK (neural-tangents
 * has no kernel for it either). Asking for either form throws a one-line SpecError; nothing is approximated.
 */
export function batchNorm(): Layer {
  const layer: Layer = builtin({
    json: { type: 'batchNorm' },
    outWidth: (w) => w,
    hasWeights: false,
    homogeneity: null, // scale-invariant in its input, like layerNorm
    scaleParams: () => layer,
    kernel(): KernelFn {
      throw new SpecError(
        'batchNorm has no closed-form kernel: batch normalization couples the examples of a batch; use layerNorm (per-example normalization) for an analytic kernel',
      );
    },
    finite(): FiniteTransform {
      throw new SpecError('finite batchNorm is not implemented yet; use layerNorm (per-example normalization)');
    },
  });
  return layer;
}
