import { relu } from '../layers/abrelu.js';
import { conv } from '../layers/conv.js';
import { dense } from '../layers/dense.js';
import { globalAvgPool } from '../layers/globalAvgPool.js';
import { layerNorm } from '../layers/layerNorm.js';
import { residual } from '../layers/residual.js';
import { serial } from '../layers/serial.js';
import type { NetworkSpec } from '../layers/types.js';
import { InputError, quote } from '../util/errors.js';
import type { TfBackendName } from '../tfjs/backend.js';
import { mat } from '../linalg/matrix.js';
import { kernelDecayCnnFigure, type KernelDecayPanel } from '../figures/kernelDecayCnn.js';
import type { Figure } from '../figures/figure.js';
import { allOf, type Claim } from './claim.js';
import { bundledImages } from './dataset.js';
import { kernelUnderL2Check } from './kernelUnderL2Check.js';

/** The architectures of the L2 kernel check on images (issue 12, item 4). */
export const L2_ARCHITECTURES = ['cnn', 'rescnn', 'lncnn'] as const;

/** One of L2_ARCHITECTURES. */
export type L2Architecture = (typeof L2_ARCHITECTURES)[number];

/**
 * The network of an L2 kernel check, with `channels` channels in every conv, 3×3 SAME filters, σ_w = √2, no
 * biases, one output:
 * - cnn: conv > relu > conv > relu > globalAvgPool > dense (positively homogeneous, L = 3);
 * - rescnn: conv > residual(relu > conv > relu > conv) > relu > globalAvgPool > dense, a pre-activation residual
 *   block (paths of 2 and 4 weight layers: not homogeneous, scaled-σ prediction). The skip carries the first conv's
 *   Gaussian output, so the sum is Gaussian and the relu after it has the analytic kernel the library computes; with
 *   the skip carrying relu(conv) instead (conv > relu > residual(conv > relu > conv) > relu) the library's analytic
 *   kernel is wrong (finite nets' mean NTK is ~1.45× it at 128 channels; docs/results/l2-architectures.md);
 * - lncnn: conv > layerNorm > relu > conv > relu > globalAvgPool > dense (the first conv's weights are
 *   scale-invariant: scaled-σ prediction).
 * @param arch - which architecture
 * @param channels - hidden channels
 * @returns the network spec (on 7×7×1 images)
 */
export function l2ArchitectureSpec(arch: L2Architecture, channels: number): NetworkSpec {
  const w = Math.SQRT2;
  const c = (): ReturnType<typeof conv> => conv(channels, { filter: [3, 3], padding: 'SAME', wStd: w });
  switch (arch) {
    case 'cnn':
      return serial(c(), relu(), c(), relu(), globalAvgPool(), dense(1, { wStd: w }));
    case 'rescnn':
      return serial(c(), residual(relu(), c(), relu(), c()), relu(), globalAvgPool(), dense(1, { wStd: w }));
    case 'lncnn':
      return serial(c(), layerNorm(), relu(), c(), relu(), globalAvgPool(), dense(1, { wStd: w }));
    default:
      throw new InputError(`unknown architecture ${quote(String(arch))} (known: ${L2_ARCHITECTURES.join(', ')})`);
  }
}

/** Settings of the kernel-decay figure's check (see `kernelDecayCnnRun`). */
export interface KernelDecayRunOptions {
  /** Hidden channels of each network. */
  channels: number;
  /** Networks per architecture. */
  seeds: number;
  /** Training images (the first N bundled digits at 7×7). */
  n: number;
  /** Probe points whose kernel is tracked. */
  probe: number;
  /** SGD steps. */
  steps: number;
  /** Steps between kernel evaluations. */
  evalEvery: number;
  /** λ. */
  lambda: number;
  /** Learning rate η. */
  lr: number;
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Called with one line of progress per run. */
  log?: (line: string) => void;
}

/**
 * The figure set's default (small) settings (32 channels: under a minute on 2 idle cores); `full` uses 256 channels.
 * @param full - the acceptance-sized settings (256 channels) instead of the small ones
 * @returns the settings
 */
export function kernelDecayDefaults(full: boolean): KernelDecayRunOptions {
  return { channels: full ? 256 : 32, seeds: 3, n: 8, probe: 4, steps: full ? 16 : 12, evalEvery: 4, lambda: 0.1, lr: 0.5 };
}

/**
 * The kernel-decay check of the CNN and the residual CNN (l2ArchitectureSpec) on the first N bundled digits as
 * 7×7 images (first output of the centred one-hot targets), with the figure and its claim.
 * @param o - channels, seeds, points, probe size, steps, λ, η, backend
 * @returns the figure, its claim and the measured panels
 */
export async function kernelDecayCnnRun(o: KernelDecayRunOptions): Promise<{ figure: Figure; claim: Claim; panels: KernelDecayPanel[] }> {
  const data = bundledImages(`mnist:${o.n}:1`, { size: 7 });
  const y = mat(o.n, 1, Float64Array.from({ length: o.n }, (_, i) => data.y.data[i * data.y.cols]));
  const panels: KernelDecayPanel[] = [];
  for (const [arch, label] of [['cnn', 'CNN'], ['rescnn', 'residual CNN']] as const) {
    o.log?.(`kernel under L2: ${label}, ${o.channels} channels, ${o.seeds} networks, ${o.steps} steps…`);
    const result = await kernelUnderL2Check({ spec: l2ArchitectureSpec(arch, o.channels), x: data.x, y, probe: o.probe, seeds: o.seeds, steps: o.steps, evalEvery: o.evalEvery, lambda: o.lambda, lr: o.lr, backend: o.backend });
    panels.push({ label, result });
  }
  const context = `${o.n} MNIST digits as 7×7×1 images (unit norm), first centred one-hot output; conv(${o.channels}, 3×3, SAME) nets, σ_w = √2, no biases, globalAvgPool readout; full-batch GD, η = ${o.lr}, λ = ${o.lambda}, ${o.steps} steps; probe = first ${o.probe} images`;
  const figure = kernelDecayCnnFigure(panels, context);
  const measured = panels
    .map(({ label, result: r }) => `${label}: ${r.verdict} (worst at Λ = ${r.rows.find((q) => q.step === r.worst.step)!.bigLambda.toFixed(2)}: mean δ = ${r.worst.meanDelta.toFixed(3)} ± ${r.worst.stderr.toFixed(3)}, max |δ| = ${r.worst.maxAbsDelta.toFixed(3)} over ${r.seeds} networks)`)
    .join('; ');
  const claim: Claim = {
    figure: 'kernel_decay_cnn',
    claim: `finite nets (${o.channels} channels) trained with L2: Θ_t/Θ_0 on the probe set equals the infinite-width prediction within ${panels[0].result.tolerance} (δ = measured/predicted − 1; holds only if every network agrees at every time)`,
    measured,
    rule: `per architecture and evaluation time, δ_s = measured/predicted Θ_t/Θ_0 − 1 for each network s: holds if every network has |δ| ≤ ${panels[0].result.tolerance}; does not hold if |mean δ| exceeds it by more than 2 s.e.; otherwise not resolved. Holds only if every time of both architectures holds; does not hold if any does not (evaluations every ${o.evalEvery} steps; Λ exact for the discrete update)`,
    verdict: allOf(panels.map((p) => p.result.verdict)),
  };
  return { figure, claim, panels };
}
