import { bundledImages, type MnistImageSize } from './dataset.js';
import { ntkConvergence, type NtkConvergenceResult } from './ntkConvergence.js';
import { intervalRule, intervalVerdict, type Claim } from './claim.js';
import { relu } from '../layers/abrelu.js';
import { conv } from '../layers/conv.js';
import { dense } from '../layers/dense.js';
import { globalAvgPool } from '../layers/globalAvgPool.js';
import { residual } from '../layers/residual.js';
import { serial } from '../layers/serial.js';
import type { NetworkSpec } from '../layers/types.js';
import { InputError } from '../util/errors.js';

/** The two convolutional architectures of the convergence study. */
export type ConvNetKind = 'cnn' | 'resnet';

/** The accepted interval of the fitted log-log slope (issue 12's acceptance; theory −1/2). */
export const CONVERGENCE_SLOPE_RANGE: readonly [number, number] = [-0.65, -0.35];

/**
 * The convergence study's networks, all 3×3 SAME convolutions with σ_w = √2, no biases, one output, every
 * conv with `channels` channels (the readout is a Dense with σ_w = 1):
 * - 'cnn': conv > relu > conv > relu > globalAvgPool > dense(1);
 * - 'resnet': conv > residual(relu > conv > relu > conv) > relu > globalAvgPool > dense(1), a pre-activation
 *   residual block (the skip carries the Gaussian conv output, so the input of every ReLU is Gaussian at
 *   infinite width, which the analytic kernel assumes).
 * @param kind - 'cnn' or 'resnet'
 * @param channels - channels of every hidden conv (default 1)
 * @returns the network spec (on 7×7×1 images)
 */
export function convNet(kind: ConvNetKind, channels = 1): NetworkSpec {
  const w = Math.SQRT2;
  const c3 = () => conv(channels, { filter: [3, 3], wStd: w });
  if (kind === 'cnn') return serial(c3(), relu(), c3(), relu(), globalAvgPool(), dense(1));
  if (kind === 'resnet') return serial(c3(), residual(relu(), c3(), relu(), c3()), relu(), globalAvgPool(), dense(1));
  throw new InputError(`unknown convolutional architecture ${String(kind)} (known: cnn, resnet)`);
}

/**
 * One-line description of `convNet(kind)`, for figure subtitles and claims.
 * @param kind - 'cnn' or 'resnet'
 * @returns the description
 */
export function convNetDescription(kind: ConvNetKind): string {
  return kind === 'cnn'
    ? 'CNN conv > relu > conv > relu > globalAvgPool > dense(1)'
    : 'residual CNN conv > residual(relu > conv > relu > conv) > relu > globalAvgPool > dense(1)';
}

/** Settings of `convConvergence`. */
export interface ConvConvergenceOptions {
  /** Channel counts (default 8, 16, …, 256). */
  widths?: number[];
  /** Networks per width (default 8). */
  seeds?: number;
  /** Number of bundled MNIST digits (default 8). */
  points?: number;
  /** Their size (default 7: 4×4 block means of the 28×28 digits). */
  size?: MnistImageSize;
  /** Called after each network with (networks done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A convergence study of one convolutional architecture, with its claim. */
export interface ConvConvergenceResult {
  /** Which network. */
  kind: ConvNetKind;
  /** The convergence study (errors per channel count, fitted slope). */
  result: NtkConvergenceResult;
  /** Data and architecture in words. */
  context: string;
  /** The claim and its verdict: the slope within CONVERGENCE_SLOPE_RANGE. */
  claim: Claim;
}

/**
 * Empirical NTK of finite CNNs → analytic NTK: `ntkConvergence` on bundled MNIST digits as small images
 * (unit-norm), for `convNet(kind)` at each channel count. The quantity is the relative Frobenius error of one
 * network, averaged over seeds (theory slope −1/2, see `ntkConvergence`); the claim holds when the fitted slope
 * lies in CONVERGENCE_SLOPE_RANGE.
 * @param kind - 'cnn' or 'resnet'
 * @param opts - channel counts (`widths`), networks per width, points, image size, progress
 * @returns per channel count the errors, the fitted slope and the claim (theory −1/2)
 */
export async function convConvergence(kind: ConvNetKind, opts: ConvConvergenceOptions = {}): Promise<ConvConvergenceResult> {
  const points = opts.points ?? 8;
  const size = opts.size ?? 7;
  const widths = opts.widths ?? [8, 16, 32, 64, 128, 256];
  const seeds = opts.seeds ?? 8;
  const data = bundledImages(`mnist:${points}:1`, { size });
  const result = await ntkConvergence(convNet(kind), data.x, { widths, seeds, onProgress: opts.onProgress });
  const context = `${points} MNIST digits as ${size}×${size} images (unit norm), ${convNetDescription(kind)}; 3×3 SAME convs, σ_w = √2, no biases, NTK parameterization; width = channels of every conv`;
  const [lo, hi] = CONVERGENCE_SLOPE_RANGE;
  const first = result.rows[0];
  const last = result.rows[result.rows.length - 1];
  const claim: Claim = {
    figure: kind === 'cnn' ? 'ntk_convergence_cnn' : 'ntk_convergence_resnet',
    claim: `finite ${kind === 'cnn' ? 'CNNs' : 'residual CNNs'} approach the analytic NTK: relative error of one network ∝ channels^(−1/2) (accepted slope ${lo}…${hi})`,
    measured: `slope ${result.slope.toFixed(3)} ± ${result.slopeStderr.toFixed(3)} (standard error of the fit); mean error ${first.meanError.toFixed(3)} ± ${first.stderr.toFixed(3)} at ${first.width} channels, ${last.meanError.toFixed(3)} ± ${last.stderr.toFixed(3)} at ${last.width}; ${seeds} networks per width`,
    rule: intervalRule(`the slope of log(mean relative error) on log channels (least-squares fit over ${widths.length} channel counts of ${seeds} networks each; s.e. of the fit)`, lo, hi),
    verdict: intervalVerdict(result.slope, result.slopeStderr, lo, hi),
  };
  return { kind, result, context, claim };
}
