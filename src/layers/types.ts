import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';

/**
 * The layer contract. A layer is one module holding, side by side, everything the toolkit knows about it:
 * its JSON form, its infinite-width transform of the NNGP/NTK (`kernel`) and its finite form (`finite`:
 * parameters, seeded initialization, forward pass on TensorFlow.js, structured NTK rule), so the finite
 * net and its kernel cannot drift apart.
 */

/** How weights carry their scale. See README "Parameterizations" for the exact formulas. */
export type Parameterization = 'ntk' | 'standard';

/**
 * Kernel entries between a block of rows (points x_i) and columns (points x'_j), updated in place.
 * `k[r*nc + c]` is the NNGP K(x_i, x'_j) and `t[r*nc + c]` the NTK Θ(x_i, x'_j) (null when only the NNGP is wanted).
 * `k11[r]` = K(x_i, x_i) and `k22[c]` = K(x'_j, x'_j) are the diagonals BEFORE this layer.
 */
export interface CrossBlock {
  readonly nr: number;
  readonly nc: number;
  readonly k: Float64Array;
  readonly t: Float64Array | null;
  readonly k11: Float64Array;
  readonly k22: Float64Array;
}

/** Diagonal entries K(x, x), Θ(x, x) of a set of points, updated in place. */
export interface DiagBlock {
  readonly n: number;
  readonly k: Float64Array;
  readonly t: Float64Array | null;
}

/** A layer's infinite-width kernel transform, bound to its place in the network. */
export interface KernelTransform {
  cross(block: CrossBlock): void;
  diag(block: DiagBlock): void;
}

/** Where a layer sits: what it needs from its neighbours to define its kernel and its finite map. */
export interface LayerContext {
  readonly parameterization: Parameterization;
  /** Width of this layer's input (the input dimension d for the first layer). */
  readonly fanIn: number;
  /**
   * Whether, at infinite width, this layer's input units are i.i.d. centred Gaussian given the inputs (see
   * Layer.gaussianOutput): bindKernel works it out along the network. False at the network input and after a
   * nonlinearity; undefined from a caller that does not say, which layers needing it (layerNorm) read as false.
   */
  readonly inputGaussian?: boolean;
}

/** JSON form of each layer, exactly as files and the CLI carry it. */
export type LayerJson =
  | { type: 'dense'; width: number; wStd?: number; bStd?: number }
  | { type: 'relu' }
  | { type: 'erf' }
  | { type: 'gelu' }
  | { type: 'tanh' }
  | { type: 'abrelu'; a: number; b: number }
  | { type: 'leakyrelu'; alpha: number }
  | { type: 'abs' }
  | { type: 'identity' }
  | { type: 'layerNorm' }
  | { type: 'batchNorm' }
  /**
   * A layer built in code by `elementwise(functions)`: the JSON form only names it, since functions cannot be
   * written to JSON; reading it back is refused, and it is not in the registry.
   */
  | { type: 'elementwise'; name: string };

/** The layer types that JSON and the one-line form can build (the registry's keys): all but 'elementwise'. */
export type LayerType = Exclude<LayerJson['type'], 'elementwise'>;

/** A layer of the spec. */
export interface Layer {
  readonly json: LayerJson;
  /** Width of the output, given the width of the input (elementwise layers keep it). */
  outWidth(fanIn: number): number;
  /** Whether the layer has trainable weights (what "depth" counts: L is the number of weight layers). */
  readonly hasWeights: boolean;
  /**
   * Positive homogeneity: when the layer's output satisfies z(a·θ, b·x) = a^p·b·z(θ, x) for a, b > 0, the degree
   * p in its own parameters (1 for a weight layer without bias, 0 for ReLU-family activations and the identity);
   * null when it does not (biases, Erf). A network is homogeneous of degree L = Σp when no layer is null.
   */
  readonly homogeneity: number | null;
  /**
   * How the layer moves under L2: the same layer with every one of its parameters (weights and biases alike)
   * multiplied by s > 0, as L2 shrinks them (θ_t = e^{−Λ}θ_0 at infinite width). Parameter-free layers return
   * themselves. The kernel under L2 is computed through this rule, so a new weighted layer cannot be left out.
   */
  scaleParams(s: number): Layer;
  /** Units of a layer that has a width (Dense: its output width); undefined for layers that keep their input's. */
  readonly width?: number;
  /** The same layer with another width (layers that have one): how width sweeps vary a network. */
  withWidth?(width: number): Layer;
  /**
   * The law of the output units at infinite width, for layers downstream whose kernel needs i.i.d. centred
   * Gaussian units (layerNorm needs their mean over units to vanish): 'always' for a weight layer (each unit a
   * sum of infinitely many independent zero-mean terms plus a zero-mean bias), 'ifInput' for a layer that maps
   * centred Gaussian units to centred Gaussian units (identity, layerNorm); absent when not (nonlinearities).
   */
  readonly gaussianOutput?: 'always' | 'ifInput';
  /** The kernel transform at this place in the network; throws SpecError when there is none (batchNorm). */
  kernel(ctx: LayerContext): KernelTransform;
  /**
   * The finite form at this place in the network. Optional so that a kernel-only layer can be written;
   * finite networks and empirical kernels refuse specs containing one, naming it.
   */
  finite?(ctx: LayerContext): FiniteTransform;
}

/**
 * A layer's finite form, float32 on TensorFlow.js. Tensors hold one example per row.
 * tfjs is reached through `tfRuntime()` (src/tfjs/runtime.ts), never imported by layer modules.
 */
export interface FiniteTransform {
  /** Shapes of this layer's parameter tensors, in order (empty for activations). */
  readonly paramShapes: readonly (readonly number[])[];
  /** Draws the initial parameters (in `paramShapes` order) from `rng`: seeded, backend-independent. */
  init(rng: Rng): Float32Array[];
  /** The forward map of a batch (N × fanIn → N × width). Built from tfjs ops, so autodiff applies. */
  apply(params: readonly Tensor[], x: Tensor2D): Tensor2D;
  /** The rule the structured empirical NTK uses; null for a layer it cannot handle (then use the Jacobian method). */
  readonly structured: StructuredNtkRule | null;
}

/**
 * What the structured empirical NTK needs from a layer z = layer(x), with sensitivities carried for every
 * output c of the network at once as δ[c, i, u] = ∂f_c(x_i)/∂z_u(x_i).
 */
export interface StructuredNtkRule {
  /**
   * For a layer with parameters θ whose gradient Gram is the same for every unit u and zero across units —
   * Σ_μ ∂z_u(x)/∂θ_μ · ∂z_v(x')/∂θ_μ = [u = v]·G(x, x') — the N1×N2 matrix G (Dense: scaled x·x'ᵀ plus the bias
   * term). Its contribution to Θ_cc'(x, x') is G(x, x')·Σ_u δ[c, x, u]·δ[c', x', u]. Null for a layer without parameters.
   */
  paramGram: ((params: readonly Tensor[], x1: Tensor2D, x2: Tensor2D) => Tensor2D) | null;
  /** Back-propagates δ from this layer's output to its input: [k, N, width] → [k, N, fanIn]. */
  backward(params: readonly Tensor[], x: Tensor2D, delta: Tensor3D): Tensor3D;
}

/** A network: the layers in order and the parameterization they share. */
export interface NetworkSpec {
  readonly parameterization: Parameterization;
  readonly layers: readonly Layer[];
}

export interface NetworkSpecJson {
  parameterization?: Parameterization;
  layers: LayerJson[];
}
