import type { KernelTransform, Layer } from './types.js';

/** φ(x) = x. The kernel passes through unchanged (exactly; ABReLU(1, 1) gives the same up to rounding). */
export function identity(): Layer {
  const transform: KernelTransform = { cross: () => undefined, diag: () => undefined };
  return { json: { type: 'identity' }, outWidth: (w) => w, kernel: () => transform };
}
