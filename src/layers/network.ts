import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { runWithState, type FiniteMode, type FiniteState } from './finiteState.js';
import { SpecError } from './specError.js';
import { applySequence, bindSequence, checkFlatOutput, checkSingleOutput, finiteOf, leafLayers } from './serial.js';
import { formatSpatial, shapeAfter, spatialSize } from './spatial.js';
import type { FiniteTransform, Layer, LayerShape, NetworkSpec } from './types.js';
import { singleValue } from './values.js';

/** A finite network's layers bound to their places, for inputs of a given dimension. */
export interface BoundFiniteNetwork {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly layers: readonly FiniteTransform[];
  /** Values per example at each layer's input (spatial positions × channels; the last entry is the output width). */
  readonly widths: readonly number[];
  /**
   * The per-example input shape when the inputs are images ([H, W] and C): the network then takes them flattened,
   * N × (H·W·C) in C order (what flattenImages gives), and reshapes them to N×H×W×C itself. Absent: flat inputs.
   */
  readonly inputShape?: LayerShape;
  /** Total number of parameters P. */
  readonly paramCount: number;
}

/** The parameters of a finite network, float32 tensors grouped by layer (empty groups for activations). */
export interface NetworkParams {
  /** Per layer, its parameter tensors (float32, tfjs). */
  readonly layers: readonly (readonly Tensor[])[];
  /** Input width d the parameters were made for. */
  readonly inputDim: number;
  /** Total number of parameters. */
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
export function bindFinite(spec: NetworkSpec, input: number | LayerShape): BoundFiniteNetwork {
  const shape: LayerShape = typeof input === 'number' ? { spatial: [], width: input } : input;
  if (shape.spatial.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(`image extent must be positive integers, got ${formatSpatial(shape.spatial)}`);
  const inputDim = shape.width * spatialSize(shape.spatial);
  if (!Number.isInteger(inputDim) || inputDim < 1) throw new InputError(`input dimension must be a positive integer, got ${inputDim}`);
  if (spec.layers.length === 0) throw new SpecError('the network has no layers');
  spec.layers.forEach((layer, i) => {
    if (typeof layer.finite !== 'function') {
      throw new SpecError(`layers[${i}] (${layer.json.type}) has no finite form: it defines only an infinite-width kernel, so it cannot be part of a finite network or an empirical kernel`);
    }
  });
  const widths = [inputDim];
  let paramCount = 0;
  // the same walk as the kernel's: places, list checks and errors named by position
  const start = { parameterization: spec.parameterization, fanIn: shape.width, ...(shape.spatial.length > 0 ? { spatial: shape.spatial } : {}) };
  const { bound: layers, out } = bindSequence(spec.layers, start, (layer: Layer, ctx) => {
    const f = finiteOf(layer, ctx);
    for (const ps of f.paramShapes) paramCount += ps.reduce((a, b) => a * b, 1);
    const spatial = ctx.spatial ?? [];
    if (spatial.length === 0 && !layer.outShape) widths.push(layer.outWidth(ctx.fanIn));
    else {
      const o = shapeAfter(layer, { spatial, width: ctx.fanIn });
      widths.push(o.width * spatialSize(o.spatial));
    }
    return f;
  });
  checkSingleOutput(out);
  checkFlatOutput(out);
  return { inputDim, outputDim: out.fanIn, layers, widths, paramCount, ...(shape.spatial.length > 0 ? { inputShape: shape } : {}) };
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
  return singleValue(applySequence(net.layers, params, shapeInput(net, x)), 'the network output');
}

/**
 * The network's outputs in a given mode with its non-trainable state (batchNorm's running statistics; see
 * src/layers/finiteState.ts): 'train' uses batch statistics and returns the updated state (new tensors, the
 * caller's to dispose), 'eval' uses `state` (empty: the initial values) and returns it unchanged. Networks without
 * stateful layers give the same outputs as `applyNetwork` in either mode, and an empty state.
 */
export function applyNetworkWithState(
  net: BoundFiniteNetwork,
  params: readonly (readonly Tensor[])[],
  x: Tensor2D,
  mode: FiniteMode,
  state: FiniteState = [],
): { output: Tensor2D; state: Tensor[] } {
  const { value, state: next } = runWithState(mode, state, () => applyNetwork(net, params, x));
  return { output: value, state: next };
}

/** The network's input batch as its layers take it: flattened images N × (H·W·C) back to N×H×W×C; flat rows as they are. */
export function shapeInput(net: BoundFiniteNetwork, x: Tensor2D): Tensor2D {
  const sh = net.inputShape;
  if (!sh) return x;
  // spatial values travel as the same FiniteValue type, at rank 2 + spatial rank (see conv's finite form)
  return tfRuntime().reshape(x, [x.shape[0], ...sh.spatial, sh.width]) as unknown as Tensor2D;
}

/**
 * The spec with the width of every layer that has one (Dense) except the last (the readout) set to `width`:
 * how the CLI's `--width` and the width sweeps vary a network while keeping its shape.
 * @param spec - the network
 * @param width - the new hidden width (a positive integer)
 * @returns a new spec (the original is unchanged)
 * @throws InputError for a width that is not a positive integer
 */
export function withHiddenWidth(spec: NetworkSpec, width: number): NetworkSpec {
  if (!Number.isInteger(width) || width < 1) throw new InputError(`width must be a positive integer, got ${width}`);
  // a generic walk through composites' children: the readout is the last sized leaf, depth first
  // (by position: one layer object may appear several times, as "[dense(8)]*3" builds)
  const readout = leafLayers(spec.layers).filter((l) => l.withWidth).length - 1;
  let seen = 0;
  const resize = (layer: Layer): Layer => {
    if (layer.children && layer.withChildren) return layer.withChildren(layer.children.map(resize));
    if (!layer.withWidth) return layer;
    return seen++ === readout ? layer : layer.withWidth(width);
  };
  return { ...spec, layers: spec.layers.map(resize) };
}
