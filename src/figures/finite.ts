import type { AutoL2CompareResult } from '../experiments/autoL2Compare.js';
import type { FiniteVsInfiniteResult } from '../experiments/finiteVsInfinite.js';
import type { NtkConvergenceResult } from '../experiments/ntkConvergence.js';
import type { PredictLambdaResult, PredictLambdaSeedsResult } from '../experiments/predictLambda.js';
import type { SweepResult } from '../experiments/sweep.js';
import { STYLE, type Figure, type PlotlyObject } from './figure.js';

const logAxis = (title: string): PlotlyObject => ({ type: 'log', title: { text: title }, exponentformat: 'power' });

/**
 * How `ntkConvergenceFigure` names and labels a convergence figure; the defaults are the MLP figure's
 * (name 'ntk_convergence', x axis "hidden width n").
 */
export interface ConvergenceFigureLabels {
  /** File stem (default 'ntk_convergence'). */
  name?: string;
  /** Figure title (default: the MLP figure's). */
  title?: string;
  /** x-axis title (default 'hidden width n'). */
  widthAxis?: string;
  /** The paper figure it corresponds to, if any, for the subtitle. */
  paperFigure?: string;
}

/**
 * Relative Frobenius error of finite networks' empirical NTK against the analytic one, against width (log-log),
 * with the fitted slope ± its standard error and the width^(−1/2) reference. `labels` names the figure when it
 * is not the MLP one (the CNN figures use it); without it the output is the MLP figure as before.
 * @param res - an NTK convergence study (`ntkConvergence`)
 * @param context - the data and settings, shown as the subtitle
 * @param labels - axis and title wording for other architectures (default: the MLP's)
 * @returns the figure
 */
export function ntkConvergenceFigure(res: NtkConvergenceResult, context: string, labels: ConvergenceFigureLabels = {}): Figure {
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
    name: labels.name ?? 'ntk_convergence',
    title: labels.title ?? 'Empirical NTK → analytic NTK as width grows',
    subtitle: `${context}; ‖Θ_emp − Θ‖_F / ‖Θ‖_F; widths ${widths[0]}…${widths[widths.length - 1]}, ${res.seeds} seeds each; empirical: structured method, float32 products, float64 sums; analytic: float64`,
    paperFigure: labels.paperFigure ?? 'Not a figure of Lewkowycz & Gur-Ari (2020): it checks that the finite networks used for the training figures have the infinite-width kernel the theory figures assume (fluctuations ∝ width^(−1/2)).',
    traces,
    layout: { xaxis: logAxis(labels.widthAxis ?? 'hidden width n'), yaxis: logAxis('relative Frobenius error') },
    numbers: { ...res },
  };
}

const linAxis = (title: string): PlotlyObject => ({ title: { text: title } });

/**
 * t* against λ (log-log) measured on finite networks, per learning rate, with the fit and the −1 reference.
 * Circles: t* of the best test accuracy; diamonds: of the lowest test loss; triangles: the budget ran out before
 * the peak (left out of the fits). Each η has its colour and size, the first η the largest, so markers of several
 * η at the same point (t* in physical time hardly depends on η) nest instead of hiding one another. The subtitle
 * names only the marker kinds that are drawn.
 * @param sweep - a λ sweep (`lambdaSweep`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function tstarFiniteFigure(sweep: SweepResult, context: string): Figure {
  const traces: PlotlyObject[] = [];
  const lrs = [...new Set(sweep.rows.map((r) => r.lr))];
  const lam = [...new Set(sweep.rows.map((r) => r.lambda))].sort((a, b) => a - b);
  let edges = 0;
  lrs.forEach((lr, i) => {
    const color = STYLE.colors[i % STYLE.colors.length];
    const size = Math.max(6, 16 - 5 * i);
    const marker = (symbol: string) => ({ size, symbol, color, line: { color, width: 2 } });
    const p = sweep.perLr.find((q) => q.lr === lr)!;
    const acc = sweep.rows.filter((r) => r.lr === lr && r.tStarAcc > 0);
    const loss = sweep.rows.filter((r) => r.lr === lr && r.tStarLoss > 0);
    const accOk = acc.filter((r) => !r.accAtEdge);
    const lossOk = loss.filter((r) => !r.lossAtEdge);
    const accEdge = acc.filter((r) => r.accAtEdge);
    const lossEdge = loss.filter((r) => r.lossAtEdge);
    edges += accEdge.length + lossEdge.length;
    traces.push({ x: accOk.map((r) => r.lambda), y: accOk.map((r) => r.tStarAcc), mode: 'markers', name: `η = ${lr}: t* of best test accuracy (slope ${fmtSlope(p.slopeAcc)})`, marker: marker('circle-open') });
    traces.push({ x: lossOk.map((r) => r.lambda), y: lossOk.map((r) => r.tStarLoss), mode: 'markers', name: `η = ${lr}: t* of lowest test loss (slope ${fmtSlope(p.slopeLoss)})`, marker: marker('diamond-open') });
    if (accEdge.length) traces.push({ x: accEdge.map((r) => r.lambda), y: accEdge.map((r) => r.tStarAcc), mode: 'markers', name: `η = ${lr}: accuracy still rising at the end of the budget`, marker: marker('triangle-up-open') });
    if (lossEdge.length) traces.push({ x: lossEdge.map((r) => r.lambda), y: lossEdge.map((r) => r.tStarLoss), mode: 'markers', name: `η = ${lr}: loss still falling at the end of the budget`, marker: marker('triangle-down-open') });
  });
  const fitLine = (key: 'tStarAcc' | 'tStarLoss', edge: 'accAtEdge' | 'lossAtEdge', fit: { slope: number; stderr: number; runs: number }, label: string, dash: string, withRef: boolean) => {
    const ok = sweep.rows.filter((r) => !r[edge] && r[key] > 0);
    if (ok.length < 2 || !Number.isFinite(fit.slope)) return;
    const mx = ok.reduce((s, r) => s + Math.log(r.lambda), 0) / ok.length;
    const my = ok.reduce((s, r) => s + Math.log(r[key]), 0) / ok.length;
    traces.push({ x: lam, y: lam.map((l) => Math.exp(my + fit.slope * (Math.log(l) - mx))), mode: 'lines', name: `${label}, all η: slope ${fmtSlope(fit)}`, line: { color: '#222', width: 1.5, dash } });
    if (withRef) traces.push({ x: lam, y: lam.map((l) => Math.exp(my - (Math.log(l) - mx))), mode: 'lines', name: 'reference slope −1 (t* = c/λ)', line: { color: '#888', ...STYLE.theory } });
  };
  fitLine('tStarAcc', 'accAtEdge', sweep.slopeAcc, 'fit of accuracy t*', 'solid', true);
  fitLine('tStarLoss', 'lossAtEdge', sweep.slopeLoss, 'fit of loss t*', 'dot', false);
  const markers = [
    'circles: t* of the best test accuracy',
    'diamonds: t* of the lowest test loss',
    ...(edges ? ['triangles: the budget ran out before the peak (▲ accuracy, ▼ loss; left out of the fits)'] : []),
    ...(lrs.length > 1 ? ['one colour and size per η, nested where they coincide'] : []),
  ];
  return {
    name: 'tstar_vs_lambda_finite',
    title: 'Time to peak performance t* ∝ 1/λ — finite networks trained with SGD',
    subtitle: `${context}; λ ∈ [${lam[0].toExponential(0)}, ${lam[lam.length - 1].toExponential(0)}], η ∈ {${lrs.join(', ')}}; budgets T = c/λ; ${markers.join('; ')}. Under MSE the accuracy plateaus rather than peaks at large λ (the −Lλf shrinkage keeps every argmax), so its t* bends there; the loss minimum stays sharp`,
    paperFigure: 'Mirrors Lewkowycz & Gur-Ari (2020), t* ∝ 1/λ for networks trained with SGD and L2 (their MNIST fully connected and CIFAR-10 runs), here at MNIST scale.',
    traces,
    layout: { xaxis: logAxis('λ (L2 coefficient)'), yaxis: logAxis('t* (physical time η·steps)'), legend: { orientation: 'h', y: -0.25, x: 0 }, height: 680 },
    numbers: { slopeAcc: sweep.slopeAcc, slopeLoss: sweep.slopeLoss, perLr: sweep.perLr, cSpreadAcc: sweep.cSpreadAcc, cSpreadLoss: sweep.cSpreadLoss, rows: sweep.rows },
  };
}

/**
 * Test accuracy against t and against λ·t for every run of a sweep (one learning rate per line style).
 * @param sweep - a λ sweep (`lambdaSweep`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function collapseFiniteFigure(sweep: SweepResult, context: string): Figure {
  const traces: PlotlyObject[] = [];
  const lam = [...new Set(sweep.rows.map((r) => r.lambda))].sort((a, b) => a - b);
  const lrs = [...new Set(sweep.rows.map((r) => r.lr))];
  sweep.curves.forEach((c) => {
    const color = STYLE.colors[lam.indexOf(c.lambda) % STYLE.colors.length];
    const dash = ['solid', 'dot', 'dashdot', 'longdash'][lrs.indexOf(c.lr) % 4];
    const name = `λ = ${c.lambda.toExponential(1)}, η = ${c.lr}`;
    traces.push({ x: c.t.slice(1), y: c.testAcc.slice(1), mode: 'lines', name, legendgroup: name, line: { color, dash, width: 2 }, xaxis: 'x', yaxis: 'y' });
    traces.push({ x: c.t.slice(1).map((t) => t * c.lambda), y: c.testAcc.slice(1), mode: 'lines', name, legendgroup: name, showlegend: false, line: { color, dash, width: 2 }, xaxis: 'x2', yaxis: 'y2' });
  });
  return {
    name: 'collapse_finite',
    title: 'Test accuracy against t and against λ·t — finite networks',
    subtitle: `${context}; left: physical time t = η·steps (solid and dotted: two learning rates); right: the same runs against λ·t, the paper's collapse axis, where the peaks line up near λ·t ≈ 1`,
    paperFigure: 'Mirrors Lewkowycz & Gur-Ari (2020), test accuracy against λ·t (and t·η·λ across learning rates): with the budget ∝ 1/λ the curves fall on one another.',
    traces,
    layout: { grid: { rows: 1, columns: 2, pattern: 'independent' }, xaxis: logAxis('t (η·steps)'), yaxis: linAxis('test accuracy'), xaxis2: logAxis('λ·t'), yaxis2: linAxis('test accuracy'), legend: { orientation: 'h', y: -0.25, x: 0 }, height: 700 },
    numbers: { curves: sweep.curves },
  };
}

/**
 * Test accuracy at the end of a fixed budget against λ, with the λ predicted from a short run. With several
 * seeds: grid means ± 1 standard error, each seed's accuracy as a faint dot, and each seed's prediction.
 * @param res - `predictLambda` (one seed) or `predictLambdaOverSeeds` result
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function fixedBudgetFigure(res: PredictLambdaResult | PredictLambdaSeedsResult, context: string): Figure {
  const multi = 'perSeed' in res;
  const first = multi ? res.perSeed[0] : res;
  const grid = multi
    ? res.grid.map((g) => ({ lambda: g.lambda, mean: g.meanFinalAcc, se: g.stderrFinalAcc, each: g.finalAcc }))
    : res.grid.map((g) => ({ lambda: g.lambda, mean: g.finalTestAcc, se: 0, each: [g.finalTestAcc] }));
  grid.sort((a, b) => a.lambda - b.lambda);
  const preds = multi ? res.perSeed.map((r) => ({ lambda: r.lambdaPredicted, acc: r.predicted.finalTestAcc, c: r.c })) : [{ lambda: res.lambdaPredicted, acc: res.predicted.finalTestAcc, c: res.c }];
  const nSeeds = preds.length;
  const traces: PlotlyObject[] = [];
  if (multi) {
    traces.push({ x: grid.flatMap((g) => g.each.map(() => g.lambda)), y: grid.flatMap((g) => g.each), mode: 'markers', name: 'constant λ, one seed', marker: { size: 6, color: STYLE.colors[0], opacity: 0.35 } });
  }
  traces.push({
    x: grid.map((g) => g.lambda),
    y: grid.map((g) => g.mean),
    ...(multi ? { error_y: { type: 'data', array: grid.map((g) => g.se), visible: true, thickness: 1.5, width: 5 } } : {}),
    mode: 'lines+markers',
    name: multi ? `constant λ, mean over ${nSeeds} seeds (± 1 s.e.)` : 'constant λ, accuracy at the end of the budget',
    marker: { size: 9, color: STYLE.colors[0] },
    line: { color: STYLE.colors[0], width: 2 },
  });
  const cText = multi ? `c = ${res.c.mean.toFixed(3)} ± ${res.c.stderr.toFixed(3)}, one short run per seed at λ0 = ${first.lambda0}` : `c = ${res.c.toFixed(3)} from one run at λ0 = ${res.lambda0}`;
  traces.push({
    x: preds.map((p) => p.lambda),
    y: preds.map((p) => p.acc),
    mode: 'markers',
    name: multi ? `predicted λ = c/T of each seed (${cText})` : `predicted λ = c/T = ${preds[0].lambda.toExponential(2)} (${cText})`,
    marker: { size: 16, symbol: 'star', color: STYLE.colors[1] },
  });
  const gapText = multi
    ? res.gap === null
      ? 'n/a'
      : `${(100 * res.gap.mean).toFixed(2)} ± ${(100 * res.gap.stderr).toFixed(2)} points (paired over ${nSeeds} seeds)`
    : res.gap === null
      ? 'n/a'
      : `${(100 * res.gap).toFixed(2)} points`;
  return {
    name: 'fixed_budget_vs_lambda',
    title: `Performance at a fixed budget T = ${first.budget} against λ, and the predicted λ`,
    subtitle: `${context}; t* of the short run from its ${first.metric === 'loss' ? 'lowest test loss' : 'best test accuracy'}; gap of the predicted λ to the grid's best: ${gapText}`,
    paperFigure: 'Mirrors Lewkowycz & Gur-Ari (2020): test accuracy against λ at a fixed budget, and the λ predicted as c/T from a short run (their predicted-versus-actual best λ).',
    traces,
    layout: { xaxis: logAxis('λ'), yaxis: linAxis('test accuracy at the end of the budget'), legend: { orientation: 'h', y: -0.2, x: 0 }, height: 620 },
    numbers: { ...res },
  };
}

/**
 * Auto L2 against constant λ: test accuracy and λ against physical time (seed-mean curves).
 * @param res - an Auto L2 comparison (`compareAutoL2`)
 * @param context - the data and settings, shown as the subtitle
 * @param others - further comparisons (e.g. other λ0) drawn beside it
 * @returns the figure
 */
export function autoL2Figure(res: AutoL2CompareResult, context: string, others: AutoL2CompareResult[] = []): Figure {
  const traces: PlotlyObject[] = [];
  const autos = [res.auto, ...others.map((o) => o.auto)];
  const arms = [...autos, ...res.constants];
  arms.forEach((arm, i) => {
    const c0 = arm.curves[0];
    const meanAcc = c0.t.map((_, j) => arm.curves.reduce((s, c) => s + (c.testAcc[j] ?? NaN), 0) / arm.curves.length);
    const color = STYLE.colors[i % STYLE.colors.length];
    const isAuto = autos.includes(arm);
    const width = isAuto ? 3 : arm === res.best ? 2.5 : 1.5;
    traces.push({ x: c0.t.slice(1), y: meanAcc.slice(1), mode: 'lines', name: `${arm.label}: final ${arm.meanFinalAcc.toFixed(4)} ± ${arm.stderrFinalAcc.toFixed(4)}`, line: { color, width }, xaxis: 'x', yaxis: 'y' });
    if (isAuto) arm.curves.forEach((c, s) => traces.push({ x: c.t.slice(1), y: c.lambda.slice(1), mode: 'lines', name: `${arm.label}: λ(t) of each seed`, showlegend: s === 0, line: { color, width: 2, shape: 'hv' }, xaxis: 'x2', yaxis: 'y2' }));
    else traces.push({ x: [c0.t[1], c0.t[c0.t.length - 1]], y: [arm.lambda, arm.lambda], mode: 'lines', showlegend: false, line: { color, width: 1, dash: 'dot' }, xaxis: 'x2', yaxis: 'y2' });
  });
  traces.push({ x: [res.auto.curves[0].t[1], res.budget], y: [res.target, res.target], mode: 'lines', name: `target: best constant − 2 s.e. = ${res.target.toFixed(4)}`, line: { color: '#555', ...STYLE.theory }, xaxis: 'x', yaxis: 'y' });
  return {
    name: 'autol2_vs_constant',
    title: 'Auto L2 against constant λ at equal budget',
    subtitle: `${context}; budget T = ${res.budget}; ${res.auto.curves.length} seeds per arm (mean curves); ${[res, ...others].map((r) => `${r.auto.label}: gain ${(100 * r.accGain).toFixed(2)} points over the best constant, reached the target in ${r.auto.reachedBy}/${r.auto.finalAcc.length} seeds`).join('; ')}`,
    paperFigure: 'Mirrors Lewkowycz & Gur-Ari (2020), Auto L2 (λ0 = 0.1, ÷10 when progress stalls) against a tuned constant λ: accuracy and λ against time.',
    traces,
    layout: { grid: { rows: 1, columns: 2, pattern: 'independent' }, xaxis: logAxis('t (η·steps)'), yaxis: linAxis('test accuracy (mean over seeds)'), xaxis2: logAxis('t (η·steps)'), yaxis2: logAxis('λ(t)'), legend: { orientation: 'h', y: -0.25, x: 0 }, height: 680 },
    numbers: { ...res, others },
  };
}

/**
 * Kernel scale and test loss against time: theory, infinite-width flow and finite widths. The measured loss is
 * drawn wide and pale under the dashed flow of the same colour, so where they agree both stay visible.
 * @param res - a finite-versus-infinite study (`finiteVsInfinite`)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure
 */
export function kernelScaleFigure(res: FiniteVsInfiniteResult, context: string): Figure {
  const traces: PlotlyObject[] = [];
  res.widths.forEach((w, i) => {
    const color = STYLE.colors[i % STYLE.colors.length];
    traces.push({ x: w.kernelT.slice(1), y: w.kernelRatio.slice(1), mode: 'lines+markers', name: `width ${w.width}: measured Θ_t/Θ_0 (max deviation ${(100 * w.maxKernelDeviation).toFixed(1)}%)`, marker: { size: 6, color }, line: { color, width: 2 }, xaxis: 'x', yaxis: 'y' });
    traces.push({ x: w.t.slice(1), y: w.testLoss.slice(1), mode: 'lines', name: `width ${w.width}: test loss (measured)`, opacity: 0.45, line: { color, width: 5 }, xaxis: 'x2', yaxis: 'y2' });
    if (w.flowTestLoss) traces.push({ x: w.t.slice(1), y: w.flowTestLoss.slice(1), mode: 'lines', name: `width ${w.width}: infinite-width flow from the same f0`, line: { color, ...STYLE.theory }, xaxis: 'x2', yaxis: 'y2' });
  });
  const w0 = res.widths[res.widths.length - 1];
  traces.push({ x: w0.kernelT.slice(1), y: w0.predictedRatio.slice(1), mode: 'lines', name: `theory: ${res.prediction}`, line: { color: '#222', ...STYLE.theory }, xaxis: 'x', yaxis: 'y' });
  return {
    name: 'kernel_scale',
    title: 'Kernel decay under L2: theory, infinite-width flow and finite widths',
    subtitle: `${context}; λ = ${res.lambda}, η = ${res.lr}, MSE; left: kernel scale, the trace of the empirical NTK on ${res.probe} probe points relative to t = 0, against the theory with Λ(t) = ∫₀ᵗ λ ds (= λt here: λ is constant) and L = ${res.depth} weight layers; right: test loss (1/2m)Σ_i |f(x_i) − y_i|² over the m test points x_i (pale: measured; dashed: infinite-width flow)`,
    paperFigure: 'Mirrors the kernel-decay result of Lewkowycz & Gur-Ari (2020), Θ_t = Θ_0·exp(−2(L−1)λt) at infinite width, checked on finite networks of growing width.',
    traces,
    layout: { grid: { rows: 1, columns: 2, pattern: 'independent' }, xaxis: logAxis('t (η·steps)'), yaxis: logAxis('kernel scale Θ_t / Θ_0'), xaxis2: logAxis('t (η·steps)'), yaxis2: logAxis('test loss (1/2m)Σ|f − y|²'), legend: { orientation: 'h', y: -0.25, x: 0 }, height: 700 },
    numbers: { ...res },
  };
}

function fmtSlope(f: { slope: number; stderr: number; runs: number }): string {
  if (!Number.isFinite(f.slope)) return `n/a (${f.runs} runs)`;
  return Number.isFinite(f.stderr) ? `${f.slope.toFixed(3)} ± ${f.stderr.toFixed(3)}` : `${f.slope.toFixed(3)} (${f.runs} runs)`;
}
