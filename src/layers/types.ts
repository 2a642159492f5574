/**
 * The layer contract. A layer is one module holding, side by side, everything the toolkit knows about it:
 * its JSON form and — through `kernel` — its infinite-width transform of the NNGP/NTK. (The finite forward
 * pass and initialization live in the same module, so the finite net and its kernel cannot drift apart.)
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

/** Where a layer sits: what it needs from its neighbours to define its kernel (and, later, its finite map). */
export interface LayerContext {
  readonly parameterization: Parameterization;
  /** Width of this layer's input (the input dimension d for the first layer). */
  readonly fanIn: number;
}

/** JSON form of each layer, exactly as files and the CLI carry it. */
export type LayerJson =
  | { type: 'dense'; width: number; wStd?: number; bStd?: number }
  | { type: 'relu' }
  | { type: 'erf' }
  | { type: 'abrelu'; a: number; b: number }
  | { type: 'leakyrelu'; alpha: number }
  | { type: 'abs' }
  | { type: 'identity' };

export type LayerType = LayerJson['type'];

/** A layer of the spec. */
export interface Layer {
  readonly json: LayerJson;
  /** Width of the output, given the width of the input (elementwise layers keep it). */
  outWidth(fanIn: number): number;
  /** The kernel transform at this place in the network. */
  kernel(ctx: LayerContext): KernelTransform;
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
