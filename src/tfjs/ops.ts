import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { nativeMatMulState } from './nativeMatMul.js';
import { tfRuntime } from './runtime.js';

/**
 * Products with a transposed operand. tfjs-backend-wasm (4.x) runs matMul with transposeA/transposeB far
 * below its plain speed (measured here: a·bᵀ 15× and aᵀ·b 45× slower for 128×1024 by 1024×1024), while an
 * explicit transpose followed by a plain product costs ~4×; other backends take the flags natively, and so does
 * the OpenBLAS kernel that replaces wasm's matMul when the native addon is built (src/tfjs/nativeMatMul.ts).
 */
const explicitTranspose = (): boolean => tfRuntime().getBackend() === 'wasm' && !nativeMatMulState().active;

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

/**
 * Replaces tfjs's gradient of matMul (kernel BatchMatMul) by the same formulas written with `matMulNT` /
 * `matMulTN` / explicit transposes, so that autodiff (training, the Jacobian method) avoids the wasm
 * backend's slow transposed products. Identical mathematics; rank-3 (batched) products keep the stock rule.
 * Installed once by `initTfjs`.
 */
export function installMatMulGradient(): void {
  const tf = tfRuntime();
  const stock = tf.getGradient('BatchMatMul');
  if (!stock || (stock as { ntkL2?: boolean }).ntkL2) return;
  const T = (x: Tensor2D): Tensor2D => tf.transpose(x);
  const mm = (x: Tensor2D, y: Tensor2D): Tensor2D => tf.matMul(x, y);
  const config = {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    ntkL2: true,
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: Record<string, unknown>) => {
      const [a, b] = saved;
      if (a.rank !== 2 || b.rank !== 2 || !explicitTranspose()) return stock.gradFunc(dy, saved, attrs as never);
      const g = dy as Tensor2D;
      const A = a as Tensor2D;
      const B = b as Tensor2D;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return { a: () => matMulNT(g, B), b: () => matMulTN(A, g) }; // c = a·b
      if (!transposeA && transposeB) return { a: () => mm(g, B), b: () => matMulTN(g, A) }; // c = a·bᵀ
      if (transposeA && !transposeB) return { a: () => matMulNT(B, g), b: () => mm(A, g) }; // c = aᵀ·b
      return { a: () => mm(T(B), T(g)), b: () => mm(T(g), T(A)) }; // c = aᵀ·bᵀ
    },
  };
  tf.registerGradient(config as unknown as Parameters<typeof tf.registerGradient>[0]);
}
