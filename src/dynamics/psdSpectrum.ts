/**
 * Θ_0 must be positive semi-definite: the flow's modes decay at rates κ ≥ 0, and a negative eigenvalue would
 * be a mode that grows without bound. A computed kernel has tiny negative eigenvalues from round-off
 * (≈ n·ε·λ_max, below 1e-12·λ_max for the kernels this toolkit computes; test/kernels/analytic.test.ts checks
 * λ_min ≥ −1e-10·λ_max), which are clipped to 0. Anything more negative is an indefinite matrix — not a kernel —
 * and is refused unless the caller asks to regularize (clip every negative eigenvalue to 0, i.e. replace Θ by the
 * nearest PSD matrix in the Frobenius norm). Either way the amount clipped is reported.
 */
import { InputError } from '../util/errors.js';

/** Default tolerance: eigenvalues down to −1e-10·λ_max are round-off. */
export const PSD_TOLERANCE = 1e-10;

/** How a kernel's negative eigenvalues are treated: round-off is clipped to 0; anything beyond `tolerance` is refused unless `regularize`. */
export interface PsdOptions {
  /** Clip negative eigenvalues beyond the tolerance instead of refusing the kernel (default false). */
  regularize?: boolean;
  /** Relative round-off tolerance: λ_min ≥ −tolerance·λ_max is accepted (default PSD_TOLERANCE). */
  tolerance?: number;
}

/** What was clipped, in units of Θ's eigenvalues (not Θ/n). */
export interface SpectrumClip {
  /** Number of negative eigenvalues set to 0. */
  clipped: number;
  /** The lowest eigenvalue before clipping (≥ 0 when nothing was clipped). */
  lowest: number;
  /** The largest eigenvalue. */
  largest: number;
  /** Frobenius norm of the change to Θ: sqrt(Σ clipped eigenvalue²). */
  frobeniusChange: number;
  /** The tolerance used, relative to the largest eigenvalue. */
  tolerance: number;
  /** True when eigenvalues beyond the tolerance were clipped because the caller asked (regularize). */
  regularized: boolean;
}

/**
 * Clips the eigenvalues `values` (ascending or not) of `scale`·Θ to ≥ 0 after checking they are round-off
 * (see the module comment); `scale` converts them back to Θ's units for the report (n for Θ/n).
 * @param values - eigenvalues of scale·Θ
 * @param scale - factor back to Θ's units (n for Θ/n)
 * @param what - the matrix named in errors, e.g. "Θ (train)"
 * @param opts - tolerance and regularize
 * @returns the clipped eigenvalues κ ≥ 0 and a report of what was clipped
 * @throws InputError for an indefinite matrix unless `regularize`
 */
export function clipSpectrum(values: Float64Array, scale: number, what: string, opts: PsdOptions = {}): { kappa: Float64Array; clip: SpectrumClip } {
  const tolerance = opts.tolerance ?? PSD_TOLERANCE;
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new InputError(`PSD tolerance must be a finite number ≥ 0, got ${tolerance}`);
  let lowest = Infinity;
  let largest = -Infinity;
  let clipped = 0;
  let sq = 0;
  for (const v of values) {
    lowest = Math.min(lowest, v);
    largest = Math.max(largest, v);
    if (v < 0) {
      clipped++;
      sq += v * v;
    }
  }
  const beyond = lowest < -tolerance * Math.max(largest, 0) && lowest < 0;
  if (beyond && !opts.regularize) {
    throw new InputError(
      `${what} is not positive semi-definite: lowest eigenvalue ${(lowest * scale).toPrecision(3)}, largest ${(largest * scale).toPrecision(3)} ` +
        `(beyond the round-off tolerance ${tolerance}·largest); pass --regularize (library: regularize) to clip negative eigenvalues to 0`,
    );
  }
  return {
    kappa: values.map((v) => (v > 0 ? v : 0)),
    clip: {
      clipped,
      lowest: lowest * scale,
      largest: largest * scale,
      frobeniusChange: Math.sqrt(sq) * scale,
      tolerance,
      regularized: beyond,
    },
  };
}

/** One line for stderr after regularizing: how much of Θ's spectrum was clipped. */
export function regularizedNote(c: SpectrumClip): string {
  return (
    `regularized Θ: clipped ${c.clipped} negative eigenvalue${c.clipped === 1 ? '' : 's'} of Θ to 0 ` +
    `(lowest ${c.lowest.toPrecision(3)}, largest ${c.largest.toPrecision(3)}; |ΔΘ|_F = ${c.frobeniusChange.toPrecision(3)}); recorded in the results`
  );
}
