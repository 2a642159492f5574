import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { matMulNT } from '../tfjs/ops.js';
import { tfRuntime } from '../tfjs/runtime.js';
import type { Rng } from '../util/random.js';
import { builtin } from './builtin.js';
import { MAX_WIDTH } from './limits.js';
import { windowPatches } from './patches.js';
import { singleBlock } from './pointwise.js';
import { requireSpatial, spatialSize } from './spatial.js';
import { SpecError, describeValue } from './specError.js';
import { checkOptions } from './strictOptions.js';
import type { FiniteDelta, FiniteTransform, FiniteValue, KernelBlock, NtkAccumulator, KernelFn, KernelValue, Layer, LayerContext, LayerShape } from './types.js';
import { convStep, convStepSeparable, offsetRuns, type ConvCoefficients, type SeparableWindow } from './stencil.js';
import { checkExtents, checkPadding, windowTable, type Padding } from './window.js';

/** Options of `conv`. */
export interface ConvOptions {
  /** Filter extent per spatial axis, e.g. [3, 3] (its length is the layer's rank: 1-D or 2-D). */
  filter: readonly number[];
  /** Strides per axis (default all 1). */
  strides?: readonly number[];
  /**
   * 'SAME' (zero padding, ⌈n/s⌉ outputs), 'VALID', or 'CIRCULAR' (periodic boundary: SAME's amounts of wrapped
   * values, ⌈n/s⌉ outputs, as neural-tangents); default 'SAME'.
   */
  padding?: Padding;
  /** Weight standard deviation σ_w (default 1). */
  wStd?: number;
  /** Bias standard deviation σ_b (default 0: no bias parameter). */
  bStd?: number;
}

/**
 * Convolution with `channels` output channels over a 1-D or 2-D spatial input (channels last), as
 * neural-tangents' stax.Conv.
 *
 * NTK parameterization: z = σ_w/√(C_in·|f|)·W ⋆ x + σ_b·b with W [f…, C_in, C_out], b [C_out] ~ N(0, 1).
 * Kernel: K'(s, t) = σ_w²·mean over filter offsets o of K(s+o, t+o) + σ_b² (zero-padded positions count 0, the
 * mean still over |f|; CIRCULAR reads positions mod the extent, as neural-tangents' wrap padding of the covariance;
 * strides subsample), Θ' = σ_w²·(the same map of Θ) + K'. In 'diagonal' mode (s, s) maps to
 * (s, s) from diagonal entries only. Standard parameterization: W ~ N(0, σ_w²/(C_in·|f|)), b ~ N(0, σ_b²); same
 * NNGP, Θ' = σ_w²·map(Θ) + C_in·|f|·map(K) + [bias present].
 *
 * Finite form: patches (im2col; CIRCULAR pads by wrapped slices) times the weights, float32. Structured NTK rule: per-example weight gradients
 * (patches ⊗ δ) contracted across examples (units share weights across positions, so no per-unit Gram factorizes);
 * δ goes back through the adjoint of the patch extraction.
 * @param channels - number of output channels
 * @param opts - `filter` ([h, w] or [l]), `strides` (default 1s), `padding` ('VALID' default, 'SAME', 'CIRCULAR'), `wStd`, `bStd`
 * @returns the layer, on N×H×W×C images (or N×L×C sequences)
 * @throws SpecError for malformed extents, padding or scales
 */
export function conv(channels: number, opts: ConvOptions): Layer {
  const name = 'conv';
  checkOptions(name, opts, { filter: 'numberList', strides: 'numberList', padding: 'string', wStd: 'number', bStd: 'number' });
  if (opts === undefined) throw new SpecError(`${name}: options are required: conv(channels, { filter: [3, 3], strides?, padding?, wStd?, bStd? })`);
  const rank = Array.isArray(opts.filter) ? opts.filter.length : 0;
  if (rank !== 1 && rank !== 2) throw new SpecError(`${name}: filter must be a list of 1 or 2 positive integers, got ${JSON.stringify(opts.filter) ?? String(opts.filter)}`);
  const filter = checkExtents(opts.filter, rank, 'filter', name);
  const strides = checkExtents(opts.strides ?? filter.map(() => 1), rank, 'strides', name);
  const padding = checkPadding(opts.padding ?? 'SAME', name);
  const wStd = opts.wStd === 0 ? 0 : (opts.wStd ?? 1);
  const bStd = opts.bStd === 0 ? 0 : (opts.bStd ?? 0);
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_WIDTH) {
    throw new SpecError(`${name}: channels must be a positive integer ≤ ${MAX_WIDTH}, got ${describeValue(channels)}`);
  }
  if (!Number.isFinite(wStd) || wStd < 0) throw new SpecError(`${name}: wStd must be finite and ≥ 0, got ${describeValue(wStd)}`);
  if (!Number.isFinite(bStd) || bStd < 0) throw new SpecError(`${name}: bStd must be finite and ≥ 0, got ${describeValue(bStd)}`);
  const w2 = wStd * wStd;
  const b2 = bStd * bStd;
  const F = spatialSize(filter);
  const layer: Layer = builtin({
    json: { type: 'conv', channels, filter: [...filter], strides: [...strides], padding, wStd, bStd },
    outWidth: () => channels,
    outShape(input: LayerShape): LayerShape {
      const spatial = requireSpatial(input.spatial, name, rank);
      return { spatial: windowTable(spatial, filter, strides, padding, name).out, width: channels };
    },
    hasWeights: true,
    gaussianOutput: 'always',
    homogeneity: bStd === 0 ? 1 : null,
    scaleParams: (s: number) => conv(channels, { filter, strides, padding, wStd: wStd * s, bStd: bStd * s }),
    width: channels,
    withWidth: (c: number) => conv(c, { filter, strides, padding, wStd, bStd }),
    kernel(ctx: LayerContext): KernelFn {
      const spatial = requireSpatial(ctx.spatial, name, rank);
      const tab = windowTable(spatial, filter, strides, padding, name);
      const runs = offsetRuns(tab, spatialSize(spatial));
      // 2-D: separable offset sums (row and column windows apart)
      const sep: SeparableWindow | null =
        rank === 2
          ? {
              rows: windowTable([spatial[0]], [filter[0]], [strides[0]], padding, name),
              cols: windowTable([spatial[1]], [filter[1]], [strides[1]], padding, name),
              hi: spatial[0],
              wi: spatial[1],
            }
          : null;
      const step = (k: Float64Array, t: Float64Array | null, n: number, full: boolean): [Float64Array, Float64Array | null] =>
        sep ? convStepSeparable(k, t, n, sep, full, coef) : convStep(k, t, n, runs, full, coef);
      const coef: ConvCoefficients = { w2, b2, ntkParam: ctx.parameterization === 'ntk', fanIn: ctx.fanIn * F, biasTerm: bStd > 0 ? 1 : 0 };
      return (v: KernelValue): KernelValue => {
        const b = singleBlock(v, name);
        const full = b.mode === 'full';
        // K' = w2·map(K) + b2, Θ' from the maps of Θ and K, fused (src/layers/stencil.ts)
        const [nngp, ntk] = step(b.nngp, b.ntk, b.nr * b.nc, full);
        const [cov1, ntk1] = step(b.cov1, b.ntk1, b.nr, full);
        const [cov2, ntk2] = step(b.cov2, b.ntk2, b.nc, full);
        const out: KernelBlock = { nr: b.nr, nc: b.nc, spatial: tab.out, mode: b.mode, nngp, ntk, cov1, ntk1, cov2, ntk2 };
        return out;
      };
    },
    finite: (ctx: LayerContext) => convFinite(ctx),
  });
  return layer;

  function convFinite(ctx: LayerContext): FiniteTransform {
    requireSpatial(ctx.spatial, name, rank);
    const cin = ctx.fanIn;
    const ntk = ctx.parameterization === 'ntk';
    const hasBias = bStd > 0;
    const wMul = ntk ? wStd / Math.sqrt(cin * F) : 1;
    const bMul = ntk ? bStd : 1;
    const spatial = requireSpatial(ctx.spatial, name, rank);
    const tab = windowTable(spatial, filter, strides, padding, name);
    // z = patches · W; the patches' features (offset, channel) are ordered as the weights [f…, C_in] flattened
    const patches = (x: Tensor): Tensor => windowPatches(x, spatial, tab, filter, strides, padding);
    return {
      paramShapes: hasBias ? [[...filter, cin, channels], [channels]] : [[...filter, cin, channels]],
      init(rng: Rng): Float32Array[] {
        const w = rng.normalsFloat32(F * cin * channels, ntk ? 1 : wStd / Math.sqrt(cin * F));
        return hasBias ? [w, rng.normalsFloat32(channels, ntk ? 1 : bStd)] : [w];
      },
      apply(params: readonly Tensor[], xValue: FiniteValue): FiniteValue {
        const tf = tfRuntime();
        if (Array.isArray(xValue)) throw new SpecError(`${name} takes a single input, got a list: add fanInSum after parallel`);
        const x = xValue as unknown as Tensor;
        // z = patches · W: [N, out…, |f|·C_in] × [|f|·C_in, C_out]
        const p = patches(x);
        const n = x.shape[0];
        const rows = tf.reshape(p, [-1, F * cin]) as Tensor2D;
        let z: Tensor = tf.matMul(rows, tf.reshape(params[0], [F * cin, channels]) as Tensor2D);
        if (wMul !== 1) z = tf.mul(z, wMul);
        if (hasBias) z = tf.add(z, bMul === 1 ? params[1] : tf.mul(params[1], bMul));
        // finite values are typed as batches of vectors; spatial ones travel as the same tensors, rank 3 or 4
        return tf.reshape(z, [n, ...tab.out, channels]) as unknown as FiniteValue;
      },
      structured: {
        addParamNtk(_params: readonly Tensor[], x1: FiniteValue, x2: FiniteValue | null, d1: FiniteDelta, d2: FiniteDelta | null, acc: NtkAccumulator): void {
          // per-example gradients: ∂f_c(x_i)/∂W = wMul·P(x_i)ᵀ·δ_c(x_i) (patches ⊗ δ), ∂f_c(x_i)/∂b = bMul·Σ_q δ_c(x_i)
          const grads = (x: FiniteValue, d: FiniteDelta): Tensor3D => {
            const tf = tfRuntime();
            const t = x as unknown as Tensor;
            const delta = d as unknown as Tensor;
            const n = t.shape[0];
            const k = delta.shape[0];
            const Q = spatialSize(tab.out);
            const p = tf.reshape(patches(t), [n, Q, F * cin]) as Tensor3D;
            const dq = tf.reshape(tf.transpose(tf.reshape(delta, [k, n, Q, channels]), [1, 2, 0, 3]), [n, Q, k * channels]) as Tensor3D;
            let gw: Tensor = tf.matMul(p, dq, true, false); // [n, F·C_in, k·C_out]
            gw = tf.transpose(tf.reshape(gw, [n, F * cin, k, channels]), [2, 0, 1, 3]);
            gw = tf.reshape(gw, [k, n, F * cin * channels]);
            if (wMul !== 1) gw = tf.mul(gw, wMul);
            if (!hasBias) return gw as Tensor3D;
            const gb = tf.mul(tf.sum(tf.reshape(delta, [k, n, Q, channels]), 2), bMul);
            return tf.concat([gw as Tensor3D, gb as Tensor3D], 2);
          };
          acc.addGradients(() => {
            const g1 = grads(x1, d1);
            return [g1, x2 === null ? g1 : grads(x2, d2 ?? d1)];
          });
        },
        backward(params: readonly Tensor[], _x: FiniteValue, deltaValue: FiniteDelta): FiniteDelta {
          // δ at the patches (δ·Wᵀ), then carried back through the patch extraction by its adjoint (tfjs autodiff of
          // a linear map of pads and slices: exact, and available on every backend)
          const tf = tfRuntime();
          const delta = deltaValue as unknown as Tensor;
          const [k, n] = delta.shape;
          const Q = spatialSize(tab.out);
          let dp: Tensor = matMulNT(tf.reshape(delta, [k * n * Q, channels]) as Tensor2D, tf.reshape(params[0], [F * cin, channels]) as Tensor2D);
          if (wMul !== 1) dp = tf.mul(dp, wMul);
          dp = tf.reshape(dp, [k * n, ...tab.out, F, cin]);
          const x0 = tf.zeros([k * n, ...spatial, cin]);
          const dx = tf.grad((x: Tensor) => patches(x))(x0, dp);
          return tf.reshape(dx, [k, n, ...spatial, cin]) as unknown as FiniteDelta;
        },
      },
    };
  }
}
