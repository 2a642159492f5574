import { relu } from '../layers/abrelu.js';
import { conv } from '../layers/conv.js';
import { dense } from '../layers/dense.js';
import { globalAvgPool } from '../layers/globalAvgPool.js';
import { layerNorm } from '../layers/layerNorm.js';
import { residual } from '../layers/residual.js';
import { serial } from '../layers/serial.js';
import type { NetworkSpec } from '../layers/types.js';
import { InputError, quote } from '../util/errors.js';

/** The architectures of the L2 kernel check on images (issue 12, item 4). */
export const L2_ARCHITECTURES = ['cnn', 'rescnn', 'lncnn'] as const;

/** One of L2_ARCHITECTURES. */
export type L2Architecture = (typeof L2_ARCHITECTURES)[number];

/**
 * The network of an L2 kernel check, with `channels` channels in every conv, 3×3 SAME filters, σ_w = √2, no
 * biases, one output:
 * - cnn: conv > relu > conv > relu > globalAvgPool > dense (positively homogeneous, L = 3);
 * - rescnn: conv > relu > residual(conv > relu > conv) > relu > globalAvgPool > dense (paths of 2 and 4 weight
 *   layers: not homogeneous, scaled-σ prediction);
 * - lncnn: conv > layerNorm > relu > conv > relu > globalAvgPool > dense (the first conv's weights are
 *   scale-invariant: scaled-σ prediction).
 */
export function l2ArchitectureSpec(arch: L2Architecture, channels: number): NetworkSpec {
  const w = Math.SQRT2;
  const c = (): ReturnType<typeof conv> => conv(channels, { filter: [3, 3], padding: 'SAME', wStd: w });
  switch (arch) {
    case 'cnn':
      return serial(c(), relu(), c(), relu(), globalAvgPool(), dense(1, { wStd: w }));
    case 'rescnn':
      return serial(c(), relu(), residual(c(), relu(), c()), relu(), globalAvgPool(), dense(1, { wStd: w }));
    case 'lncnn':
      return serial(c(), layerNorm(), relu(), c(), relu(), globalAvgPool(), dense(1, { wStd: w }));
    default:
      throw new InputError(`unknown architecture ${quote(String(arch))} (known: ${L2_ARCHITECTURES.join(', ')})`);
  }
}
