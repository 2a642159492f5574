/**
 * Flow outputs must be finite before anyone reads or writes them: targets, kernels or f0 near the float64 limit
 * (Y ≈ 1e200) give finite inputs but Inf/NaN outputs — f itself, or an MSE whose squares overflow — which JSON
 * would turn into null. The check is O(size) per quantity, negligible next to the flow.
 */
import { InputError } from '../util/errors.js';

/**
 * Throws "the flow's `quantity` is not finite at t = … (time index j…)" at the first NaN/Inf of `values`, a
 * time-major array of `times.length` blocks (T values for a curve, T·n·k for f).
 */
export function assertFiniteOverTime(values: ArrayLike<number>, quantity: string, times: ArrayLike<number>): void {
  const T = times.length;
  const per = T > 0 ? values.length / T : 1;
  for (let q = 0; q < values.length; q++) {
    const v = values[q];
    if (v - v !== 0) {
      const j = Math.floor(q / per);
      const where = per > 1 ? `, entry ${q - j * per} of ${per}` : '';
      throw new InputError(
        `the flow's ${quantity} is not finite at t = ${times[j]} (time index ${j}${where}; value ${v}): ` +
          'the targets, kernel or initial outputs are too large for float64; rescale them',
      );
    }
  }
}
