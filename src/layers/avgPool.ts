import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { builtin } from './builtin.js';
import { singleBlock } from './pointwise.js';
import { requireFull, requireSpatial, spatialSize } from './spatial.js';
import { SpecError } from './specError.js';
import type { FiniteValue, KernelValue, Layer, LayerContext, LayerShape } from './types.js';
import { checkExtents, checkPadding, windowPairMean, windowTable, withArrays, type Padding } from './window.js';

/** Options of `avgPool`. */
export interface AvgPoolOptions {
  /** Window extent per axis, e.g. [2, 2] (1-D or 2-D). */
  window: readonly number[];
  /** Strides per axis (default: the window, non-overlapping). */
  strides?: readonly number[];
  /** 'VALID' (default) or 'SAME' (padding left out of each window's mean, as tf.avgPool does). */
  padding?: Padding;
}

/**
 * Average pooling over windows, channels kept, as neural-tangents' stax.AvgPool. Kernel: K'(q1, q2) = mean over the
 * window pairs (o1, o2) of K(q1+o1, q2+o2) (every pair of positions: it needs the 'full' record); Θ' likewise.
 * Finite form: tf.avgPool (a 1-D input is pooled as a 1×L image). No structured NTK rule yet: the Jacobian method.
 */
export function avgPool(opts: AvgPoolOptions): Layer {
  const name = 'avgPool';
  const rank = Array.isArray(opts.window) ? opts.window.length : 0;
  if (rank !== 1 && rank !== 2) throw new SpecError(`${name}: window must be a list of 1 or 2 positive integers, got ${JSON.stringify(opts.window) ?? String(opts.window)}`);
  const window = checkExtents(opts.window, rank, 'window', name);
  const strides = checkExtents(opts.strides ?? window, rank, 'strides', name);
  const padding = checkPadding(opts.padding ?? 'VALID', name);
  const layer: Layer = builtin({
    json: { type: 'avgPool', window: [...window], strides: [...strides], padding },
    outWidth: (w: number) => w,
    outShape(input: LayerShape): LayerShape {
      const spatial = requireSpatial(input.spatial, name, rank);
      return { spatial: windowTable(spatial, window, strides, padding, name).out, width: input.width };
    },
    inputMode: () => 'full',
    hasWeights: false,
    gaussianOutput: 'ifInput',
    homogeneity: 0,
    scaleParams: () => layer,
    kernel(ctx: LayerContext) {
      const spatial = requireSpatial(ctx.spatial, name, rank);
      const tab = windowTable(spatial, window, strides, padding, name);
      const Si = spatialSize(spatial);
      return (v: KernelValue): KernelValue => {
        const b = singleBlock(v, name);
        requireFull(b, name);
        return withArrays(b, tab.out, 'full', (a, n) => windowPairMean(a, n, Si, tab));
      };
    },
    finite(ctx: LayerContext) {
      const spatial = requireSpatial(ctx.spatial, name, rank);
      const c = ctx.fanIn;
      const out = windowTable(spatial, window, strides, padding, name).out;
      const pad = padding === 'SAME' ? 'same' : 'valid';
      return {
        paramShapes: [],
        init: () => [],
        apply: (_p: readonly Tensor[], x: FiniteValue): FiniteValue => {
          if (Array.isArray(x)) throw new SpecError(`${name} takes a single input, got a list: add fanInSum after parallel`);
          const tf = tfRuntime();
          const t = x as unknown as Tensor;
          if (rank === 2) return tf.avgPool(t as Tensor4D, [window[0], window[1]], [strides[0], strides[1]], pad) as unknown as FiniteValue;
          const img = tf.reshape(t, [t.shape[0], 1, spatial[0], c]) as Tensor4D;
          const pooled = tf.avgPool(img, [1, window[0]], [1, strides[0]], pad);
          return tf.reshape(pooled, [t.shape[0], out[0], c]) as unknown as FiniteValue;
        },
        structured: null,
      };
    },
  });
  return layer;
}
