import { tf } from '../tfjs/backend.js';
import type { FlowArrays } from './arrays.js';

/**
 * The flow arrays on TensorFlow.js: float32 tensors of shape [B, S], on whatever backend `initTfjs` chose
 * (a GPU through tfjs-node-gpu when installed). Call `await initTfjs()` first. tfjs has no float64: results
 * agree with the float64 path to float32 precision (the integrator's tolerances are set accordingly).
 */
export function tfjsArrays(): FlowArrays<tf.Tensor2D> {
  return {
    name: `tfjs-${tf.getBackend()}-float32`,
    dtype: 'float32',
    fromRows: (rows, batch, size) => tf.tensor2d(Float32Array.from(rows), [batch, size], 'float32'),
    toRows: (a) => Float64Array.from(a.dataSync()),
    lincomb(coeffs, xs) {
      return tf.tidy(() => {
        let acc: tf.Tensor2D | null = null;
        xs.forEach((x, i) => {
          if (coeffs[i] === 0) return;
          const term = tf.mul(x, coeffs[i]) as tf.Tensor2D;
          acc = acc ? (tf.add(acc, term) as tf.Tensor2D) : term;
        });
        return acc ?? tf.zerosLike(xs[0]);
      });
    },
    errorNorm(e, y, yNew, rtol, atol) {
      const v = tf.tidy(() => {
        const sc = tf.add(atol, tf.mul(rtol, tf.maximum(tf.abs(y), tf.abs(yNew))));
        const r = tf.div(e, sc);
        return tf.max(tf.sqrt(tf.mean(tf.square(r), 1)));
      });
      const out = v.dataSync()[0];
      v.dispose();
      return out;
    },
    bindFlow(kappa, yT, k, withTest) {
      const nk = yT.length;
      const kap = tf.tensor2d(Float32Array.from({ length: nk }, (_, q) => kappa[Math.floor(q / k)]), [1, nk]);
      const target = tf.tensor2d(Float32Array.from(yT), [1, nk]);
      return (y, decay, shrink) =>
        tf.tidy(() => {
          const B = y.shape[0];
          const d = tf.tensor2d(Float32Array.from(decay), [B, 1]);
          const s = tf.tensor2d(Float32Array.from(shrink), [B, 1]);
          const f = withTest ? tf.slice(y, [0, 0], [B, nk]) : y;
          const resid = tf.sub(f, target);
          const df = tf.sub(tf.neg(tf.mul(tf.mul(kap, d), resid)), tf.mul(s, f));
          if (!withTest) return df as tf.Tensor2D;
          const z = tf.slice(y, [0, nk], [B, nk]);
          const dz = tf.sub(tf.neg(tf.mul(d, resid)), tf.mul(s, z));
          return tf.concat([df, dz], 1) as tf.Tensor2D;
        });
    },
    dispose: (...xs) => xs.forEach((x) => x.dispose()),
  };
}
