import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { analyticKernel, type KernelOptions, type KernelResult } from '../kernels/analytic.js';
import { parseSpec as parseSpecLayers, specFromJson as specFromJsonLayers } from '../layers/json.js';
import type { FiniteMode, FiniteState } from '../layers/finiteState.js';
import { applyNetwork, applyNetworkWithState, bindFinite, initParams, type NetworkParams } from '../layers/network.js';
import { parseOneLineSpec as parseOneLineLayers } from '../layers/oneLine.js';
import { serial as serialSpec } from '../layers/serial.js';
import type { Layer, NetworkSpec } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';

/**
 * A network spec with its three faces, like neural-tangents' `(init_fn, apply_fn, kernel_fn)`: the finite
 * network (`init`, `apply`: float32 on TensorFlow.js, after `await initTfjs()`) and the infinite-width kernels
 * (`kernel`: float64). All three read the spec they are called on, so `{ ...net, parameterization: 'standard' }`
 * keeps working. This module sits above src/layers/ and src/kernels/: layers never import the kernel engine.
 */
export interface Network extends NetworkSpec {
  /** Seeded initial parameters for inputs of dimension `inputDim` (same seed → same network everywhere). */
  init(inputDim: number, seed?: number): NetworkParams;
  /**
   * The finite network's outputs on the rows of x (N × d → N × k), in evaluation mode: layers with batch
   * statistics (batchNorm) use their initial running statistics; see `applyWithState`.
   */
  apply(params: NetworkParams, x: Tensor2D): Tensor2D;
  /**
   * The outputs in `mode` with the non-trainable state (batchNorm's running statistics, empty at first): 'train'
   * normalizes by the batch's statistics and returns the updated state (new tensors: dispose the old ones when
   * done), 'eval' uses `state` and returns it unchanged.
   */
  applyWithState(params: NetworkParams, x: Tensor2D, mode: FiniteMode, state?: FiniteState): { output: Tensor2D; state: Tensor[] };
  /** Analytic NNGP and NTK between the rows of X1 and X2 (default X1), float64. */
  kernel(x1: Mat, x2?: Mat, opts?: KernelOptions): Promise<KernelResult>;
}

/**
 * Gives a spec its three faces (a new object; the spec is not changed).
 * @param spec - parameterization and layers
 * @returns the network: the spec with `init(d, seed)`, `apply(params, x)` and `kernel(x1, x2)`
 */
export function network(spec: NetworkSpec): Network {
  return {
    parameterization: spec.parameterization,
    layers: spec.layers,
    init(this: NetworkSpec, inputDim: number, seed = 0): NetworkParams {
      return initParams(bindFinite(this, inputDim), seed);
    },
    apply(this: NetworkSpec, params: NetworkParams, x: Tensor2D): Tensor2D {
      return applyNetwork(bindFinite(this, params.inputDim), params.layers, x);
    },
    applyWithState(this: NetworkSpec, params: NetworkParams, x: Tensor2D, mode: FiniteMode, state: FiniteState = []): { output: Tensor2D; state: Tensor[] } {
      return applyNetworkWithState(bindFinite(this, params.inputDim), params.layers, x, mode, state);
    },
    kernel(this: NetworkSpec, x1: Mat, x2?: Mat, opts?: KernelOptions): Promise<KernelResult> {
      return analyticKernel(this, x1, x2, opts);
    },
  };
}

/**
 * Composes layers in order (neural-tangents' `stax.serial`), NTK parameterization, with the three faces.
 * @param layers - the layers, input first
 * @returns the network: its spec, `init(d, seed)`, `apply(params, x)` and `kernel(x1, x2)`
 */
export function serial(...layers: Layer[]): Network {
  return network(serialSpec(...layers));
}

/**
 * parseSpec (a .json file, a JSON string or the one-line form) with the three faces.
 * @param arg - a path to a .json spec, a JSON string, or a one-line spec such as "[dense(512, wStd=1.4) > relu]*2 > dense(10)"
 * @returns the network: its spec, `init(d, seed)`, `apply(params, x)` and `kernel(x1, x2)`
 * @throws SpecError naming the layer and column of a malformed spec
 */
export function parseSpec(arg: string): Network {
  return network(parseSpecLayers(arg));
}

/**
 * The one-line form, e.g. "[dense(512, wStd=1.4) > relu]*2 > dense(10)", with the three faces.
 * @param text - the one-line form (see docs/architectures.md)
 * @returns the network with its three faces
 * @throws SpecError naming the layer and column of a malformed spec
 */
export function parseOneLineSpec(text: string): Network {
  return network(parseOneLineLayers(text));
}

/**
 * The JSON form (an object with "layers"), with the three faces.
 * @param value - a parsed JSON value such as `{"parameterization": "ntk", "layers": [...]}`
 * @returns the network with its three faces
 * @throws SpecError naming the layer and field of a malformed spec
 */
export function specFromJson(value: unknown): Network {
  return network(specFromJsonLayers(value));
}
