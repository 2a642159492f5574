import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import type { Rng } from '../util/random.js';
import { builtin } from './builtin.js';
import { MAX_WIDTH } from './limits.js';
import { windowPatches } from './patches.js';
import { singleBlock } from './pointwise.js';
import { requireSpatial, spatialSize } from './spatial.js';
import { SpecError, describeValue } from './specError.js';
import type { FiniteTransform, FiniteValue, KernelBlock, KernelFn, KernelValue, Layer, LayerContext, LayerShape } from './types.js';
import { checkExtents, checkPadding, sameOffsetMean, windowTable, type Padding } from './window.js';

/** Options of `conv`. */
export interface ConvOptions {
  /** Filter extent per spatial axis, e.g. [3, 3] (its length is the layer's rank: 1-D or 2-D). */
  filter: readonly number[];
  /** Strides per axis (default all 1). */
  strides?: readonly number[];
  /** 'SAME' (zero padding, ⌈n/s⌉ outputs) or 'VALID' (default 'SAME'). */
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
 * Kernel: K'(s, t) = σ_w²·mean over filter offsets o of K(s+o, t+o) + σ_b² (padded positions count 0, the mean
 * still over |f|; strides subsample), Θ' = σ_w²·(the same map of Θ) + K'. In 'diagonal' mode (s, s) maps to
 * (s, s) from diagonal entries only. Standard parameterization: W ~ N(0, σ_w²/(C_in·|f|)), b ~ N(0, σ_b²); same
 * NNGP, Θ' = σ_w²·map(Θ) + C_in·|f|·map(K) + [bias present].
 *
 * Finite form: patches (im2col) times the weights, float32. It has no structured NTK rule yet: the empirical NTK of a network with conv
 * goes through the Jacobian method (the structured method refuses it in one line).
 */
export function conv(channels: number, opts: ConvOptions): Layer {
  const name = 'conv';
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
      const Si = spatialSize(spatial);
      const ntkParam = ctx.parameterization === 'ntk';
      const fanIn = ctx.fanIn * F;
      const biasTerm = bStd > 0 ? 1 : 0;
      return (v: KernelValue): KernelValue => {
        const b = singleBlock(v, name);
        const full = b.mode === 'full';
        const map = (a: Float64Array, n: number): Float64Array => sameOffsetMean(a, n, Si, tab, full);
        // K' from the map of K; Θ' from the maps of Θ and K
        const step = (k: Float64Array, t: Float64Array | null, n: number): [Float64Array, Float64Array | null] => {
          const mk = map(k, n);
          const mt = t ? map(t, n) : null;
          for (let i = 0; i < mk.length; i++) {
            const kOld = mk[i];
            mk[i] = w2 * kOld + b2;
            if (mt) mt[i] = ntkParam ? w2 * mt[i] + mk[i] : w2 * mt[i] + fanIn * kOld + biasTerm;
          }
          return [mk, mt];
        };
        const [nngp, ntk] = step(b.nngp, b.ntk, b.nr * b.nc);
        const [cov1, ntk1] = step(b.cov1, b.ntk1, b.nr);
        const [cov2, ntk2] = step(b.cov2, b.ntk2, b.nc);
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
    const patches = (x: Tensor): Tensor => windowPatches(x, spatial, tab.out, filter, strides, padding);
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
      structured: null,
    };
  }
}
