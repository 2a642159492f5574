import type { KernelUnderL2CheckResult } from '../experiments/kernelUnderL2Check.js';
import { STYLE, type Figure, type PlotlyObject } from './figure.js';

/** One architecture of the kernel-decay figure: its label and its check. */
export interface KernelDecayPanel {
  label: string;
  result: KernelUnderL2CheckResult;
}

/**
 * Θ_t/Θ_0 (mean diagonal of the empirical NTK on the probe set) of finite convolutional networks trained with L2,
 * one marker per network and the mean over networks, against the infinite-width prediction at the same Λ (dashed):
 * e^{−2(L−1)Λ} for the homogeneous CNN, the scaled-σ kernel for the residual CNN. Log y-axis against Λ = ∫λ dt.
 */
export function kernelDecayCnnFigure(panels: readonly KernelDecayPanel[], context: string): Figure {
  const traces: PlotlyObject[] = [];
  panels.forEach(({ label, result }, i) => {
    const color = STYLE.colors[i % STYLE.colors.length];
    const lam = result.rows.map((r) => r.bigLambda);
    traces.push({
      x: result.rows.flatMap((r) => r.measuredRatio.map(() => r.bigLambda)),
      y: result.rows.flatMap((r) => r.measuredRatio),
      mode: 'markers',
      name: `${label}: one network (${result.seeds} seeds)`,
      marker: { size: 6, color, opacity: 0.4 },
    });
    traces.push({
      x: lam,
      y: result.rows.map((r) => r.measuredRatio.reduce((a, b) => a + b, 0) / r.measuredRatio.length),
      mode: 'lines+markers',
      name: `${label}: mean of finite networks`,
      line: { color, ...STYLE.measured },
    });
    traces.push({ x: lam, y: result.rows.map((r) => r.predictedRatio), mode: 'lines', name: `${label}: prediction, ${result.prediction.split(' (')[0]}`, line: { color, ...STYLE.theory } });
  });
  const verdicts = panels.map((p) => `${p.label}: ${p.result.verdict}`).join('; ');
  return {
    name: 'kernel_decay_cnn',
    title: 'Kernel under L2: finite CNN and residual CNN against the infinite-width prediction',
    subtitle: `${context}; Θ_t/Θ_0 = mean diagonal of the empirical NTK on the probe set (structured method, float32 products) over its value at t = 0; prediction float64; verdicts (|measured/predicted − 1| ≤ ${panels[0]?.result.tolerance ?? 0.1} at every time): ${verdicts}`,
    paperFigure: 'Not a figure of Lewkowycz & Gur-Ari (2020): it checks their kernel-decay law Θ_t = e^{−2(L−1)Λ}Θ_0 on a convolutional net, and the kernel-only (scaled-σ) extension on a residual one, which the paper does not cover.',
    traces,
    layout: { xaxis: { title: { text: 'Λ = ∫λ dt' } }, yaxis: { type: 'log', title: { text: 'Θ_t / Θ_0 (probe set)' }, exponentformat: 'power' } },
    numbers: { panels: panels.map((p) => ({ label: p.label, ...p.result })) },
  };
}
