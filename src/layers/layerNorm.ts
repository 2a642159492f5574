import { builtin } from './builtin.js';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { SpecError } from './specError.js';
import { pointwiseKernel } from './pointwise.js';
import { singleDelta, singleValue } from './values.js';
import type { CrossBlock, DiagBlock, FiniteDelta, FiniteTransform, FiniteValue, KernelFn, KernelTransform, Layer, LayerContext } from './types.js';

/**
 * ε added to the variance in the finite form, as in neural-tangents' stax.LayerNorm (eps = 1e-12). It only keeps
 * an all-constant row finite (it maps to 0); for float32 activations of order 1 it is below rounding. The kernel
 * is the ε → 0 limit.
 */
export const LAYER_NORM_EPS = 1e-12;

/**
 * Layer normalization over the features of each example, without the affine part (neural-tangents'
 * stax.LayerNorm(axis=-1) on a flat N×n input):
 *   z ↦ (z − μ(z)) / √(v(z) + ε),  μ = mean of z over its n units, v = mean of (z − μ)² (the biased variance).
 *
 * Kernel (Xiao et al. / neural-tangents' kernel_fn): when the input units are i.i.d. centred Gaussian at infinite
 * width (right after a Dense layer, with or without bias: the bias units have mean 0 too), μ → 0 and v → K(x, x),
 * so each output unit is z_u/√K(x, x) and
 *   K' = K12/√(K11·K22),   Θ' = Θ12/√(K11·K22)   (diagonal: K' = 1, Θ' = Θ/K).
 * The Jacobian (δ_uw − 1/n − ẑ_u ẑ_w/n)/σ differs from I/σ by a rank-2 term whose share of every unit vanishes
 * like 1/n, hence the NTK rule. After a nonlinearity the units have a non-zero mean (relu: √(K/2π)) and the
 * centring changes the kernel, so the analytic kernel refuses that place (neural-tangents refuses non-Gaussian
 * inputs too); the finite form works anywhere. A point whose input has zero variance (K(x, x) = 0: an all-zero
 * pre-activation) maps to K' = Θ' = 0, as the finite form maps an all-zero row to 0.
 *
 * Homogeneity: no parameters, but z(b·x) = z(x) — scale-invariant in its input, not of degree 1 — so a network
 * containing it is not positively homogeneous of degree L = Σp (the parameters before it become scale-invariant:
 * L2 shrinking them makes their gradients grow). It declares null, so the output ODE's −Lλf term is never used;
 * the kernel under L2 still follows from scaleParams (it returns itself, having nothing to scale).
 */
export function layerNorm(): Layer {
  const transform: KernelTransform = {
    cross(blk: CrossBlock): void {
      const { nr, nc, k, t, k11, k22 } = blk;
      for (let r = 0; r < nr; r++) {
        const d1 = k11[r];
        const base = r * nc;
        for (let c = 0; c < nc; c++) {
          const i = base + c;
          const norm = Math.sqrt(d1 * k22[c]);
          const inv = norm > 0 ? 1 / norm : 0;
          k[i] *= inv;
          if (t) t[i] *= inv;
        }
      }
    },
    diag(blk: DiagBlock): void {
      // Exactly 1 rather than K/√(K·K), which can round to 1 ± ulp.
      const { n, k, t } = blk;
      for (let i = 0; i < n; i++) {
        const inv = k[i] > 0 ? 1 / k[i] : 0;
        if (t) t[i] *= inv;
        k[i] = k[i] > 0 ? 1 : 0;
      }
    },
  };
  const kernelFn = pointwiseKernel(transform, 'layerNorm');
  const layer: Layer = builtin({
    json: { type: 'layerNorm' },
    outWidth: (w) => w,
    hasWeights: false,
    gaussianOutput: 'ifInput', // z_u/√K(x, x) is centred Gaussian when z is
    homogeneity: null, // scale-invariant in its input, see above
    scaleParams: () => layer,
    kernel(ctx: LayerContext): KernelFn {
      if (ctx.inputGaussian !== true) {
        throw new SpecError(
          'layerNorm has an analytic kernel only on centred Gaussian units: put it right after a dense layer (not first, not after a nonlinearity)',
        );
      }
      return kernelFn;
    },
    finite: () => layerNormFinite(),
  });
  return layer;
}

/** ẑ = (z − μ)/σ and σ = √(v + ε) per row, from tfjs ops (autodiff runs through them). */
function normalize(x: Tensor2D): { y: Tensor2D; sigma: Tensor2D } {
  const tf = tfRuntime();
  const centred = tf.sub(x, tf.mean(x, 1, true)) as Tensor2D;
  const sigma = tf.sqrt(tf.add(tf.mean(tf.square(centred), 1, true), LAYER_NORM_EPS)) as Tensor2D;
  return { y: tf.div(centred, sigma) as Tensor2D, sigma };
}

/**
 * Finite layer normalization, no parameters. Structured rule: with ∂ẑ_u/∂z_w = (δ_uw − 1/n − ẑ_u ẑ_w/n)/σ
 * (symmetric in u, w; exact for any ε since ∂σ/∂z_w = (z_w − μ)/(nσ)), each output's sensitivity goes back as
 *   δ_in = (δ − mean_u(δ) − ẑ·mean_u(δ·ẑ))/σ,
 * for all k outputs at once by broadcasting ẑ and σ over the leading axis.
 */
function layerNormFinite(): FiniteTransform {
  return {
    paramShapes: [],
    init: () => [],
    apply: (_params: readonly Tensor[], x: FiniteValue) => normalize(singleValue(x, 'layerNorm')).y,
    structured: {
      addParamNtk: () => undefined, // no parameters
      backward(_params: readonly Tensor[], x: FiniteValue, deltaValue: FiniteDelta): FiniteDelta {
        const tf = tfRuntime();
        const delta = singleDelta(deltaValue, 'layerNorm');
        const { y, sigma } = normalize(singleValue(x, 'layerNorm')); // [N, n] and [N, 1], broadcast against [k, N, n]
        const meanDelta = tf.mean(delta, 2, true);
        const meanDeltaY = tf.mean(tf.mul(delta, y), 2, true);
        return tf.div(tf.sub(tf.sub(delta, meanDelta), tf.mul(y, meanDeltaY)), sigma) as Tensor3D;
      },
    },
  };
}
