import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { batchNormTrainOp, wasmBatchNormUsable } from '../tfjs/wasmBatchNorm.js';
import { builtin } from './builtin.js';
import { stateSlot } from './finiteState.js';
import { SpecError, describeValue } from './specError.js';
import { checkOptions } from './strictOptions.js';
import type { FiniteTransform, FiniteValue, KernelFn, Layer, LayerContext } from './types.js';

/** Options of `batchNorm` (defaults as flax's nn.BatchNorm and Keras' BatchNormalization: momentum 0.99). */
export interface BatchNormOptions {
  /** Running statistics ← momentum·running + (1 − momentum)·batch after each training pass; in [0, 1), default 0.99. */
  momentum?: number;
  /** ε added to the variance before the square root; > 0, default 1e-5 (flax, PyTorch). */
  epsilon?: number;
  /** Learn a scale γ (init 1) and shift β (init 0) per channel; default false (no affine part). */
  affine?: boolean;
}

/**
 * Batch normalization over every axis but the channels (the last): a batch N × C is normalized per unit over the
 * N examples, images N×H×W×C per channel over the N·H·W values, as Keras' BatchNormalization(axis = −1):
 *
 *   train:  y = (x − μ_B)/√(σ²_B + ε),  μ_B, σ²_B the batch's mean and biased variance; then
 *           running ← momentum·running + (1 − momentum)·(μ_B, σ²_B)   (initial running mean 0, variance 1)
 *   eval:   y = (x − μ_run)/√(σ²_run + ε)
 *   affine: y·γ + β after either (γ, β trainable per channel).
 *
 * The mode and the running statistics travel through `runWithState` (src/layers/finiteState.ts): the trainer runs
 * its steps in 'train' and evaluates in 'eval'; a plain `applyNetwork` (and so the empirical kernels) is 'eval'
 * with the running statistics it is given (none: the initial ones, y = x/√(1 + ε)).
 *
 * Kernel: none. In training mode the output for one example depends on the whole batch, so the kernel of a pair
 * is not a function of that pair and there is no closed-form NNGP/NTK (neural-tangents has no BatchNorm kernel
 * either); asking for it is a one-line SpecError. Structured empirical NTK: none (structured: null); use the
 * Jacobian method, which differentiates the finite net as it runs ('eval' mode, a per-example map).
 * L2: the running statistics are not parameters (no weight decay); with `affine`, γ and β are, and `scaleParams`
 * scales their initial values (γ₀ = s, β₀ = 0).
 * @param opts - `momentum` (default 0.99), `epsilon` (default 1e-5), `affine` (default false: no γ, β)
 * @param gammaInit - initial γ (used by `scaleParams` for the kernel under L2; default 1)
 * @returns the layer (finite form only: asking for its analytic kernel is a SpecError)
 */
export function batchNorm(opts: BatchNormOptions = {}, gammaInit = 1): Layer {
  const name = 'batchNorm';
  checkOptions(name, opts, { momentum: 'number', epsilon: 'number', affine: 'boolean' });
  const momentum = opts.momentum ?? 0.99;
  const epsilon = opts.epsilon ?? 1e-5;
  const affine = opts.affine ?? false;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) throw new SpecError(`${name}: momentum must be in [0, 1), got ${describeValue(momentum)}`);
  if (typeof epsilon !== 'number' || !(epsilon > 0 && Number.isFinite(epsilon))) throw new SpecError(`${name}: epsilon must be finite and > 0, got ${describeValue(epsilon)}`);
  if (typeof affine !== 'boolean') throw new SpecError(`${name}: affine must be true or false, got ${describeValue(affine)}`);
  const spec: Layer = {
    json: { type: 'batchNorm', momentum, epsilon, affine },
    outWidth: (w) => w,
    hasWeights: affine,
    homogeneity: null, // scale-invariant in its input, like layerNorm
    scaleParams: (s: number) => (affine ? batchNorm(opts, gammaInit * s) : layer),
    kernel(): KernelFn {
      throw new SpecError(
        'batchNorm has no closed-form kernel: batch normalization couples the examples of a batch; use layerNorm (per-example normalization) for an analytic kernel, or the empirical kernel (Jacobian method) of the finite net',
      );
    },
    finite(ctx: LayerContext): FiniteTransform {
      const channels = ctx.fanIn;
      return {
        paramShapes: affine ? [[channels], [channels]] : [],
        init: () => (affine ? [new Float32Array(channels).fill(gammaInit), new Float32Array(channels)] : []),
        apply(params: readonly Tensor[], xValue: FiniteValue): FiniteValue {
          if (Array.isArray(xValue)) throw new SpecError(`${name} takes a single input, got a list: add fanInSum after parallel`);
          const tf = tfRuntime();
          const x = xValue as unknown as Tensor;
          const axes = x.shape.slice(0, -1).map((_, i) => i);
          const slot = stateSlot(() => [tf.zeros([channels]), tf.ones([channels])]);
          let mean: Tensor;
          let variance: Tensor;
          if (slot.mode === 'train' && wasmBatchNormUsable(x)) {
            // one native op forward and one backward on wasm (src/tfjs/wasmBatchNorm.ts): the same maps, sums in double
            const [runMean, runVar] = slot.values;
            const fused = batchNormTrainOp(x, runMean, runVar, epsilon, momentum);
            slot.write([fused.runMean, fused.runVar]);
            let z = fused.y;
            if (affine) z = tf.add(tf.mul(z, params[0]), params[1]);
            return z as unknown as FiniteValue;
          }
          if (slot.mode === 'train') {
            mean = tf.mean(x, axes);
            variance = tf.mean(tf.square(tf.sub(x, mean)), axes);
            const [runMean, runVar] = slot.values;
            slot.write([tf.add(tf.mul(runMean, momentum), tf.mul(mean, 1 - momentum)), tf.add(tf.mul(runVar, momentum), tf.mul(variance, 1 - momentum))]);
          } else {
            [mean, variance] = slot.values;
          }
          let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon)));
          if (affine) y = tf.add(tf.mul(y, params[0]), params[1]);
          return y as unknown as FiniteValue;
        },
        structured: null,
      };
    },
  };
  // its JSON form rebuilds it only with the default γ₀ = 1 (a scaled copy is built in code)
  const layer = gammaInit === 1 ? builtin(spec) : spec;
  return layer;
}
