import type { Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from './runtime.js';

/**
 * Products with a transposed operand. tfjs-backend-wasm (4.x) runs matMul with transposeA/transposeB far
 * below its plain speed (measured here: a·bᵀ 15× and aᵀ·b 45× slower for 128×1024 by 1024×1024), while an
 * explicit transpose followed by a plain product costs ~4×; other backends take the flags natively.
 */
const explicitTranspose = (): boolean => tfRuntime().getBackend() === 'wasm';

/** a·bᵀ. */
export function matMulNT(a: Tensor2D, b: Tensor2D): Tensor2D {
  const tf = tfRuntime();
  return explicitTranspose() ? tf.matMul(a, tf.transpose(b)) : tf.matMul(a, b, false, true);
}

/** aᵀ·b. */
export function matMulTN(a: Tensor2D, b: Tensor2D): Tensor2D {
  const tf = tfRuntime();
  return explicitTranspose() ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}
