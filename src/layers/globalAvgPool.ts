import type { Tensor, Tensor3D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { builtin } from './builtin.js';
import { singleBlock } from './pointwise.js';
import { meanOverEntries, requireFull, requireSpatial, spatialSize } from './spatial.js';
import { SpecError } from './specError.js';
import type { FiniteDelta, FiniteValue, KernelValue, Layer, LayerContext, LayerShape } from './types.js';

/**
 * Mean over the spatial positions, N×H×W×C → N×C, as neural-tangents' stax.GlobalAvgPool. Kernel: K' = mean_{s,t}
 * K(s, t), so it needs the 'full' record; Θ' likewise. Structured rule: δ spread evenly back over the positions
 * (δ/S at each), no parameters.
 */
export function globalAvgPool(): Layer {
  const name = 'globalAvgPool';
  const layer: Layer = builtin({
    json: { type: 'globalAvgPool' },
    outWidth: (w: number) => w,
    outShape: (input: LayerShape): LayerShape => {
      requireSpatial(input.spatial, name);
      return { spatial: [], width: input.width };
    },
    inputMode: () => 'full',
    hasWeights: false,
    gaussianOutput: 'ifInput',
    homogeneity: 0,
    scaleParams: () => layer,
    kernel(ctx: LayerContext) {
      const S = spatialSize(requireSpatial(ctx.spatial, name));
      const P = S * S;
      return (v: KernelValue): KernelValue => {
        const b = singleBlock(v, name);
        requireFull(b, name);
        return meanOverEntries(b, P, P, (p) => p); // every position pair (s, t)
      };
    },
    finite(ctx: LayerContext) {
      const spatial = requireSpatial(ctx.spatial, name);
      const axes = spatial.map((_, a) => a + 1);
      const S = spatialSize(spatial);
      return {
        paramShapes: [],
        init: () => [],
        apply: (_p: readonly Tensor[], x: FiniteValue): FiniteValue => {
          if (Array.isArray(x)) throw new SpecError(`${name} takes a single input, got a list: add fanInSum after parallel`);
          return tfRuntime().mean(x as unknown as Tensor, axes) as unknown as FiniteValue;
        },
        structured: {
          addParamNtk: () => undefined, // no parameters
          backward(_p: readonly Tensor[], _x: FiniteValue, delta: FiniteDelta): FiniteDelta {
            const tf = tfRuntime();
            const d = delta as Tensor3D;
            const [k, n, c] = d.shape;
            const shape = [k, n, ...spatial.map(() => 1), c];
            return tf.broadcastTo(tf.div(tf.reshape(d, shape), S), [k, n, ...spatial, c]) as unknown as FiniteDelta;
          },
        },
      };
    },
  });
  return layer;
}
