import { builtin, isBuiltin } from './builtin.js';
import { fanInSum } from './fanInSum.js';
import { identity } from './identity.js';
import { parallel } from './parallel.js';
import { serial } from './serial.js';
import { SpecError } from './specError.js';
import type { Layer } from './types.js';

/**
 * x ↦ x + block(x), the block being `layers` in order: serial(parallel(serial(layers), identity()), fanInSum()),
 * with its own JSON form {"type":"residual","layers":[…]}. The block must keep the width of its input. Kernel:
 * K_out = K_block + K_in (exact when the block ends with a weight layer, as ResNet blocks do; see fanInSum).
 * Homogeneity: null unless the block has degree 0 (the skip has degree 0, the block its own).
 * @param layers - the block, applied in order
 * @returns the layer x ↦ x + block(x) (= parallel(block, identity) then fanInSum)
 */
export function residual(...layers: Layer[]): Layer {
  // the composition's faces (kernel, finite form, derived properties), without its spec fields
  const { parameterization: _p, layers: _l, children: _c, withChildren: _w, ...inner } = serial(parallel(layers, [identity()]), fanInSum());
  const block = serial(...layers);
  const keepsWidth = (fanIn: number): number => {
    const w = block.outWidth(fanIn);
    if (w !== fanIn) throw new SpecError(`residual: the block maps width ${fanIn} to ${w}; it must keep its input's width`);
    return w;
  };
  const layer: Layer = {
    ...inner,
    json: { type: 'residual', layers: layers.map((l) => l.json) },
    outWidth: keepsWidth,
    // the width check first, so that the message names the block rather than the inner parallel
    kernel: (ctx) => (keepsWidth(ctx.fanIn), inner.kernel(ctx)),
    finite: (ctx) => (keepsWidth(ctx.fanIn), inner.finite!(ctx)),
    scaleParams: (s: number) => residual(...layers.map((l) => l.scaleParams(s))),
    children: layers,
    withChildren: (c: readonly Layer[]) => residual(...c),
  };
  return layers.every(isBuiltin) ? builtin(layer) : layer;
}
