import type { Tensor, Tensor3D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { builtin } from './builtin.js';
import { singleBlock } from './pointwise.js';
import { meanOverEntries, requireSpatial, spatialSize } from './spatial.js';
import { SpecError } from './specError.js';
import type { FiniteDelta, FiniteValue, KernelValue, Layer, LayerContext, LayerShape } from './types.js';

/**
 * Images → vectors, N×H×W×C → N×(H·W·C) (C order), as neural-tangents' stax.Flatten. Kernel: K' = mean_s K(s, s)
 * (it needs only the 'diagonal' entries): the mean, not the sum, because the Dense after it divides by its fan-in
 * H·W·C in the NTK parameterization, and Σ_{s,c} x_{s,c}x'_{s,c}/(H·W·C) = mean_s K(s, s). Θ' likewise.
 * On flat values it is the identity. Structured rule: δ reshaped back to the spatial shape (no parameters).
 */
export function flatten(): Layer {
  const name = 'flatten';
  const layer: Layer = builtin({
    json: { type: 'flatten' },
    outWidth: (w: number) => w,
    outShape: (input: LayerShape): LayerShape => ({ spatial: [], width: input.width * spatialSize(input.spatial) }),
    inputMode: () => 'diagonal',
    hasWeights: false,
    gaussianOutput: 'ifInput',
    homogeneity: 0,
    scaleParams: () => layer,
    kernel(ctx: LayerContext) {
      if ((ctx.spatial ?? []).length === 0) return (v: KernelValue): KernelValue => singleBlock(v, name);
      const S = spatialSize(requireSpatial(ctx.spatial, name));
      return (v: KernelValue): KernelValue => {
        const b = singleBlock(v, name);
        const full = b.mode === 'full';
        // position s of point i: (s, s) of the S×S block in 'full' mode, entry s in 'diagonal' mode
        return full ? meanOverEntries(b, S * S, S, (p) => p * S + p) : meanOverEntries(b, S, S, (p) => p);
      };
    },
    finite(ctx: LayerContext) {
      const spatial = ctx.spatial ?? [];
      const size = spatialSize(spatial) * ctx.fanIn;
      const single = (x: FiniteValue): Tensor => {
        if (Array.isArray(x)) throw new SpecError(`${name} takes a single input, got a list: add fanInSum after parallel`);
        return x as unknown as Tensor;
      };
      return {
        paramShapes: [],
        init: () => [],
        apply: (_p: readonly Tensor[], x: FiniteValue): FiniteValue => {
          const t = single(x);
          return tfRuntime().reshape(t, [t.shape[0], size]) as unknown as FiniteValue;
        },
        structured: {
          addParamNtk: () => undefined, // no parameters
          backward(_p: readonly Tensor[], _x: FiniteValue, delta: FiniteDelta): FiniteDelta {
            const d = delta as Tensor3D;
            return tfRuntime().reshape(d, [d.shape[0], d.shape[1], ...spatial, ctx.fanIn]) as unknown as FiniteDelta;
          },
        },
      };
    },
  });
  return layer;
}
