import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { builtin } from './builtin.js';
import { windowSum } from './patches.js';
import { singleBlock } from './pointwise.js';
import { requireFull, requireSpatial, spatialSize } from './spatial.js';
import { SpecError } from './specError.js';
import { checkOptions } from './strictOptions.js';
import type { FiniteDelta, FiniteValue, KernelValue, Layer, LayerContext, LayerShape } from './types.js';
import { checkExtents, checkPadding, windowPairMean, windowTable, withArrays, type Padding } from './window.js';

/** Options of `avgPool`. */
export interface AvgPoolOptions {
  /** Window extent per axis, e.g. [2, 2] (1-D or 2-D). */
  window: readonly number[];
  /** Strides per axis (default: the window, non-overlapping). */
  strides?: readonly number[];
  /**
   * 'VALID' (default), 'SAME' (padding left out of each window's mean, as tf.avgPool does) or 'CIRCULAR' (periodic
   * boundary, as neural-tangents' AvgPool: SAME's output extent, windows wrapped around, every mean over the whole
   * window).
   */
  padding?: Padding;
}

/**
 * Average pooling over windows, channels kept, as neural-tangents' stax.AvgPool. Kernel: K'(q1, q2) = mean over the
 * window pairs (o1, o2) of K(q1+o1, q2+o2) (every pair of positions: it needs the 'full' record); Θ' likewise.
 * Finite form: window patches summed and divided by the count inside (tf.avgPool's numbers, differentiable on every backend). Structured rule: δ back through the pooling's adjoint.
 * @param opts - `window` ([h, w] or [l]), `strides` (default: the window), `padding` ('VALID' default, 'SAME', 'CIRCULAR')
 * @returns the layer, on N×H×W×C images (or N×L×C sequences)
 * @throws SpecError for malformed extents or padding
 */
export function avgPool(opts: AvgPoolOptions): Layer {
  const name = 'avgPool';
  checkOptions(name, opts, { window: 'numberList', strides: 'numberList', padding: 'string' });
  if (opts === undefined) throw new SpecError(`${name}: options are required: avgPool({ window: [2, 2], strides?, padding? })`);
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
      const tab = windowTable(spatial, window, strides, padding, name);
      const out = tab.out;
      // 1/(window positions inside the input) per output position: padding is left out of the mean, as tf.avgPool
      const inv = Float32Array.from(tab.inside, (m) => 1 / m);
      // the sum over each window's patches (padding is zeros), times 1/count: differentiable anywhere
      const pool = (t: Tensor): Tensor => windowSum(t, spatial, tab, window, strides, padding, inv);
      return {
        paramShapes: [],
        init: () => [],
        apply: (_p: readonly Tensor[], x: FiniteValue): FiniteValue => {
          if (Array.isArray(x)) throw new SpecError(`${name} takes a single input, got a list: add fanInSum after parallel`);
          return pool(x as unknown as Tensor) as unknown as FiniteValue;
        },
        structured: {
          addParamNtk: () => undefined, // no parameters
          backward(_p: readonly Tensor[], _x: FiniteValue, delta: FiniteDelta): FiniteDelta {
            // the adjoint of the (linear) pooling, by tfjs autodiff at any point
            const tf = tfRuntime();
            const d = delta as unknown as Tensor;
            const [k, n] = d.shape;
            const c = d.shape[d.shape.length - 1];
            const dx = tf.grad((x: Tensor) => pool(x))(tf.zeros([k * n, ...spatial, c]), tf.reshape(d, [k * n, ...out, c]));
            return tf.reshape(dx, [k, n, ...spatial, c]) as unknown as FiniteDelta;
          },
        },
      };
    },
  });
  return layer;
}
