import type { AccuracyPoint, AccuracyVsLambdaResult } from '../experiments/accuracyVsLambda.js';
import type { PredictedVsBestResult } from '../experiments/predictedVsBestLambda.js';
import { STYLE, type Figure, type PlotlyObject } from './figure.js';

const logAxis = (title: string): PlotlyObject => ({ type: 'log', title: { text: title }, exponentformat: 'power' });
const linAxis = (title: string): PlotlyObject => ({ title: { text: title } });
const pct = (v: number) => 100 * v;

/** Mean ± 1 s.e. per λ (a line with error bars) and each seed's value as a faint dot, in percent. */
function accuracyTraces(points: readonly AccuracyPoint[], name: string, color: string, symbol: string): PlotlyObject[] {
  return [
    { x: points.flatMap((p) => p.acc.map(() => p.lambda)), y: points.flatMap((p) => p.acc.map(pct)), mode: 'markers', name: `${name}: one seed`, marker: { size: 6, color, opacity: 0.35, symbol } },
    {
      x: points.map((p) => p.lambda),
      y: points.map((p) => pct(p.mean)),
      error_y: { type: 'data', array: points.map((p) => pct(p.stderr)), visible: true, thickness: 1.5, width: 5 },
      mode: 'lines+markers',
      name: `${name}: mean over seeds (± 1 s.e.)`,
      marker: { size: 9, color, symbol },
      line: { color, width: 2 },
    },
  ];
}

/**
 * Test accuracy against λ (the paper's Fig. 1a): at the end of a fixed budget, and at the end of a budget ∝ 1/λ,
 * with λ = 0 trained for the longest of those budgets as a horizontal line (mean, and ± 1 s.e. dotted).
 * @param r - the figure's numbers (`accuracyVsLambda`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function accuracyVsLambdaFigure(r: AccuracyVsLambdaResult, context: string): Figure {
  const lam = r.inverse.map((p) => p.lambda);
  const span = [lam[0] / 1.3, lam[lam.length - 1] * 1.3];
  const b = r.baseline;
  const traces: PlotlyObject[] = [
    ...accuracyTraces(r.inverse, `budget T = ${r.budgetFactor}/λ`, STYLE.colors[0], 'circle'),
    ...accuracyTraces(r.fixed, `fixed budget T = ${+r.fixed[0].budget.toPrecision(4)}`, STYLE.colors[1], 'square'),
    { x: span, y: [pct(b.mean), pct(b.mean)], mode: 'lines', name: `λ = 0, T = ${+b.budget.toPrecision(4)}: ${pct(b.mean).toFixed(2)} ± ${pct(b.stderr).toFixed(2)}%`, line: { color: '#222', ...STYLE.theory } },
    { x: [...span, span[1], span[0]], y: [pct(b.mean - b.stderr), pct(b.mean - b.stderr), pct(b.mean + b.stderr), pct(b.mean + b.stderr)], mode: 'lines', name: 'λ = 0: ± 1 s.e.', line: { color: '#888', width: 1, dash: 'dot' }, showlegend: false },
  ];
  return {
    name: 'accuracy_vs_lambda',
    title: 'Test accuracy against λ: fixed budget, and budget ∝ 1/λ',
    subtitle: `${context}; ${r.seeds.length} seeds; budgets ∝ 1/λ: T = ${r.inverse.map((p) => +p.budget.toPrecision(4)).join(', ')}; plateau (smallest ${r.plateau.lambdas.length} λ) − λ = 0: ${pct(r.overBaseline.mean).toFixed(2)} ± ${pct(r.overBaseline.stderr).toFixed(2)} points`,
    paperFigure: 'Mirrors Lewkowycz & Gur-Ari (2020), Fig. 1a: test accuracy against λ at a fixed budget and at a budget ∝ 1/λ, beside λ = 0, here with the paper\'s CNN at MNIST scale.',
    traces,
    layout: { xaxis: logAxis('λ (L2 coefficient)'), yaxis: linAxis('test accuracy at the end of the budget (%)'), legend: { orientation: 'h', y: -0.22, x: 0 }, height: 640 },
    numbers: { ...r },
  };
}

/**
 * The λ predicted from one short run against the grid's best λ, per budget (left, log-log, with the line c/T), and
 * the accuracy gap per budget with the paper's 0.4 points (right); the gap paired by seed, mean ± 1 s.e., over the
 * seeds with a prediction. Seeds whose short run gave none are listed in the subtitle and in a note on the plot.
 * @param r - the figure's numbers (`predictedVsBestLambda`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function predictedVsBestLambdaFigure(r: PredictedVsBestResult, context: string): Figure {
  const ts = r.budgets.map((b) => b.budget);
  const some = r.c.perSeed.length > 0;
  const best: PlotlyObject = { x: ts, y: r.budgets.map((b) => b.best.lambda), mode: 'markers', name: 'grid λ with the best mean accuracy at T', marker: { size: 12, symbol: 'square-open', color: STYLE.colors[0], line: { width: 2, color: STYLE.colors[0] } }, xaxis: 'x', yaxis: 'y' };
  const predictedTraces: PlotlyObject[] = [
    { x: r.budgets.flatMap((b) => b.predicted.lambdas.map(() => b.budget)), y: r.budgets.flatMap((b) => b.predicted.lambdas), mode: 'markers', name: `predicted λ = c/T (one per seed${r.noPrediction.length ? ' with a prediction' : ''})`, marker: { size: 12, symbol: 'star', color: STYLE.colors[1] }, xaxis: 'x', yaxis: 'y' },
    { x: ts, y: ts.map((t) => r.c.mean / t), mode: 'lines', name: `c/T with c = ${r.c.mean.toFixed(4)} (mean over seeds)`, line: { color: STYLE.colors[1], ...STYLE.theory }, xaxis: 'x', yaxis: 'y' },
    {
      x: ts,
      y: r.budgets.map((b) => pct(b.gap.mean)),
      error_y: { type: 'data', array: r.budgets.map((b) => pct(b.gap.stderr)), visible: true, thickness: 1.5, width: 5 },
      mode: 'lines+markers',
      name: 'gap: best grid λ − predicted λ (mean over seeds ± 1 s.e.)',
      marker: { size: 9, color: STYLE.colors[2] },
      line: { color: STYLE.colors[2], width: 2 },
      xaxis: 'x2',
      yaxis: 'y2',
    },
    { x: r.budgets.flatMap((b) => b.gap.perSeed.map(() => b.budget)), y: r.budgets.flatMap((b) => b.gap.perSeed.map(pct)), mode: 'markers', name: 'gap, one seed', marker: { size: 6, color: STYLE.colors[2], opacity: 0.35 }, xaxis: 'x2', yaxis: 'y2' },
  ];
  const traces: PlotlyObject[] = [
    best,
    ...(some ? predictedTraces : []),
    { x: [ts[0], ts[ts.length - 1]], y: [pct(r.paperGap), pct(r.paperGap)], mode: 'lines', name: `the paper: ${pct(r.paperGap)} points`, line: { color: '#222', ...STYLE.theory }, xaxis: 'x2', yaxis: 'y2' },
    { x: [ts[0], ts[ts.length - 1]], y: [0, 0], mode: 'lines', showlegend: false, line: { color: '#888', width: 1 }, xaxis: 'x2', yaxis: 'y2' },
  ];
  const what = `c = λ0·t* from one short run per seed at λ0 = ${r.lambda0} (t* of the ${r.metric === 'loss' ? 'lowest test loss' : 'best test accuracy'}`;
  const measured = some
    ? `${what}, resolved to ${(100 * r.c.resolution).toFixed(1)}%): c = ${r.c.mean.toFixed(4)} ± ${r.c.stderr.toFixed(4)}; gap averaged over ${ts.length} budgets: ${pct(r.averageGap.mean).toFixed(2)} ± ${pct(r.averageGap.stderr).toFixed(2)} points`
    : `${what}): no seed has a prediction`;
  const none = r.noPredictionNotes;
  // seeds without a prediction have no star and no gap: a note under the right panel (beside the legend) says which and why
  const short = r.noPrediction.map((n) => `seed ${n.seed}: no prediction (${n.reason === 'still improving' ? `short run still improving at its end, t* = ${+n.tStar0.toPrecision(4)}` : 'short run never improved, t* = 0'})`);
  const note = short.length ? [{ xref: 'paper', yref: 'paper', x: 1, y: -0.25, xanchor: 'right', yanchor: 'top', align: 'right', showarrow: false, text: short.join('<br>'), font: { size: 12, color: '#b42318' } }] : [];
  return {
    name: 'predicted_vs_best_lambda',
    title: 'The λ predicted from one short run against the best λ of a grid, per budget',
    subtitle: `${context}; ${r.seeds.length} seeds; ${measured}${none.length ? `; ${none.join('; ')}` : ''}`,
    paperFigure: 'Mirrors Lewkowycz & Gur-Ari (2020), Fig. 1b: the λ predicted as c/T from one short run against the best λ found by a sweep, for several budgets T, with the accuracy lost (the paper: within about 0.4%).',
    traces,
    layout: { grid: { rows: 1, columns: 2, pattern: 'independent' }, xaxis: logAxis('budget T (η·steps)'), yaxis: logAxis('λ'), xaxis2: logAxis('budget T (η·steps)'), yaxis2: linAxis('accuracy gap (points)'), legend: { orientation: 'h', y: -0.25, x: 0 }, height: 640, ...(note.length ? { annotations: note } : {}) },
    numbers: { ...r },
  };
}
