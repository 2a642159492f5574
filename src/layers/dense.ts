import { builtin } from './builtin.js';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { matMulNT } from '../tfjs/ops.js';
import { tfRuntime } from '../tfjs/runtime.js';
import type { Rng } from '../util/random.js';
import { MAX_WIDTH } from './limits.js';
import { SpecError, describeValue } from './specError.js';
import { checkOptions } from './strictOptions.js';
import { pointwiseKernel } from './pointwise.js';
import { singleDelta, singleValue } from './values.js';
import type { CrossBlock, DiagBlock, FiniteDelta, FiniteTransform, FiniteValue, KernelFn, KernelTransform, Layer, LayerContext, NtkAccumulator } from './types.js';

/** Options of `dense(width, opts)`: the initialization scales σ_w, σ_b (dimensionless; see docs/guide.md "Kernels and parameterizations"). */
export interface DenseOptions {
  /** Weight standard deviation σ_w (default 1). */
  wStd?: number;
  /** Bias standard deviation σ_b (default 0: the layer has no bias parameter at all). */
  bStd?: number;
}

/**
 * Fully connected layer with `width` output units.
 *
 * NTK parameterization: z = (σ_w/√n_in)·W·x + σ_b·b with W, b ~ N(0, 1).
 *   K ← σ_w²·K + σ_b²,  Θ ← σ_w²·Θ + K_new.
 * Standard parameterization: z = W·x + b with W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²); same NNGP, and
 *   Θ ← σ_w²·Θ + n_in·K + [bias present],
 * because ∂z/∂W_ij = x_j contributes Σ_j x_j x'_j = n_in·K and ∂z/∂b = 1 (as in neural-tangents with s = 1).
 * The standard NTK therefore grows linearly with the widths. σ_b = 0 means "no bias parameter".
 *
 * Finite form: parameters W (n_in × width) and, when σ_b > 0, b (width). Per unit u, the gradient Gram of
 * z_u with respect to the layer's own parameters is s²·x·x' + β with (s², β) = (σ_w²/n_in, σ_b²) in the NTK
 * parameterization and (1, [bias present]) in the standard one: the structured NTK's per-layer factor.
 * @param width - number of output units (a positive integer)
 * @param opts - σ_w (`wStd`, default 1) and σ_b (`bStd`, default 0: no bias parameter)
 * @returns the layer
 * @throws SpecError for a width that is not a positive integer or a negative or non-finite scale
 */
export function dense(width: number, opts: DenseOptions = {}): Layer {
  checkOptions('dense', opts, { wStd: 'number', bStd: 'number' });
  // "=== 0 ? 0" turns −0 into 0, so the spec's JSON form reads a plain zero.
  const wStd = opts.wStd === 0 ? 0 : (opts.wStd ?? 1);
  const bStd = opts.bStd === 0 ? 0 : (opts.bStd ?? 0);
  if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) {
    throw new SpecError(`dense: width must be a positive integer ≤ ${MAX_WIDTH}, got ${describeValue(width)}`);
  }
  if (!Number.isFinite(wStd) || wStd < 0) throw new SpecError(`dense: wStd must be finite and ≥ 0, got ${describeValue(wStd)}`);
  if (!Number.isFinite(bStd) || bStd < 0) throw new SpecError(`dense: bStd must be finite and ≥ 0, got ${describeValue(bStd)}`);
  const json = { type: 'dense' as const, width, wStd, bStd };
  const w2 = wStd * wStd;
  const b2 = bStd * bStd;
  return builtin({
    json,
    outWidth: () => width,
    hasWeights: true,
    gaussianOutput: 'always',
    homogeneity: bStd === 0 ? 1 : null,
    scaleParams: (s: number) => dense(width, { wStd: wStd * s, bStd: bStd * s }),
    width,
    withWidth: (w: number) => dense(w, { wStd, bStd }),
    kernel(ctx: LayerContext): KernelFn {
      refuseSpatial(ctx);
      return pointwiseKernel(denseTransform(ctx), 'dense');
    },
    finite: (ctx: LayerContext) => {
      refuseSpatial(ctx);
      return denseFinite(width, wStd, bStd, ctx);
    },
  });

  /** The entry-by-entry update: the same on pair entries and on self entries. */
  function denseTransform(ctx: LayerContext): KernelTransform {
    if (ctx.parameterization === 'ntk') {
      const apply = (k: Float64Array, t: Float64Array | null, n: number): void => {
        for (let i = 0; i < n; i++) {
          const kn = w2 * k[i] + b2;
          k[i] = kn;
          if (t) t[i] = w2 * t[i] + kn;
        }
      };
      return {
        cross: (b: CrossBlock) => apply(b.k, b.t, b.nr * b.nc),
        diag: (b: DiagBlock) => apply(b.k, b.t, b.n),
      };
    }
    const fanIn = ctx.fanIn;
    const biasTerm = bStd > 0 ? 1 : 0;
    const apply = (k: Float64Array, t: Float64Array | null, n: number): void => {
      for (let i = 0; i < n; i++) {
        const ko = k[i];
        k[i] = w2 * ko + b2;
        if (t) t[i] = w2 * t[i] + fanIn * ko + biasTerm;
      }
    };
    return {
      cross: (b: CrossBlock) => apply(b.k, b.t, b.nr * b.nc),
      diag: (b: DiagBlock) => apply(b.k, b.t, b.n),
    };
  }
}

/** Dense takes flat vectors: on images it would silently act per pixel, which is conv's job (filter 1×1). */
function refuseSpatial(ctx: LayerContext): void {
  const s = ctx.spatial ?? [];
  if (s.length > 0) throw new SpecError(`dense takes flat vectors, got spatial values ${[...s, ctx.fanIn].join('×')}: add flatten or globalAvgPool first`);
}

function denseFinite(width: number, wStd: number, bStd: number, ctx: LayerContext): FiniteTransform {
  const fanIn = ctx.fanIn;
  const ntk = ctx.parameterization === 'ntk';
  const hasBias = bStd > 0;
  // Multipliers applied in the forward pass (NTK) or folded into the initial values (standard).
  const wMul = ntk ? wStd / Math.sqrt(fanIn) : 1;
  const bMul = ntk ? bStd : 1;
  const gramScale = wMul * wMul;
  const biasGram = hasBias ? bMul * bMul : 0;
  return {
    paramShapes: hasBias ? [[fanIn, width], [width]] : [[fanIn, width]],
    init(rng: Rng): Float32Array[] {
      const w = rng.normalsFloat32(fanIn * width, ntk ? 1 : wStd / Math.sqrt(fanIn));
      return hasBias ? [w, rng.normalsFloat32(width, ntk ? 1 : bStd)] : [w];
    },
    apply(params: readonly Tensor[], xValue: FiniteValue): Tensor2D {
      const tf = tfRuntime();
      let z = tf.matMul(singleValue(xValue, 'dense'), params[0] as Tensor2D) as Tensor2D;
      if (wMul !== 1) z = tf.mul(z, wMul) as Tensor2D;
      if (hasBias) z = tf.add(z, bMul === 1 ? params[1] : tf.mul(params[1], bMul)) as Tensor2D;
      return z;
    },
    structured: {
      addParamNtk(_params: readonly Tensor[], x1: FiniteValue, x2: FiniteValue | null, d1: FiniteDelta, d2: FiniteDelta | null, acc: NtkAccumulator): void {
        const a = singleValue(x1, 'dense');
        const b = x2 === null ? null : singleValue(x2, 'dense');
        acc.addSharedGram({ x1: a, x2: b, scale: gramScale, bias: biasGram }, singleDelta(d1, 'dense'), singleDelta(d2 ?? d1, 'dense'));
      },
      backward(params: readonly Tensor[], _x: FiniteValue, deltaValue: FiniteDelta): FiniteDelta {
        const tf = tfRuntime();
        const delta = singleDelta(deltaValue, 'dense');
        const [k, n] = delta.shape;
        // the multiplier scales W (fanIn·width entries) rather than the product (k·N·fanIn entries)
        const w = wMul === 1 ? (params[0] as Tensor2D) : (tf.mul(params[0], wMul) as Tensor2D);
        return tf.reshape(matMulNT(tf.reshape(delta, [k * n, width]), w), [k, n, fanIn]);
      },
    },
  };
}
