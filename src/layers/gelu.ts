import { builtin } from './builtin.js';
import { requireGaussianInput } from './gaussianInput.js';
import type { Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { elementwiseFinite } from './elementwise.js';
import { pointwiseKernel } from './pointwise.js';
import type { CrossBlock, DiagBlock, KernelTransform, Layer } from './types.js';

const TWO_PI = 2 * Math.PI;
const INV_SQRT_2PI = 1 / Math.sqrt(TWO_PI);

/**
 * GELU in its exact form φ(x) = x·Φ(x) = x·(1 + erf(x/√2))/2 (not the tanh approximation), φ'(x) = Φ(x) + x·ϕ(x)
 * with ϕ the standard normal density. Closed forms (Tsuchida, Pearce, van der Heide, Roosta & Gallagher 2021,
 * arXiv:2002.08517; as in neural-tangents' `Gelu`), with P = K11·K22, P₁ = (1 + K11)(1 + K22),
 * Δ = √(P₁ − K12²) and α = atan2(K12, Δ):
 *   E[φ(u)φ(v)]   = K12/4 + ((K12² + P·Δ²)/(P₁·Δ) + K12·α)/(2π),
 *   E[φ'(u)φ'(v)] = 1/4 + α/(2π) + K12·(1/Δ² + (1 − P)/P₁ + 1)/(2π·Δ).
 * The diagonal is the same with K12 = K11 = K22 = K (Δ² = 1 + 2K). Checked against Gauss–Hermite quadrature
 * and Monte Carlo in test/layers/geluTanh.test.ts.
 */
export function gelu(): Layer {
  const transform: KernelTransform = {
    cross(blk: CrossBlock): void {
      const { nr, nc, k, t, k11, k22 } = blk;
      for (let r = 0; r < nr; r++) {
        const d1 = k11[r];
        const base = r * nc;
        for (let c = 0; c < nc; c++) {
          const i = base + c;
          const out = geluMoments(k[i], d1, k22[c]);
          k[i] = out.k;
          if (t) t[i] *= out.dk;
        }
      }
    },
    diag(blk: DiagBlock): void {
      const { n, k, t } = blk;
      for (let i = 0; i < n; i++) {
        const out = geluMoments(k[i], k[i], k[i]);
        k[i] = out.k;
        if (t) t[i] *= out.dk;
      }
    },
  };
  const finite = elementwiseFinite(
    (x: Tensor2D) => {
      const tf = tfRuntime();
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as Tensor2D;
    },
    (x: Tensor2D) => {
      const tf = tfRuntime();
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
      return tf.add(cdf, tf.mul(x, pdf)) as Tensor2D;
    },
  );
  const layer: Layer = builtin({ json: { type: 'gelu' }, outWidth: (w) => w, hasWeights: false, homogeneity: null, scaleParams: () => layer, kernel: (ctx) => (requireGaussianInput(ctx, 'gelu'), pointwiseKernel(transform, 'gelu')), finite: () => finite });
  return layer;
}

/** E[φ(u)φ(v)] and E[φ'(u)φ'(v)] for GELU, (u, v) ~ N(0, [[K11, K12], [K12, K22]]). */
function geluMoments(k12: number, k11: number, k22: number): { k: number; dk: number } {
  const p = k11 * k22;
  const p1 = (1 + k11) * (1 + k22);
  // Δ² ≥ P₁ − P = 1 + K11 + K22 ≥ 1 for a valid covariance; the max only guards rounding in |K12| > √P.
  const delta2 = Math.max(p1 - k12 * k12, 1 + k11 + k22);
  const delta = Math.sqrt(delta2);
  const alpha = Math.atan2(k12, delta);
  const k = k12 / 4 + ((k12 * k12 + p * delta2) / (p1 * delta) + k12 * alpha) / TWO_PI;
  const dk = 0.25 + alpha / TWO_PI + (k12 * (1 / delta2 + (1 - p) / p1 + 1)) / (TWO_PI * delta);
  return { k, dk };
}
