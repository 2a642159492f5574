import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { patchOp, wasmPatchesUsable, type PatchGeometry } from '../tfjs/wasmPatches.js';
import { spatialSize } from './spatial.js';
import { padAmounts, type Padding, type WindowTable } from './window.js';

/**
 * The geometry of the native patch op for these windows (src/tfjs/wasmPatches.ts), or null when it is not usable
 * (another backend, addon missing, switched off, or non-float32 data): the callers then build patches from tfjs ops.
 */
function nativeGeometry(x: Tensor, spatial: readonly number[], tab: WindowTable, sum: boolean, scale: Float32Array | null): PatchGeometry | null {
  if (x.dtype !== 'float32' || !wasmPatchesUsable()) return null;
  return { idx: tab.idx, F: tab.F, inSpatial: spatial, outSpatial: tab.out, sum, scale };
}

/**
 * Window patches of a batch (im2col), conv's finite form: x [N, spatial…, C] → [N, out…, |window|, C], offsets in
 * C order. Built from pad, slice, concat and reshape only, whose gradients every tfjs backend has (wasm lacks those
 * of conv2d's filter, strided slices and average pooling), so the Jacobian method differentiates networks using it
 * anywhere. No op has more than rank + 2 ≤ 4 axes: wasm runs slices of at most 4 axes natively and falls back to a
 * per-element JavaScript loop above that (~30× slower for a CNN step), so the offsets are concatenated along the
 * channel axis and the [|window|, C] split is a free reshape. On the wasm backend with the native kernels addon
 * the whole map is one op instead (src/tfjs/wasmPatches.ts: the same values bit for bit, its gradient one op too).
 */
export function windowPatches(
  x: Tensor,
  spatial: readonly number[],
  tab: WindowTable,
  window: readonly number[],
  strides: readonly number[],
  padding: Padding,
): Tensor {
  const native = nativeGeometry(x, spatial, tab, false, null);
  if (native) return patchOp(x, native);
  const tf = tfRuntime();
  const out = tab.out;
  const slices = windowSlices(x, spatial, out, window, strides, padding);
  const n = x.shape[0];
  const c = x.shape[x.shape.length - 1];
  const joined = slices.length === 1 ? slices[0] : tf.concat(slices, spatial.length + 1);
  return tf.reshape(joined, [n, ...out, slices.length, c]);
}

/**
 * The sum over each window, avgPool's finite form: x [N, spatial…, C] → [N, out…, C], the same windows as
 * `windowPatches` (zeros where SAME pads), added slice by slice (no rank + 3 tensor), then, when `scale` (one factor
 * per output position, C order, Π out entries) is given, times scale (avgPool's 1/count). One native op on the wasm
 * backend with the native kernels addon (offsets added in the same order, the same float32 product: the same bits).
 */
export function windowSum(
  x: Tensor,
  spatial: readonly number[],
  tab: WindowTable,
  window: readonly number[],
  strides: readonly number[],
  padding: Padding,
  scale: Float32Array | null = null,
): Tensor {
  const native = nativeGeometry(x, spatial, tab, true, scale);
  if (native) return patchOp(x, native);
  const tf = tfRuntime();
  const out = tab.out;
  const slices = windowSlices(x, spatial, out, window, strides, padding);
  const sum = slices.length === 1 ? slices[0] : tf.addN(slices);
  return scale ? tf.mul(sum, tf.tensor(scale, [1, ...out, 1])) : sum;
}

/** The |window| shifted views of x, each [N, out…, C]: offset o reads x at position q·stride + offset(o) − pad. */
function windowSlices(
  x: Tensor,
  spatial: readonly number[],
  out: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  padding: Padding,
): Tensor[] {
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
    const extents = out.map((q, a) => q * strides[a]);
    let t = tf.slice(padded, [0, ...off, 0], [n, ...extents, c]);
    // stride by reshape, one axis at a time through 3-axis views [before, s, after]: phase 0 of each axis
    for (let a = 0; a < rank; a++) {
      if (strides[a] === 1) continue;
      const before = n * out.slice(0, a + 1).reduce((p, q) => p * q, 1);
      const after = extents.slice(a + 1).reduce((p, q) => p * q, 1) * c;
      t = tf.slice(tf.reshape(t, [before, strides[a], after]), [0, 0, 0], [before, 1, after]);
      extents[a] = out[a];
      t = tf.reshape(t, [n, ...extents, c]);
    }
    slices.push(t);
  }
  return slices;
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
