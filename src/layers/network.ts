import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { SpecError } from './specError.js';
import type { FiniteTransform, Layer, NetworkSpec } from './types.js';

/** A finite network's layers bound to their places, for inputs of a given dimension. */
export interface BoundFiniteNetwork {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly layers: readonly FiniteTransform[];
  /** Input width of each layer (layer i maps inWidths[i] → inWidths[i + 1]; the last entry is the output width). */
  readonly widths: readonly number[];
  /** Total number of parameters P. */
  readonly paramCount: number;
}

/** The parameters of a finite network, float32 tensors grouped by layer (empty groups for activations). */
export interface NetworkParams {
  readonly layers: readonly (readonly Tensor[])[];
  readonly inputDim: number;
  readonly paramCount: number;
  /** Every tensor, layer by layer, in order. */
  flat(): Tensor[];
  /** Frees the tensors. */
  dispose(): void;
}

/**
 * Binds every layer's finite form to its place (fan-in, parameterization). A layer without a finite form
 * (a kernel-only layer from user code) is refused with its position and type.
 */
export function bindFinite(spec: NetworkSpec, inputDim: number): BoundFiniteNetwork {
  if (!Number.isInteger(inputDim) || inputDim < 1) throw new InputError(`input dimension must be a positive integer, got ${inputDim}`);
  if (spec.layers.length === 0) throw new SpecError('the network has no layers');
  let width = inputDim;
  const widths = [inputDim];
  let paramCount = 0;
  const layers = spec.layers.map((layer: Layer, i: number) => {
    if (typeof layer.finite !== 'function') {
      throw new SpecError(`layers[${i}] (${layer.json.type}) has no finite form: it defines only an infinite-width kernel, so it cannot be part of a finite network or an empirical kernel`);
    }
    let f: FiniteTransform;
    try {
      f = layer.finite({ parameterization: spec.parameterization, fanIn: width });
    } catch (e) {
      // A layer that refuses a finite form (batchNorm for now) is named by position.
      if (e instanceof SpecError) throw new SpecError(`layers[${i}] (${layer.json.type}): ${e.message}`);
      throw e;
    }
    for (const shape of f.paramShapes) paramCount += shape.reduce((a, b) => a * b, 1);
    width = layer.outWidth(width);
    widths.push(width);
    return f;
  });
  return { inputDim, outputDim: width, layers, widths, paramCount };
}

/**
 * Seeded initial parameters (float32). The values come from the toolkit's own generator, layer by layer, so a
 * seed gives the same network on every backend and machine. Needs `initTfjs()` to have run.
 */
export function initParams(net: BoundFiniteNetwork, seed: number): NetworkParams {
  if (!Number.isFinite(seed)) throw new InputError(`seed must be a finite number, got ${seed}`);
  const tf = tfRuntime();
  const rng = new Rng(seed);
  const layers = net.layers.map((layer) => {
    const values = layer.init(rng);
    return values.map((v, j) => tf.tensor(v, layer.paramShapes[j] as number[], 'float32'));
  });
  return paramsFrom(layers, net.inputDim);
}

/** Wraps per-layer tensors as NetworkParams (e.g. after a training step produced new ones). */
export function paramsFrom(layers: readonly (readonly Tensor[])[], inputDim: number): NetworkParams {
  const paramCount = layers.reduce((s, ts) => s + ts.reduce((a, t) => a + t.size, 0), 0);
  return {
    layers,
    inputDim,
    paramCount,
    flat: () => layers.flat(),
    dispose: () => layers.forEach((ts) => ts.forEach((t) => t.dispose())),
  };
}

/** The network's outputs on the rows of x (N × d → N × k), float32. Differentiable with tfjs autodiff. */
export function applyNetwork(net: BoundFiniteNetwork, params: readonly (readonly Tensor[])[], x: Tensor2D): Tensor2D {
  if (x.rank !== 2 || x.shape[1] !== net.inputDim) {
    throw new InputError(`input has shape [${x.shape.join(', ')}] but the network expects N × ${net.inputDim}`);
  }
  let h = x;
  net.layers.forEach((layer, i) => {
    h = layer.apply(params[i], h);
  });
  return h;
}

/**
 * The spec with the width of every layer that has one (Dense) except the last (the readout) set to `width`:
 * how the CLI's `--width` and the width sweeps vary a network while keeping its shape.
 */
export function withHiddenWidth(spec: NetworkSpec, width: number): NetworkSpec {
  if (!Number.isInteger(width) || width < 1) throw new InputError(`width must be a positive integer, got ${width}`);
  const sized = spec.layers.flatMap((l, i) => (l.withWidth ? [i] : []));
  const readout = sized[sized.length - 1];
  const layers = spec.layers.map((layer, i) => (layer.withWidth && i !== readout ? layer.withWidth(width) : layer));
  return { ...spec, layers };
}
