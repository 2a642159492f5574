import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { spatialSize } from './spatial.js';
import { padAmounts, type Padding } from './window.js';

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
  // TensorFlow's SAME padding (the odd one after; CIRCULAR: the same amounts of wrapped values), then zeros at the
  // end so that every offset can take out·s values (those past the last window are never read)
  const amounts = padAmounts(spatial, out, window, strides, padding);
  const base = padding === 'CIRCULAR' ? wrapPad(x, spatial, amounts) : x;
  const pads = spatial.map((len, a) => {
    const [before, after] = amounts[a];
    const extra = Math.max(0, window[a] - 1 + out[a] * strides[a] - (len + before + after));
    return (padding === 'CIRCULAR' ? [0, extra] : [before, after + extra]) as [number, number];
  });
  const padded = pads.some(([a, b]) => a + b > 0) ? tf.pad(base, [[0, 0], ...pads, [0, 0]]) : base;
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

/**
 * Periodic padding of x [N, spatial…, C]: along each axis a, `before` values wrapped from the end and `after` from
 * the start (position p reads p mod n, any amount, even beyond n). Built from slices and concat only, so its
 * gradient exists on every tfjs backend.
 */
export function wrapPad(x: Tensor, spatial: readonly number[], amounts: readonly (readonly [number, number])[]): Tensor {
  const tf = tfRuntime();
  let t = x;
  spatial.forEach((n, a) => {
    const [before, after] = amounts[a];
    if (before + after === 0) return;
    const axis = a + 1;
    // the runs of consecutive input positions p = (j − before) mod n, j = 0 … before + n + after − 1
    const pieces: Tensor[] = [];
    let j = 0;
    const total = before + n + after;
    while (j < total) {
      const p = (((j - before) % n) + n) % n;
      const len = Math.min(n - p, total - j);
      const begin = t.shape.map(() => 0);
      const size = t.shape.map((d) => d);
      begin[axis] = p;
      size[axis] = len;
      pieces.push(len === n ? t : tf.slice(t, begin, size));
      j += len;
    }
    t = pieces.length === 1 ? pieces[0] : tf.concat(pieces, axis);
  });
  return t;
}
