import { SpecError } from './specError.js';
import type { CrossBlock, DiagBlock, KernelTransform, Layer, LayerContext } from './types.js';

export interface DenseOptions {
  /** Weight standard deviation σ_w (default 1). */
  wStd?: number;
  /** Bias standard deviation σ_b (default 0: the layer has no bias parameter at all). */
  bStd?: number;
}

/**
 * Fully connected layer with `width` output units.
 *
 * NTK parameterization: z = (σ_w/√n_in)·W·x + σ_b·b with W, b ~ N(0, 1).
 *   K ← σ_w²·K + σ_b²,  Θ ← σ_w²·Θ + K_new.
 * Standard parameterization: z = W·x + b with W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²); same NNGP, and
 *   Θ ← σ_w²·Θ + n_in·K + [bias present],
 * because ∂z/∂W_ij = x_j contributes Σ_j x_j x'_j = n_in·K and ∂z/∂b = 1 (as in neural-tangents with s = 1).
 * The standard NTK therefore grows linearly with the widths. σ_b = 0 means "no bias parameter".
 */
export function dense(width: number, opts: DenseOptions = {}): Layer {
  const wStd = opts.wStd ?? 1;
  const bStd = opts.bStd ?? 0;
  if (!Number.isInteger(width) || width < 1) {
    throw new SpecError(`dense: width must be a positive integer, got ${String(width)}`);
  }
  if (!Number.isFinite(wStd) || wStd < 0) throw new SpecError(`dense: wStd must be finite and ≥ 0, got ${wStd}`);
  if (!Number.isFinite(bStd) || bStd < 0) throw new SpecError(`dense: bStd must be finite and ≥ 0, got ${bStd}`);
  const json = { type: 'dense' as const, width, wStd, bStd };
  const w2 = wStd * wStd;
  const b2 = bStd * bStd;
  return {
    json,
    outWidth: () => width,
    kernel(ctx: LayerContext): KernelTransform {
      if (ctx.parameterization === 'ntk') {
        const apply = (k: Float64Array, t: Float64Array | null, n: number): void => {
          for (let i = 0; i < n; i++) {
            const kn = w2 * k[i] + b2;
            k[i] = kn;
            if (t) t[i] = w2 * t[i] + kn;
          }
        };
        return {
          cross: (b: CrossBlock) => apply(b.k, b.t, b.nr * b.nc),
          diag: (b: DiagBlock) => apply(b.k, b.t, b.n),
        };
      }
      const fanIn = ctx.fanIn;
      const biasTerm = bStd > 0 ? 1 : 0;
      const apply = (k: Float64Array, t: Float64Array | null, n: number): void => {
        for (let i = 0; i < n; i++) {
          const ko = k[i];
          k[i] = w2 * ko + b2;
          if (t) t[i] = w2 * t[i] + fanIn * ko + biasTerm;
        }
      };
      return {
        cross: (b: CrossBlock) => apply(b.k, b.t, b.nr * b.nc),
        diag: (b: DiagBlock) => apply(b.k, b.t, b.n),
      };
    },
  };
}
