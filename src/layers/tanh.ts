import { builtin } from './builtin.js';
import { requireGaussianInput } from './gaussianInput.js';
import type { Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { elementwiseFinite } from './elementwise.js';
import { quadratureTransform } from './elementwiseNumerical.js';
import { pointwiseKernel } from './pointwise.js';
import type { Layer } from './types.js';

/** tanh and its derivative 1 − tanh², float64. */
const phi = (x: number): number => Math.tanh(x);
const dphi = (x: number): number => {
  const y = Math.tanh(x);
  return 1 - y * y;
};

/**
 * Degree of tanh's 2-D rule: 3600 evaluations of tanh per entry. tanh saturates on a scale 1/√K narrower than the
 * Gaussian, which Gauss–Hermite resolves slowly: relative error at K = 1 about 1e-9 (NNGP) and 1e-8 (NTK factor),
 * at K = 2 about 4e-7 and 5e-6 (degree 26 would be 100 to 1000 times worse). The diagonal uses degree 150.
 */
const TANH_DEGREE = 60;

/**
 * φ(x) = tanh(x), φ'(x) = 1 − tanh²(x). No closed form exists: E[φ(u)φ(v)] and E[φ'(u)φ'(v)] come from the
 * deg×deg Gauss–Hermite rule of `quadratureTransform` at degree 60 (accuracy above; for more, use
 * `elementwise({ phi: Math.tanh, ... }, { degree })`). Checked against Monte Carlo in test/layers/geluTanh.test.ts.
 */
export function tanh(): Layer {
  const transform = quadratureTransform(phi, dphi, TANH_DEGREE);
  const finite = elementwiseFinite(
    (x: Tensor2D) => tfRuntime().tanh(x),
    (x: Tensor2D) => {
      const tf = tfRuntime();
      return tf.sub(1, tf.square(tf.tanh(x))) as Tensor2D;
    },
  );
  const layer: Layer = builtin({ json: { type: 'tanh' }, outWidth: (w) => w, hasWeights: false, homogeneity: null, scaleParams: () => layer, kernel: (ctx) => (requireGaussianInput(ctx, 'tanh'), pointwiseKernel(transform, 'tanh')), finite: () => finite });
  return layer;
}
