import { tf } from '../tfjs/backend.js';
import type { FlowArrays } from './arrays.js';

/**
 * The flow arrays on TensorFlow.js: float32 tensors of shape [B, S], on whatever backend `initTfjs` chose
 * (a GPU through webgpu or tfjs-node-gpu when installed). Call `await initTfjs()` first. tfjs has no float64:
 * results agree with the float64 path to float32 precision (the integrator's tolerances are set accordingly).
 * On the webgpu backend only the asynchronous reads work: integrate with `scheduledSolveBatchAsync`.
 */
export function tfjsArrays(): FlowArrays<tf.Tensor2D> {
  const syncRead = (t: tf.Tensor): Float32Array => {
    if (tf.getBackend() === 'webgpu') throw new Error('the webgpu backend reads back only asynchronously: use scheduledSolveBatchAsync / scheduledTrajectoriesAsync with tfjsArrays()');
    return t.dataSync() as Float32Array;
  };
  const normTensor = (e: tf.Tensor2D, y: tf.Tensor2D, yNew: tf.Tensor2D, rtol: number, atol: number): tf.Tensor =>
    tf.tidy(() => {
      const sc = tf.add(atol, tf.mul(rtol, tf.maximum(tf.abs(y), tf.abs(yNew))));
      const r = tf.div(e, sc);
      return tf.max(tf.sqrt(tf.mean(tf.square(r), 1)));
    });
  return {
    name: `tfjs-${tf.getBackend()}-float32`,
    dtype: 'float32',
    fromRows: (rows, batch, size) => tf.tensor2d(Float32Array.from(rows), [batch, size], 'float32'),
    toRows: (a) => Float64Array.from(syncRead(a)),
    toRowsAsync: async (a) => Float64Array.from(await a.data()),
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
      const v = normTensor(e, y, yNew, rtol, atol);
      try {
        return syncRead(v)[0];
      } finally {
        v.dispose();
      }
    },
    async errorNormAsync(e, y, yNew, rtol, atol) {
      const v = normTensor(e, y, yNew, rtol, atol);
      try {
        return (await v.data())[0];
      } finally {
        v.dispose();
      }
    },
    bindFlow(kappa, withTest) {
      const n = kappa.length;
      const kap = tf.keep(tf.tensor2d(Float32Array.from(kappa), [1, n]));
      return (y, decay, shrink) =>
        tf.tidy(() => {
          const B = y.shape[0];
          const d = tf.tensor2d(Float32Array.from(decay), [B, 1]);
          const s = tf.tensor2d(Float32Array.from(shrink), [B, 1]);
          const g = tf.slice(y, [0, 0], [B, n]);
          const hm1 = tf.sub(tf.slice(y, [0, n], [B, n]), 1);
          const kd = tf.mul(kap, d);
          const dg = tf.neg(tf.add(tf.mul(kd, g), tf.mul(s, g)));
          const dh = tf.neg(tf.add(tf.mul(kd, hm1), tf.mul(s, tf.add(hm1, 1))));
          if (!withTest) return tf.concat([dg, dh], 1) as tf.Tensor2D;
          const dzg = tf.neg(tf.add(tf.mul(d, g), tf.mul(s, tf.slice(y, [0, 2 * n], [B, n]))));
          const dzh = tf.neg(tf.add(tf.mul(d, hm1), tf.mul(s, tf.slice(y, [0, 3 * n], [B, n]))));
          return tf.concat([dg, dh, dzg, dzh], 1) as tf.Tensor2D;
        });
    },
    dispose: (...xs) => xs.forEach((x) => x.dispose()),
  };
}
