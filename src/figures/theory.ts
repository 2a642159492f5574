import type { ScanResult } from '../experiments/lambdaScan.js';
import type { LinearVsDeepResult } from '../experiments/linearVsDeep.js';
import type { TStarFitLines } from '../experiments/tStarFit.js';
import { STYLE, type Figure, type PlotlyObject } from './figure.js';

const logAxis = (title: string): PlotlyObject => ({ type: 'log', title: { text: title }, exponentformat: 'power' });
const linAxis = (title: string): PlotlyObject => ({ title: { text: title } });

// The infinite-width theory figures. They draw what src/experiments/ computed (lambdaScan, tStarFitLines,
// linearVsDeep) and compute nothing themselves.

/**
 * t* against λ (log-log) at infinite width, with the fitted slope and the −1 reference.
 * @param scan - a λ scan (`lambdaScan`)
 * @param fit - the fitted lines and the −1 reference drawn over the scan's λ (`tStarFitLines(scan)`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function tstarTheoryFigure(scan: ScanResult, fit: TStarFitLines, context: string): Figure {
  const lam = scan.rows.map((r) => r.lambda);
  const traces: PlotlyObject[] = [
    { x: lam, y: scan.rows.map((r) => r.tStarMse), mode: 'markers', name: 't* of best test MSE', marker: { size: 9, color: STYLE.colors[0] } },
    { x: lam, y: fit.mse, mode: 'lines', name: `fit: slope ${scan.slopeMse.slope.toFixed(3)} ± ${scan.slopeMse.stderr.toFixed(3)}`, line: { color: STYLE.colors[0], width: 1.5 } },
    { x: lam, y: scan.rows.map((r) => r.tStarAcc), mode: 'markers', name: 't* of best test accuracy', marker: { size: 8, symbol: 'diamond', color: STYLE.colors[1] } },
    { x: lam, y: fit.acc, mode: 'lines', name: `fit: slope ${scan.slopeAcc.slope.toFixed(3)} ± ${scan.slopeAcc.stderr.toFixed(3)}`, line: { color: STYLE.colors[1], width: 1.5 } },
    { x: lam, y: fit.reference, mode: 'lines', name: 'reference slope −1 (t* = c/λ)', line: { color: '#555', ...STYLE.theory } },
  ];
  return {
    name: 'tstar_vs_lambda_theory',
    title: 'Time to peak performance t* ∝ 1/λ — infinite-width theory',
    subtitle: `${context}; L = ${scan.depth}; ${lam.length} λ in [${lam[0].toExponential(0)}, ${lam[lam.length - 1].toExponential(0)}]; float64 closed form`,
    paperFigure: 'Mirrors the t* ∝ 1/λ result of Lewkowycz & Gur-Ari (2020) (their t*·λ plots) in the infinite-width limit, where it follows from the kernel decay Θ_t = Θ_0·exp(−2(L−1)λt).',
    traces,
    layout: { xaxis: logAxis('λ (L2 coefficient)'), yaxis: logAxis('t* (physical time η·steps)') },
    numbers: { depth: scan.depth, rows: scan.rows, slopeMse: scan.slopeMse, slopeAcc: scan.slopeAcc },
  };
}

/**
 * Test accuracy and MSE against λ·t for every λ: the curves collapse.
 * @param scan - a λ scan (`lambdaScan`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function collapseTheoryFigure(scan: ScanResult, context: string): Figure {
  const traces: PlotlyObject[] = [];
  scan.curves.forEach((c, i) => {
    if (i % 2 !== 0 && i !== scan.curves.length - 1) return; // every other λ keeps the legend readable
    const color = STYLE.colors[(i / 2) % STYLE.colors.length | 0];
    traces.push({ x: c.times.map((t) => t * c.lambda), y: c.testAcc, mode: 'lines', name: `λ = ${c.lambda.toExponential(1)}`, line: { color, width: 2 }, xaxis: 'x', yaxis: 'y' });
    traces.push({ x: c.times.map((t) => t * c.lambda), y: c.testMse, mode: 'lines', showlegend: false, line: { color, width: 2 }, xaxis: 'x2', yaxis: 'y2' });
  });
  return {
    name: 'collapse_theory',
    title: 'Curves against λ·t collapse — infinite-width theory',
    subtitle: `${context}; L = ${scan.depth}; test accuracy (left) and test MSE (right)`,
    paperFigure: 'Mirrors the collapse of test accuracy plotted against λ·t in Lewkowycz & Gur-Ari (2020): with the budget ∝ 1/λ, runs with different λ fall on one curve.',
    traces,
    layout: {
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: logAxis('λ·t'),
      yaxis: linAxis('test accuracy'),
      xaxis2: logAxis('λ·t'),
      yaxis2: linAxis('test MSE'),
      legend: { orientation: 'h', y: -0.2, x: 0 },
      height: 640,
    },
    numbers: { depth: scan.depth, curves: scan.curves.map((c) => ({ lambda: c.lambda, lambdaT: c.times.map((t) => t * c.lambda), testAcc: c.testAcc, testMse: c.testMse })) },
  };
}

/**
 * Linear (L = 1) versus deep (L = 2, 3) dynamics on one kernel: test MSE over time and the spectral filters.
 * @param r - the computed dynamics and filters (`linearVsDeep(eb, λ)`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function linearVsDeepFigure(r: LinearVsDeepResult, context: string): Figure {
  const { lambda, times, kappaGrid } = r;
  const traces: PlotlyObject[] = [];
  Object.entries(r.testMse).forEach(([key, mse], i) => {
    const L = Number(key.slice(1));
    traces.push({ x: times, y: mse, mode: 'lines', name: L === 1 ? 'linear model (L = 1)' : `deep, L = ${L}`, line: { color: STYLE.colors[i], width: 2 }, xaxis: 'x', yaxis: 'y' });
  });
  traces.push({ x: kappaGrid, y: r.linearFilter, mode: 'lines', name: 'filter κ/(κ+λ) (linear)', line: { color: STYLE.colors[0], ...STYLE.theory }, xaxis: 'x2', yaxis: 'y2' });
  r.deepFilters.forEach(({ depth, values }, i) =>
    traces.push({ x: kappaGrid, y: values, mode: 'lines', name: `filter 1 − e<sup>−κ/(2(L−1)λ)</sup>, L = ${depth}`, line: { color: STYLE.colors[i + 1], ...STYLE.theory }, xaxis: 'x2', yaxis: 'y2' }),
  );
  traces.push({ x: r.kappa, y: r.kappa.map(() => -0.03), mode: 'markers', name: 'eigenvalues κ of Θ/n', marker: { symbol: 'line-ns-open', size: 8, color: '#888' }, xaxis: 'x2', yaxis: 'y2' });
  return {    name: 'linear_vs_deep',
    title: 'Linear versus deep L2 dynamics on the same kernel',
    subtitle: `${context}; λ = ${lambda}; left: test MSE against t; right: end-of-training spectral filters against the eigenvalue κ`,
    paperFigure: 'Extends Lewkowycz & Gur-Ari (2020), Section 3: the linear model converges to kernel ridge regression, while for L ≥ 2 the kernel decays, performance peaks at t ~ 1/λ and f → 0.',
    traces,
    layout: {
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: logAxis('t (physical time)'),
      yaxis: linAxis('test MSE'),
      xaxis2: logAxis('κ (eigenvalue of Θ/n)'),
      yaxis2: { title: { text: 'fraction of the mode learned' }, range: [-0.06, 1.05] },
      legend: { orientation: 'h', y: -0.22, x: 0 },
      height: 640,
    },
    numbers: { lambda, times, testMse: r.testMse, kappa: r.kappa },
  };
}
