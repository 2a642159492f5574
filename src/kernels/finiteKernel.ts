/**
 * Overflow guards for kernels: large inputs overflow in |x|² or in the layer recursions (each ReLU layer
 * multiplies the scale by wStd²), and an Inf/NaN kernel must never reach a file or a flow. Both checks are
 * O(N·d) and O(N1·N2) scans, negligible next to computing the kernel.
 */
import type { Mat } from '../linalg/matrix.js';
import { InputError } from '../util/errors.js';

/** Largest |x_i|² over the rows of `norms` (squared norms); an Inf there means the inputs overflow float64. */
export function checkSquaredNorms(norms: Float64Array, name: string): number {
  let max = 0;
  for (let i = 0; i < norms.length; i++) {
    if (!Number.isFinite(norms[i])) {
      throw new InputError(`${name} row ${i} has |x|² beyond the float64 range: the inputs are too large; rescale them (e.g. to |x|² ≈ d)`);
    }
    if (norms[i] > max) max = norms[i];
  }
  return max;
}

/**
 * Throws "`what` is not finite at row i, column j …" at the first NaN/Inf entry of a computed kernel, naming
 * the input scale (max |x|²) that made it overflow.
 */
export function assertFiniteKernel(m: Mat, what: string, maxSqNorm: number): void {
  const { cols, data } = m;
  for (let q = 0; q < data.length; q++) {
    const v = data[q];
    if (v - v !== 0) {
      const i = Math.floor(q / cols);
      throw new InputError(
        `${what} is not finite at row ${i}, column ${q - i * cols} (value ${v}): the inputs are too large ` +
          `(max |x|² = ${maxSqNorm.toPrecision(3)}); rescale them (e.g. to |x|² ≈ d)`,
      );
    }
  }
}
