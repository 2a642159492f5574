import { SpecError } from './specError.js';
import type { LayerContext } from './types.js';

/**
 * Refuses the analytic kernel of a pointwise nonlinearity whose input units are known not to be centred
 * Gaussian at infinite width. The closed forms (ReLU arc-cosine, Erf, quadrature) are Gaussian expectations;
 * on other inputs they return a number that finite networks do not converge to. Example: after
 * `conv > relu > residual[conv]` the sum relu(h) + conv(relu(h)) is not Gaussian, and a ReLU applied to it
 * measured z = +6 standard errors away from the formula (docs/design/cnn-convergence.md). An input of unknown
 * kind (after a user-written layer that does not declare `gaussianOutput`) is let through.
 * Finite networks are not affected: this binds only the kernel.
 */
export function requireGaussianInput(ctx: LayerContext, name: string): void {
  if (ctx.inputGaussian !== false) return;
  throw new SpecError(
    `${name}'s analytic kernel needs centred Gaussian inputs (dense/conv outputs, pooled or summed); it gets data or a nonlinearity's output: put dense/conv before it (residual: pre-activation conv > residual[relu > conv])`,
  );
}
