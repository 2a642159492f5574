import { loadNativeAddon, type NativeAddon } from '../linalg/native.js';

/** The native addon's batched float32 product (OpenBLAS cblas_sgemm), see `NativeAddon.sgemm`. */
export type Sgemm = NonNullable<NativeAddon['sgemm']>;

/** OpenBLAS's sgemm from the native addon, or null when the addon is absent or was built without it. */
export function nativeSgemm(): Sgemm | null {
  const { addon } = loadNativeAddon();
  return addon && typeof addon.sgemm === 'function' ? (addon.sgemm.bind(addon) as Sgemm) : null;
}

/** Rows per panel of the symmetric product: at least 64 (below that sgemm loses its speed), at most 8 panels. */
export function panelRows(n: number): number {
  return Math.max(64, Math.ceil(n / 8));
}

/**
 * One layer's share of the structured NTK, on the host: acc[i, j] += scale · G[i, j] · (F1·F2ᵀ)[i, j], where the
 * rows of F1 (n1×cols) and F2 (n2×cols) are the flattened sensitivities (i, (c, u)) of the two sets, so that
 * F1·F2ᵀ = Σ_c δ_c δ_cᵀ, and G is the n1×n2 Gram of the layer's inputs. The product runs as float32 sgemm
 * (OpenBLAS); the elementwise product with G and the sum are float64.
 * With f2 = null (the same points on both sides) F1·F1ᵀ is symmetric: it is computed by row panels of
 * `panelRows(n1)` rows, each against its own and the later rows only, (1 + 1/P)/2 of the flops for P panels,
 * and mirrored (G[j, i] with its own entry); numpy's `F @ F.T` does the same by syrk.
 * @param acc - the n1×n2 float64 accumulator, row-major
 * @param g - G, n1×n2 float32, row-major
 * @param f1 - F1, n1×cols float32, row-major
 * @param f2 - F2, n2×cols float32, row-major, or null for F1 itself
 * @param scale - the factor of every term (1/k for the trace over k outputs)
 */
export function addSensitivityGram(
  sgemm: Sgemm,
  acc: Float64Array,
  g: Float32Array,
  f1: Float32Array,
  f2: Float32Array | null,
  n1: number,
  n2: number,
  cols: number,
  scale: number,
): void {
  if (f1.length !== n1 * cols || (f2 !== null && f2.length !== n2 * cols) || (f2 === null && n2 !== n1) || g.length !== n1 * n2 || acc.length !== n1 * n2) {
    throw new Error(`internal: sensitivity Gram of ${n1}×${cols} and ${n2}×${cols} into ${acc.length} entries (G has ${g.length})`);
  }
  if (f2 !== null) {
    const c = new Float32Array(n1 * n2);
    sgemm(f1, f2, c, 1, n1, n2, cols, false, true, 0, 0);
    for (let i = 0; i < c.length; i++) acc[i] += scale * g[i] * c[i];
    return;
  }
  const n = n1;
  const rows = panelRows(n);
  const buf = new Float32Array(Math.min(rows, n) * n);
  for (let i0 = 0; i0 < n; i0 += rows) {
    const i1 = Math.min(n, i0 + rows);
    const w = n - i0; // columns i0..n-1
    const c = buf.subarray(0, (i1 - i0) * w);
    sgemm(f1.subarray(i0 * cols, i1 * cols), f1.subarray(i0 * cols), c, 1, i1 - i0, w, cols, false, true, 0, 0);
    for (let i = i0; i < i1; i++) {
      const row = (i - i0) * w - i0;
      for (let j = i0; j < n; j++) acc[i * n + j] += g[i * n + j] * (scale * c[row + j]);
    }
    // below the diagonal block the panel holds the only copy: mirror it (row by row of acc, for locality)
    for (let j = i1; j < n; j++) {
      const col = j - i0;
      for (let i = i0; i < i1; i++) acc[j * n + i] += g[j * n + i] * (scale * c[(i - i0) * w + col]);
    }
  }
}
