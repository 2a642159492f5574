import { describe, expect, it } from 'vitest';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { matMulNT, matMulTN } from '../../src/tfjs/ops.js';

/**
 * The matMul gradient installed for the wasm backend (explicit transposes) must give tfjs's stock results:
 * checked against the closed forms for all four transpose flags, on wasm and on the plain CPU backend.
 */
describe('matMul with transposes and its gradient', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`${backend}: a·bᵀ, aᵀ·b and the gradients of Σ R ⊙ op(a)·op(b) for every flag pair`, async () => {
      await initTfjs(backend);
      const a0 = tf.randomNormal([5, 7], 0, 1, 'float32', 1) as tf.Tensor2D;
      const b0 = tf.randomNormal([7, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
      const r = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
      const close = (x: tf.Tensor, y: tf.Tensor) => expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBeLessThan(1e-5);
      close(matMulNT(a0, tf.transpose(b0)), tf.matMul(a0, b0));
      close(matMulTN(tf.transpose(a0), b0), tf.matMul(a0, b0));
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = ta ? tf.transpose(a0) : a0;
          const b = tb ? tf.transpose(b0) : b0;
          const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb), r)))([a, b]);
          // d/d op(a) = R·op(b)ᵀ, d/d op(b) = op(a)ᵀ·R; transpose back when the flag is set.
          const dOpA = tf.matMul(r, b0, false, true);
          const dOpB = tf.matMul(a0, r, true, false);
          close(ga, ta ? tf.transpose(dOpA) : dOpA);
          close(gb, tb ? tf.transpose(dOpB) : dOpB);
        }
      }
    });
  }
});
