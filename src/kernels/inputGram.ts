/**
 * The input covariance x·x'/d of the flat analytic kernels, written straight into the shared N1×N2 buffer the tile
 * engine (src/kernels/recursion.ts) works in: no second N1×N2 array, no copy. X2 = X1 takes one dsyrk and leaves
 * the strict upper triangle unwritten (the symmetric tiles read the lower triangle only), so the mirror pass of a
 * full syrk is saved too. The values are those of `linalg.syrk` / `linalg.gemm` bit for bit (the same BLAS calls).
 */
import { loadNativeAddon } from '../linalg/native.js';
import type { Mat } from '../linalg/matrix.js';
import type { Linalg } from '../linalg/types.js';

/**
 * Writes x1·x2ᵀ/d into `out` (n1×n2, row-major): with x2 null (X2 = X1) at least the lower triangle (j ≤ i; the
 * whole matrix when the backend returns it whole), else all of it.
 * @param linalg - the backend; the native one writes into `out` directly, another computes and copies
 * @param x1 - N1×d inputs
 * @param x2 - N2×d inputs, or null for X2 = X1
 * @param out - N1×N2 destination (e.g. over a SharedArrayBuffer); zeros on entry
 */
export function inputGramInto(linalg: Linalg, x1: Mat, x2: Mat | null, out: Float64Array): void {
  const d = x1.cols;
  const alpha = 1 / d;
  const addon = linalg.name === 'native' ? loadNativeAddon().addon : null;
  if (addon && d > 0) {
    if (x2 === null) {
      // an addon built before `c` existed returns a fresh full matrix instead: copied below like any other backend's
      const r = addon.dsyrk(x1.data, x1.rows, x1.cols, false, alpha, out, true);
      if (r === out) return;
      out.set(r);
      return;
    }
    addon.dgemm(x1.data, x1.rows, x1.cols, x2.data, x2.rows, x2.cols, false, true, alpha, 0, out);
    return;
  }
  const gram = x2 === null ? linalg.syrk(x1, { alpha }) : linalg.gemm(x1, x2, { transB: true, alpha });
  out.set(gram.data);
}
