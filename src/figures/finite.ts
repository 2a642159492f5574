import type { NtkConvergenceResult } from '../experiments/ntkConvergence.js';
import { STYLE, type Figure, type PlotlyObject } from './figure.js';

const logAxis = (title: string): PlotlyObject => ({ type: 'log', title: { text: title }, exponentformat: 'power' });

/** Relative Frobenius error of finite networks' empirical NTK against the analytic one, against width. */
export function ntkConvergenceFigure(res: NtkConvergenceResult, context: string): Figure {
  const widths = res.rows.map((r) => r.width);
  const means = res.rows.map((r) => r.meanError);
  // −1/2 reference through the geometric mean of the measurements
  const lw = widths.reduce((s, w) => s + Math.log(w), 0) / widths.length;
  const le = means.reduce((s, e) => s + Math.log(e), 0) / means.length;
  const fit = widths.map((w) => Math.exp(le + res.slope * (Math.log(w) - lw)));
  const half = widths.map((w) => Math.exp(le - 0.5 * (Math.log(w) - lw)));
  const traces: PlotlyObject[] = [
    {
      x: res.rows.flatMap((r) => r.errors.map(() => r.width)),
      y: res.rows.flatMap((r) => r.errors),
      mode: 'markers',
      name: `one network (${res.seeds} seeds per width)`,
      marker: { size: 5, color: STYLE.colors[0], opacity: 0.35 },
    },
    {
      x: widths,
      y: means,
      error_y: { type: 'data', array: res.rows.map((r) => 2 * r.stderr), visible: true },
      mode: 'markers',
      name: 'mean over seeds (± 2 standard errors)',
      marker: { size: 10, color: STYLE.colors[0] },
    },
    { x: widths, y: fit, mode: 'lines', name: `fit: slope ${res.slope.toFixed(3)} ± ${res.slopeStderr.toFixed(3)}`, line: { color: STYLE.colors[0], width: 1.5 } },
    { x: widths, y: half, mode: 'lines', name: 'theory: width^(−1/2)', line: { color: '#555', ...STYLE.theory } },
  ];
  return {
    name: 'ntk_convergence',
    title: 'Empirical NTK → analytic NTK as width grows',
    subtitle: `${context}; ‖Θ_emp − Θ‖_F / ‖Θ‖_F; widths ${widths[0]}…${widths[widths.length - 1]}, ${res.seeds} seeds each; empirical: structured method, float32 products, float64 sums; analytic: float64`,
    paperFigure: 'Not a figure of Lewkowycz & Gur-Ari (2020): it checks that the finite networks used for the training figures have the infinite-width kernel the theory figures assume (fluctuations ∝ width^(−1/2)).',
    traces,
    layout: { xaxis: logAxis('hidden width n'), yaxis: logAxis('relative Frobenius error') },
    numbers: { ...res },
  };
}
