import { builtin } from './builtin.js';
import { requireGaussianInput } from './gaussianInput.js';
import type { Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { elementwiseFinite } from './elementwise.js';
import { pointwiseKernel } from './pointwise.js';
import type { CrossBlock, DiagBlock, KernelTransform, Layer } from './types.js';

const TWO_OVER_PI = 2 / Math.PI;
const FOUR_OVER_PI = 4 / Math.PI;

/**
 * φ(x) = erf(x), φ'(x) = (2/√π)·e^{−x²}. Closed forms (Williams 1997):
 *   E[φ(u)φ(v)]   = (2/π)·arcsin(2K12 / √((1 + 2K11)(1 + 2K22))),
 *   E[φ'(u)φ'(v)] = (4/π)·((1 + 2K11)(1 + 2K22) − 4K12²)^(−1/2).
 */
export function erf(): Layer {
  const transform: KernelTransform = {
    cross(blk: CrossBlock): void {
      const { nr, nc, k, t, k11, k22 } = blk;
      for (let r = 0; r < nr; r++) {
        const a1 = 1 + 2 * k11[r];
        const base = r * nc;
        for (let c = 0; c < nc; c++) {
          const i = base + c;
          const prod = a1 * (1 + 2 * k22[c]);
          const k12 = k[i];
          let s = (2 * k12) / Math.sqrt(prod);
          if (s > 1) s = 1;
          else if (s < -1) s = -1;
          k[i] = TWO_OVER_PI * Math.asin(s);
          if (t) t[i] *= FOUR_OVER_PI / Math.sqrt(prod - 4 * k12 * k12);
        }
      }
    },
    diag(blk: DiagBlock): void {
      const { n, k, t } = blk;
      for (let i = 0; i < n; i++) {
        const k0 = k[i];
        k[i] = TWO_OVER_PI * Math.asin((2 * k0) / (1 + 2 * k0));
        if (t) t[i] *= FOUR_OVER_PI / Math.sqrt(1 + 4 * k0);
      }
    },
  };
  const finite = elementwiseFinite(
    (x: Tensor2D) => tfRuntime().erf(x),
    (x: Tensor2D) => {
      const tf = tfRuntime();
      return tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI));
    },
  );
  const layer: Layer = builtin({ json: { type: 'erf' }, outWidth: (w) => w, hasWeights: false, homogeneity: null, scaleParams: () => layer, kernel: (ctx) => (requireGaussianInput(ctx, 'erf'), pointwiseKernel(transform, 'erf')), finite: () => finite });
  return layer;
}
