import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';

/**
 * The layer contract. A layer is one module holding, side by side, everything the toolkit knows about it:
 * its JSON form, its infinite-width transform of the NNGP/NTK (`kernel`) and its finite form (`finite`:
 * parameters, seeded initialization, forward pass on TensorFlow.js, structured NTK rule), so the finite
 * net and its kernel cannot drift apart.
 */

/** How weights carry their scale. See docs/guide.md "Kernels and parameterizations" for the exact formulas. */
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

/**
 * A pointwise layer's kernel loops (activations, dense): `cross` on the pair entries of a block given the
 * variances before the layer, `diag` on the self entries K(x, x), Θ(x, x) (the exact θ = 0 formulas). Turned
 * into the layer's KernelFn by `pointwiseKernel` (src/layers/pointwise.ts), which applies both to a KernelBlock.
 */
export interface KernelTransform {
  /**
   * Updates a block's pair entries K(x_i, x'_j), Θ(x_i, x'_j) in place, given the diagonals before the layer.
   * @param block - the block's entries (row-major rows×cols) and the diagonals k11, k22
   */
  cross(block: CrossBlock): void;
  /**
   * Updates the self entries K(x, x), Θ(x, x) in place (the exact θ = 0 formulas).
   * @param block - the diagonal entries of a set of points
   */
  diag(block: DiagBlock): void;
}

/**
 * The kernel record (float64) between a block of nr row points x_i and nc column points x'_j at one place in the
 * network, with the self parts of both sets travelling along, so that a layer needs nothing but its input record
 * (and branches of `parallel` work unchanged). Entries per pair P = Π spatial (diagonal mode); this step has flat
 * values only (spatial = [], P = 1). A layer's KernelFn may update the arrays in place and return the same record:
 * whoever hands one record to several consumers (parallel) gives each its own copy.
 */
export interface KernelBlock {
  /** Number of rows (points x_i) in the block. */
  readonly nr: number;
  /** Number of columns (points x'_j) in the block. */
  readonly nc: number;
  /** Spatial extent of each value, e.g. [H, W]; [] for flat values. */
  readonly spatial: readonly number[];
  /** 'diagonal': entries (s, s) only, P = S; 'full': entries (s, t), P = S² (s major). Flat values: 'diagonal'. */
  readonly mode: 'diagonal' | 'full';
  /** NNGP K(x_i, x'_j), [nr][nc][P]. */
  readonly nngp: Float64Array;
  /** NTK Θ(x_i, x'_j), [nr][nc][P]; null when only the NNGP is wanted. */
  readonly ntk: Float64Array | null;
  /** K(x_i, x_i), [nr][P]. */
  readonly cov1: Float64Array;
  /** Θ(x_i, x_i), [nr][P]; null when no NTK is wanted. */
  readonly ntk1: Float64Array | null;
  /** K(x'_j, x'_j), [nc][P]. */
  readonly cov2: Float64Array;
  /** Θ(x'_j, x'_j), [nc][P]; null when no NTK is wanted. */
  readonly ntk2: Float64Array | null;
}

/** Which spatial entries a record holds: (s, s) only, or every pair (s, t). See KernelBlock.mode. */
export type SpatialMode = 'diagonal' | 'full';

/** A per-example shape, channels last: the spatial extent ([] flat, [H, W] images, [L] sequences) and the channels (the width). */
export interface LayerShape {
  /** Spatial extents: [H, W] for images, [L] for sequences, [] for vectors. */
  readonly spatial: readonly number[];
  /** Channels (images, sequences) or features (vectors). */
  readonly width: number;
}

/** What flows between layers' kernels: one record, or a list of records after `parallel`. */
export type KernelValue = KernelBlock | readonly KernelBlock[];

/** A layer's infinite-width kernel bound to its place in the network: input record(s) → output record(s). */
export type KernelFn = (k: KernelValue) => KernelValue;

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
  /**
   * The input is a list of this many values (after `parallel`), each of width `fanIn`; absent for a single
   * value. Only layers declaring `listOut` take lists (fanInSum); the binder refuses a list anywhere else.
   */
  readonly listLength?: number;
  /** Spatial extent of this layer's input (then `fanIn` is its channels); absent or [] for flat values. */
  readonly spatial?: readonly number[];
  /**
   * The spatial mode this layer's output must provide to the layers after it (absent: 'diagonal'): decided
   * backwards at bind time from each later layer's `inputMode`. A layer may give 'full' where 'diagonal' is
   * asked; the binder then reduces it.
   */
  readonly outMode?: SpatialMode;
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
  /** Convolution (1-D or 2-D), channels last; see src/layers/conv.ts. */
  | { type: 'conv'; channels: number; filter: number[]; strides?: number[]; padding?: 'SAME' | 'VALID' | 'CIRCULAR'; wStd?: number; bStd?: number }
  /** Images → vectors: N×H×W×C → N×(H·W·C). */
  | { type: 'flatten' }
  /** Mean over the spatial positions: N×H×W×C → N×C. */
  | { type: 'globalAvgPool' }
  /** Average pooling over windows (1-D or 2-D). */
  | { type: 'avgPool'; window: number[]; strides?: number[]; padding?: 'SAME' | 'VALID' | 'CIRCULAR' }
  | { type: 'layerNorm' }
  /** Batch normalization (finite only; see src/layers/batchNorm.ts): defaults momentum 0.99, epsilon 1e-5, affine false. */
  | { type: 'batchNorm'; momentum?: number; epsilon?: number; affine?: boolean }
  /** Fans the single input out to the branches (each a list of layers) and outputs the list of their outputs. */
  | { type: 'parallel'; branches: LayerJson[][] }
  /** Sums a list of values (after parallel). */
  | { type: 'fanInSum' }
  /** x ↦ x + block(x): serial(parallel(serial(layers), identity), fanInSum). */
  | { type: 'residual'; layers: LayerJson[] }
  /** Layers in order, as one layer. */
  | { type: 'serial'; layers: LayerJson[] }
  /**
   * A layer built in code by `elementwise(functions)`: the JSON form only names it, since functions cannot be
   * written to JSON; reading it back is refused, and it is not in the registry.
   */
  | { type: 'elementwise'; name: string };

/**
 * The layer types of the registry (built from numeric fields, in JSON and the one-line form): all but
 * 'elementwise' (functions cannot be read) and the composites holding layer lists, which the JSON parser builds.
 */
export type LayerType = Exclude<LayerJson['type'], 'elementwise' | CompositeType>;

/** The layer types that hold lists of layers (parsed by src/layers/json.ts, recursively). */
export type CompositeType = 'parallel' | 'residual' | 'serial';

/** A layer of the spec. */
export interface Layer {
  /** The layer's JSON form (what specToJson writes). */
  readonly json: LayerJson;
  /**
   * Width of the output, given the width of the input (elementwise layers keep it; for a list, the common width
   * of its values). Throws SpecError when the layer cannot take that width (branches of unequal widths).
   */
  outWidth(fanIn: number): number;
  /**
   * Layers that take or give lists: the list length of the output given that of the input (undefined: a single
   * value); throws SpecError for an input it cannot take. Absent: a single value in, a single value out.
   */
  listOut?(listLength: number | undefined): number | undefined;
  /**
   * The output shape given the input's (spatial extent and channels): layers that change the spatial extent
   * (conv, pooling, flatten). Absent: the spatial extent is kept and the width is `outWidth(width)`. Throws
   * SpecError for an input it cannot take.
   */
  outShape?(input: LayerShape): LayerShape;
  /**
   * The spatial mode this layer needs of its input to give `outputMode` (flatten: 'diagonal'; pooling: 'full').
   * Absent: the same as its output's.
   */
  inputMode?(outputMode: SpatialMode): SpatialMode;
  /** The layers a composite is made of (serial: its layers; parallel: its branches; residual: the block's layers). */
  readonly children?: readonly Layer[];
  /** The same composite made of other children (same count and roles): how generic walks rebuild it. */
  withChildren?(children: readonly Layer[]): Layer;
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
  /**
   * The kernel at this place in the network, a function of the input record(s); throws SpecError when there is
   * none (batchNorm). Pointwise layers build it from their cross/diag loops with `pointwiseKernel`.
   */
  kernel(ctx: LayerContext): KernelFn;
  /**
   * The finite form at this place in the network. Optional so that a kernel-only layer can be written;
   * finite networks and empirical kernels refuse specs containing one, naming it.
   */
  finite?(ctx: LayerContext): FiniteTransform;
}

/** A finite value flowing between layers: one batch (one example per row), or a list of them after `parallel`. */
export type FiniteValue = Tensor2D | readonly Tensor2D[];

/** Sensitivities δ[c, i, u] = ∂f_c(x_i)/∂z_u(x_i) of a FiniteValue for every network output c: [k, N, width] (or a list). */
export type FiniteDelta = Tensor3D | readonly Tensor3D[];

/**
 * A layer's finite form, float32 on TensorFlow.js. Tensors hold one example per row.
 * tfjs is reached through `tfRuntime()` (src/tfjs/runtime.ts), never imported by layer modules.
 */
export interface FiniteTransform {
  /** Shapes of this layer's parameter tensors, in order (empty for activations; a composite's children's, concatenated). */
  readonly paramShapes: readonly (readonly number[])[];
  /** Draws the initial parameters (in `paramShapes` order) from `rng`: seeded, backend-independent. */
  init(rng: Rng): Float32Array[];
  /** The forward map of a batch (N × fanIn → N × width, or lists). Built from tfjs ops, so autodiff applies. */
  apply(params: readonly Tensor[], x: FiniteValue): FiniteValue;
  /** The rule the structured empirical NTK uses; null for a layer it cannot handle (then use the Jacobian method). */
  readonly structured: StructuredNtkRule | null;
}

/** A Gram of a layer's inputs, G = scale·X1·X2ᵀ + bias (N1×N2): what `NtkAccumulator.addSharedGram` takes. */
export interface InputGram {
  /** X1, N1 × fanIn. */
  readonly x1: Tensor2D;
  /** X2, N2 × fanIn, or null for X1 itself (the same points: G is symmetric). */
  readonly x2: Tensor2D | null;
  /** The factor of X1·X2ᵀ (σ_w²/fanIn in the NTK parameterization). */
  readonly scale: number;
  /** The constant added to every entry (σ_b², the bias's share; 0 without bias). */
  readonly bias: number;
}

/**
 * Where a structured rule adds its parameters' share of Θ. The accumulator sums in float64 (the trace over
 * outputs, and every output pair when asked for), in the order the shares arrive.
 */
export interface NtkAccumulator {
  /**
   * The share of parameters whose gradient Gram is the same for every unit u and zero across units —
   * Σ_μ ∂z_u(x)/∂θ_μ · ∂z_v(x')/∂θ_μ = [u = v]·G(x, x') — namely Θ_cc'(x, x') += G(x, x')·Σ_u δ_c(x)_u δ_c'(x')_u,
   * with G = scale·X1·X2ᵀ + bias given by its factors (`InputGram`), so that the accumulator may compute it as it
   * likes (symmetric when x2 is null). d2 is d1 itself for the same points.
   */
  addSharedGram(gram: InputGram, d1: Tensor3D, d2: Tensor3D): void;
  /**
   * The share of parameters given by their per-example gradients g[c, i, m] = ∂f_c(x_i)/∂θ_m (conv: patches ⊗ δ,
   * where units share weights across positions so no Gram factorizes): Θ_cc'(x_i, x'_j) += Σ_m g1[c, i, m]·g2[c', j, m].
   * `grads` returns [g1, g2] (the same tensor twice when x2 = x1), called inside the accumulator's tidy scope.
   */
  addGradients(grads: () => readonly [Tensor3D, Tensor3D]): void;
}

/**
 * What the structured empirical NTK needs from a layer z = layer(x), with sensitivities carried for every
 * output c of the network at once. `x2`/`d2` null: the same points as x1 (then d2 is d1), computed once.
 */
export interface StructuredNtkRule {
  /** Adds this layer's (and its children's) parameter share of Θ to `acc`, given δ at its output. */
  addParamNtk(params: readonly Tensor[], x1: FiniteValue, x2: FiniteValue | null, d1: FiniteDelta, d2: FiniteDelta | null, acc: NtkAccumulator): void;
  /** Back-propagates δ from this layer's output to its input: [k, N, width] → [k, N, fanIn] (lists alike). Returns new tensors. */
  backward(params: readonly Tensor[], x: FiniteValue, delta: FiniteDelta): FiniteDelta;
  /**
   * Both in one pass (composites, whose inner passes would otherwise run twice): adds the share to `acc` (when
   * given) and returns δ at the input for x1 and x2 (the same object when x2 is null).
   */
  sweep?(
    params: readonly Tensor[],
    x1: FiniteValue,
    x2: FiniteValue | null,
    d1: FiniteDelta,
    d2: FiniteDelta | null,
    acc: NtkAccumulator | null,
  ): readonly [FiniteDelta, FiniteDelta];
}

/** A network: the layers in order and the parameterization they share. */
export interface NetworkSpec {
  /** 'ntk' (default) or 'standard'. */
  readonly parameterization: Parameterization;
  /** The layers, input first. */
  readonly layers: readonly Layer[];
}

/** The JSON form of a network spec, as in architecture files and `specToJson`: `{"parameterization": "ntk", "layers": [...]}` (docs/architectures.md). */
export interface NetworkSpecJson {
  /** 'ntk' (default) or 'standard'. */
  parameterization?: Parameterization;
  /** The layers' JSON forms, input first. */
  layers: LayerJson[];
}
