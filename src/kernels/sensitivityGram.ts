import { loadNativeAddon, type NativeAddon } from '../linalg/native.js';

/** The native addon's fused dense-layer share of the structured NTK, see `NativeAddon.structuredShare`. */
export type StructuredShare = NonNullable<NativeAddon['structuredShare']>;

/** The addon's `structuredShare`, or null when the addon is absent or was built without it (a stale build). */
export function nativeStructuredShare(): StructuredShare | null {
  const { addon } = loadNativeAddon();
  return addon && typeof addon.structuredShare === 'function' ? (addon.structuredShare.bind(addon) as StructuredShare) : null;
}

/** The operands of one dense layer's share: its inputs, the Gram's factor and constant, its sensitivities. */
export interface SharedGramOperands {
  /** X1, n1×fanIn float32, row-major. */
  x1: Float32Array;
  /** X2, n2×fanIn, or null for X1 itself (the same points). */
  x2: Float32Array | null;
  /** δ at the layer's output for the first set, [k, n1, width] float32 (the c-th n1×width block is δ_c). */
  d1: Float32Array;
  /** The same for the second set, [k, n2, width]; null exactly when x2 is. */
  d2: Float32Array | null;
  n1: number;
  n2: number;
  fanIn: number;
  width: number;
  /** The number of network outputs. */
  k: number;
  /** G = gramScale·X1·X2ᵀ + gramBias. */
  gramScale: number;
  gramBias: number;
}

/**
 * One dense layer's share of the structured NTK on the host's BLAS, in one native call:
 *   acc[i, j] += scale · G[i, j] · Σ_c (δ1_c·δ2_cᵀ)[i, j],   G = gramScale·X1·X2ᵀ + gramBias,
 * where δ_c is the c-th n×width block of the sensitivities laid out [k, n, width] as the layers carry them (no
 * transposed copy). Both products are OpenBLAS float32 (Σ_c as k products accumulated in place); the scaling, the
 * elementwise product and the sum into `acc` are float64. For the same points (x2 = d2 = null) both products are
 * ssyrk, the lower triangle only (numpy's `H @ H.T` is a syrk too), and each entry is added at (i, j) and (j, i).
 * The arrays may be views into the wasm heap: the call allocates nothing there.
 * @param share - the addon's `structuredShare` (`nativeStructuredShare()`)
 * @param acc - the n1×n2 float64 accumulator, row-major, updated in place
 * @param o - the operands (sizes checked here)
 * @param scale - the factor of every term (1/k for the trace over k outputs)
 * @throws Error "internal: …" when the sizes do not fit
 */
export function addSharedGramShare(share: StructuredShare, acc: Float64Array, o: SharedGramOperands, scale: number): void {
  const { n1, n2, fanIn, width, k } = o;
  const same = o.x2 === null;
  if (
    same !== (o.d2 === null) ||
    (same && n2 !== n1) ||
    acc.length !== n1 * n2 ||
    o.x1.length !== n1 * fanIn ||
    (o.x2 !== null && o.x2.length !== n2 * fanIn) ||
    o.d1.length !== k * n1 * width ||
    (o.d2 !== null && o.d2.length !== k * n2 * width)
  ) {
    throw new Error(`internal: dense share of ${n1}×${n2} (fan-in ${fanIn}, ${k}×width ${width}) from inputs of ${o.x1.length}, ${o.x2?.length ?? '-'} and sensitivities of ${o.d1.length}, ${o.d2?.length ?? '-'} entries into ${acc.length}`);
  }
  share(acc, o.x1, o.x2, o.d1, o.d2, n1, n2, fanIn, width, k, o.gramScale, o.gramBias, scale);
}
