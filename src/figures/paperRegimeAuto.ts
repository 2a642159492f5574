import type { AutoL2CompareResult } from '../experiments/autoL2Compare.js';
import type { SweepResult } from '../experiments/sweep.js';
import { STYLE, type Figure, type PlotlyObject } from './figure.js';
import { autoL2Figure } from './finite.js';

// The two paper-regime figures of issue 13 (items 4 and 5): Auto L2 on the BatchNorm net, and the collapse of
// λ·t* across learning rates with momentum.

const logAxis = (title: string): PlotlyObject => ({ type: 'log', title: { text: title }, exponentformat: 'power' });

/**
 * Auto L2 against constant λ on the BatchNorm net: the seed-mean test accuracy and λ(t) of every arm (drawn as
 * `autoL2Figure` draws them), plus, per seed, the time each of Auto L2 and the best constant λ first reached the
 * target (markers at the upper end of the interval that holds it, on the target line).
 * @param res - the comparison (`compareAutoL2` on the 'wrn' setup)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure, named 'autol2_batchnorm'
 */
export function autoL2BatchNormFigure(res: AutoL2CompareResult, context: string): Figure {
  const base = autoL2Figure(res, context);
  const reach = (arm: typeof res.auto, color: string, symbol: string): PlotlyObject => {
    const seeds = arm.curves.map((c) => c.seed);
    const ok = arm.tReach.map((t, i) => ({ t, seed: seeds[i] })).filter((x) => Number.isFinite(x.t));
    return {
      x: ok.map((x) => x.t),
      y: ok.map(() => res.target),
      text: ok.map((x) => `seed ${x.seed}`),
      mode: 'markers',
      name: `${arm.label}: first time at the target, per seed (${arm.reachedBy}/${arm.finalAcc.length} seeds reached it)`,
      marker: { size: 11, symbol, color, line: { color: '#222', width: 1 } },
      xaxis: 'x',
      yaxis: 'y',
    };
  };
  const fmt = (t: number) => (Number.isFinite(t) ? t.toPrecision(3) : '∞');
  // as the claim: a target the untrained nets already meet says nothing about speed
  const initial = Math.max(...[res.auto, res.best].flatMap((a) => a.curves.map((c) => c.testAcc[0])));
  const trivial = res.target > initial ? '' : `; the target is not above the initial test accuracy (${initial.toFixed(4)}): the nets did not learn enough within the budget to compare speeds`;
  return {
    ...base,
    name: 'autol2_batchnorm',
    title: 'Auto L2 against constant λ — BatchNorm net, SGD with momentum',
    subtitle: `${base.subtitle}; median time to the target: Auto L2 ${fmt(res.auto.medianTReach)}, best constant (${res.best.label}) ${fmt(res.best.medianTReach)}${trivial}`,
    paperFigure:
      'Mirrors Lewkowycz & Gur-Ari (2020), Fig. 1c: Auto L2 (λ0 = 0.1, λ ÷ 10 whenever the mini-batch loss or accuracy stalls, measured every 10 steps) against the best constant λ of a grid at the same budget, on a Wide ResNet with BatchNorm trained with momentum — here a depth-10 WRN-style net on 14×14 digits.',
    traces: [...base.traces, reach(res.auto, STYLE.colors[0], 'star'), reach(res.best, STYLE.colors[1 + res.constants.indexOf(res.best)], 'diamond')],
    numbers: { ...res },
  };
}

/**
 * The collapse across learning rates with momentum: left, test accuracy of every run against λ·t (one colour per
 * η, one line style per λ); right, λ·t* against η (log axis), one marker series per λ, for t* of the best test
 * accuracy (filled) and of the lowest test loss (open); runs whose t* is at the end of the budget drawn as
 * triangles and left out of the claim.
 * @param sweep - the sweep (`lambdaSweep` with momentum over ≥ 3 η)
 * @param context - the data and settings, shown as the subtitle
 * @returns the figure, named 'collapse_momentum'
 */
export function momentumCollapseFigure(sweep: SweepResult, context: string): Figure {
  const traces: PlotlyObject[] = [];
  const lrs = [...new Set(sweep.rows.map((r) => r.lr))].sort((a, b) => a - b);
  const lam = [...new Set(sweep.rows.map((r) => r.lambda))].sort((a, b) => a - b);
  const dashes = ['solid', 'dot', 'dashdot', 'longdash'];
  // one legend entry per (η, λ), toggling every seed's curve: with several seeds a legend per curve overran the axes
  const inLegend = new Set<string>();
  sweep.curves.forEach((c) => {
    const color = STYLE.colors[lrs.indexOf(c.lr) % STYLE.colors.length];
    const dash = dashes[lam.indexOf(c.lambda) % dashes.length];
    const group = `η = ${c.lr}, λ = ${c.lambda}`;
    const showlegend = !inLegend.has(group);
    inLegend.add(group);
    traces.push({ x: c.t.slice(1).map((t) => t * c.lambda), y: c.testAcc.slice(1), mode: 'lines', name: `${group}${c.seed ? `, seed ${c.seed}` : ''}`, legendgroup: group, showlegend, line: { color, dash, width: 2 }, xaxis: 'x', yaxis: 'y' });
  });
  lam.forEach((l, i) => {
    const color = STYLE.colors[(lrs.length + i) % STYLE.colors.length];
    const rows = sweep.rows.filter((r) => r.lambda === l);
    const ok = rows.filter((r) => !r.accAtEdge);
    const edge = rows.filter((r) => r.accAtEdge);
    const okLoss = rows.filter((r) => !r.lossAtEdge);
    // one line per seed across η (joined across seeds it zigzagged), one legend entry per λ
    const seeds = [...new Set(ok.map((r) => r.seed))].sort((a, b) => a - b);
    const group = `λ = ${l}: λ·t* of the best test accuracy`;
    // no run kept: an empty trace, so the legend still lists λ
    (seeds.length ? seeds : [null]).forEach((seed, k) => {
      const mine = ok.filter((r) => r.seed === seed).sort((a, b) => a.lr - b.lr);
      traces.push({ x: mine.map((r) => r.lr), y: mine.map((r) => r.lambdaTStarAcc), mode: 'lines+markers', name: group, legendgroup: group, showlegend: k === 0, marker: { size: 11, symbol: 'circle', color }, line: { color, width: 1.5 }, xaxis: 'x2', yaxis: 'y2' });
    });
    if (okLoss.length) traces.push({ x: okLoss.map((r) => r.lr), y: okLoss.map((r) => r.lambdaTStarLoss), mode: 'markers', name: `λ = ${l}: λ·t* of the lowest test loss`, marker: { size: 9, symbol: 'diamond-open', color, line: { color, width: 2 } }, xaxis: 'x2', yaxis: 'y2' });
    if (edge.length) traces.push({ x: edge.map((r) => r.lr), y: edge.map((r) => r.lambdaTStarAcc), mode: 'markers', name: `λ = ${l}: accuracy still rising at the end of the budget (left out)`, marker: { size: 11, symbol: 'triangle-up-open', color, line: { color, width: 2 } }, xaxis: 'x2', yaxis: 'y2' });
  });
  return {
    name: 'collapse_momentum',
    title: 'λ·t* against the learning rate, with momentum — the collapse across η',
    subtitle: `${context}; η ∈ {${lrs.join(', ')}}, λ ∈ {${lam.join(', ')}}; left: test accuracy against λ·t (colour: η, line style: λ); right: λ·t* against η (flat: t* = c/λ whatever η); physical time t = η·steps, so with momentum μ the peak sits near (1 − μ) times the plain-SGD λ·t*`,
    paperFigure: 'Mirrors Lewkowycz & Gur-Ari (2020), Fig. 2: with SGD and momentum, t*·λ is flat across learning rates (and curves against λ·t collapse), here for their CNN at MNIST scale.',
    traces,
    layout: {
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: logAxis('λ·t'),
      yaxis: { title: { text: 'test accuracy' } },
      xaxis2: logAxis('learning rate η'),
      yaxis2: logAxis('λ·t*'),
      // below the axis titles, and the figure taller by the legend's rows (two entries a row)
      legend: { orientation: 'h', y: -0.3, yanchor: 'top', x: 0 },
      height: 560 + 26 * Math.ceil(traces.filter((t) => t.showlegend !== false).length / 2),
    },
    numbers: { rows: sweep.rows, perLr: sweep.perLr, cSpreadAcc: sweep.cSpreadAcc, cSpreadLoss: sweep.cSpreadLoss, curves: sweep.curves },
  };
}
