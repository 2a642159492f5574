import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { spatialSize } from './spatial.js';
import type { Padding } from './window.js';

/**
 * Window patches of a batch (im2col), shared by conv and avgPool's finite forms: x [N, spatial…, C] →
 * [N, out…, |window|, C], offsets in C order. Built from pad, slice and reshape only, whose gradients every tfjs
 * backend has (wasm lacks those of conv2d's filter, strided slices and average pooling), so the Jacobian method
 * differentiates networks using it anywhere.
 */
export function windowPatches(
  x: Tensor,
  spatial: readonly number[],
  out: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  padding: Padding,
): Tensor {
  const tf = tfRuntime();
  const rank = spatial.length;
  const n = x.shape[0];
  const c = x.shape[x.shape.length - 1];
  const F = spatialSize(window);
  // TensorFlow's SAME padding (the odd one after), then zeros at the end so that every offset can take out·s values
  const pads = spatial.map((len, a) => {
    const total = padding === 'SAME' ? Math.max((out[a] - 1) * strides[a] + window[a] - len, 0) : 0;
    const before = Math.floor(total / 2);
    const extra = Math.max(0, window[a] - 1 + out[a] * strides[a] - (len + total));
    return [before, total - before + extra] as [number, number];
  });
  const padded = pads.some(([a, b]) => a + b > 0) ? tf.pad(x, [[0, 0], ...pads, [0, 0]]) : x;
  const slices: Tensor[] = [];
  for (let o = 0; o < F; o++) {
    const off = new Array<number>(rank);
    let r = o;
    for (let a = rank - 1; a >= 0; a--) {
      off[a] = r % window[a];
      r = Math.floor(r / window[a]);
    }
    let t = tf.slice(padded, [0, ...off, 0], [n, ...out.map((q, a) => q * strides[a]), c]);
    if (strides.some((st) => st > 1)) {
      // stride by reshape: [N, q0, s0, q1, s1, C], phase 0 of every axis
      const split = out.flatMap((q, a) => [q, strides[a]]);
      t = tf.reshape(t, [n, ...split, c]);
      t = tf.slice(t, new Array<number>(2 * rank + 2).fill(0), [n, ...out.flatMap((q) => [q, 1]), c]);
      t = tf.reshape(t, [n, ...out, c]);
    }
    slices.push(tf.reshape(t, [n, ...out, 1, c]));
  }
  return slices.length === 1 ? slices[0] : tf.concat(slices, rank + 1);
}
