import { builtin } from './builtin.js';
import type { Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { elementwiseFinite } from './elementwise.js';
import { pointwiseKernel } from './pointwise.js';
import type { KernelTransform, Layer } from './types.js';

/** φ(x) = x. The kernel passes through unchanged (exactly; ABReLU(1, 1) gives the same up to rounding). */
export function identity(): Layer {
  const transform: KernelTransform = { cross: () => undefined, diag: () => undefined };
  const finite = elementwiseFinite(
    (x: Tensor2D) => x,
    (x: Tensor2D) => tfRuntime().onesLike(x),
  );
  const layer: Layer = builtin({ json: { type: 'identity' }, outWidth: (w) => w, hasWeights: false, gaussianOutput: 'ifInput', homogeneity: 0, scaleParams: () => layer, kernel: () => pointwiseKernel(transform, 'identity'), finite: () => finite });
  return layer;
}
