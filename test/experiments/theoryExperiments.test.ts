import { describe, expect, it } from 'vitest';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { kernelRidgeTestMse } from '../../src/dynamics/kernelRidge.js';
import { mseOverTime } from '../../src/dynamics/observables.js';
import type { ScanResult, ScanRow } from '../../src/experiments/lambdaScan.js';
import { linearVsDeep } from '../../src/experiments/linearVsDeep.js';
import { tStarFitLines } from '../../src/experiments/tStarFit.js';
import { analyticKernel } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import { linearVsDeepFigure, tstarTheoryFigure } from '../../src/figures/theory.js';
import { randomMatrix } from '../helpers.js';

describe('linearVsDeep: the theory computation behind the linear-versus-deep figure', async () => {
  // 40 train / 30 test random points, a bias-free ReLU NTK with 3 Dense layers, 2 outputs
  const spec = parseSpec('dense(64, wStd=1.41421356) > relu > dense(64, wStd=1.41421356) > relu > dense(2, wStd=1.41421356)');
  const x = randomMatrix(40, 6, 1);
  const xTest = randomMatrix(30, 6, 2);
  const y = randomMatrix(40, 2, 3);
  const yTest = randomMatrix(30, 2, 4);
  const thetaTrain = (await analyticKernel(spec, x, undefined, { get: 'ntk' })).ntk!;
  const thetaTest = (await analyticKernel(spec, xTest, x, { get: 'ntk' })).ntk!;
  const eb = eigenbasis({ thetaTrain, thetaTest, y, yTest });
  const lambda = 1e-2;
  const r = linearVsDeep(eb, lambda);

  it('the linear model ends at kernel ridge regression (solved directly, Cholesky); the deep ones end at f = 0', () => {
    // at t = 1e3/λ every linear mode has relaxed by e^{−(κ+λ)t} ≤ e^{−1000}, every deep output by e^{−Lλt}:
    // what is left is rounding (float64; the two routes differ by ~1e-12 relative)
    const krr = kernelRidgeTestMse(thetaTrain, thetaTest, y, yTest, lambda);
    const last = (v: number[]) => v[v.length - 1];
    expect(Math.abs(last(r.testMse.L1) / krr - 1)).toBeLessThan(1e-9);
    const zero = mseOverTime(new Float64Array(30 * 2), yTest, 1)[0];
    expect(Math.abs(last(r.testMse.L2) / zero - 1)).toBeLessThan(1e-9);
    expect(Math.abs(last(r.testMse.L3) / zero - 1)).toBeLessThan(1e-9);
    // the deep model is not the linear one: it peaks below f = 0's MSE before returning there
    expect(Math.min(...r.testMse.L3)).toBeLessThan(zero);
  });

  it('grids and filters: t ∈ [1e-2, 1e3/λ] (300), κ ∈ λ·[1e-3, 1e3] (200); filters at κ = λ and at the half-learned points', () => {
    expect([r.times.length, r.times[0], r.times[299] / (1e3 / lambda)]).toEqual([300, 1e-2, 1]);
    expect([r.kappaGrid.length, r.kappaGrid[0] / (lambda * 1e-3), r.kappaGrid[199] / (lambda * 1e3)].map((v) => +v.toPrecision(12))).toEqual([200, 1, 1]);
    expect(Object.keys(r.testMse)).toEqual(['L1', 'L2', 'L3']);
    // κ/(κ + λ) is 1/2 at κ = λ (the grid's middle is λ·10^{0.015}: interpolate in log κ between its two neighbours)
    const at = (vals: number[], kappa: number) => {
      const i = r.kappaGrid.findIndex((k) => k > kappa);
      const w = Math.log(kappa / r.kappaGrid[i - 1]) / Math.log(r.kappaGrid[i] / r.kappaGrid[i - 1]);
      return vals[i - 1] * (1 - w) + vals[i] * w;
    };
    expect(Math.abs(at(r.linearFilter, lambda) - 0.5)).toBeLessThan(1e-3);
    // 1 − e^{−κ/(2(L−1)λ)} is 1/2 at κ = 2(L−1)λ·ln 2
    for (const { depth, values } of r.deepFilters) expect(Math.abs(at(values, 2 * (depth - 1) * lambda * Math.LN2) - 0.5)).toBeLessThan(1e-3);
    expect(r.kappa.length).toBe(Array.from(eb.kappa).filter((k) => k > 0).length);
  });

  it('the figure draws the result unchanged and keeps its numbers', () => {
    const fig = linearVsDeepFigure(r, 'test');
    expect(fig.traces[0].y).toBe(r.testMse.L1);
    expect(fig.traces[3].y).toBe(r.linearFilter);
    expect(fig.numbers).toEqual({ lambda, times: r.times, testMse: r.testMse, kappa: r.kappa });
  });
});

describe('tStarFitLines', () => {
  const row = (lambda: number, tStarMse: number, tStarAcc: number, edge = false): ScanRow => ({
    lambda,
    tStarMse,
    lambdaTStarMse: lambda * tStarMse,
    bestTestMse: 0,
    tStarAcc,
    lambdaTStarAcc: lambda * tStarAcc,
    bestTestAcc: 0,
    finalTestMse: 0,
    finalTestAcc: 0,
    mseAtEdge: edge,
    accAtEdge: edge,
  });

  it('runs through interior points that lie on a power law, whatever the edge points do; the −1 reference passes the first row', () => {
    const lambdas = [1e-4, 1e-3, 1e-2, 1e-1];
    const rows = lambdas.map((l, i) => row(l, 0.3 * l ** -0.9, 2 * l ** -0.8, i === 3));
    rows[3].tStarMse = 123; // an edge row off the line: left out of the fit
    rows[3].tStarAcc = 456;
    const scan: ScanResult = { depth: 3, rows, slopeMse: { slope: -0.9, stderr: 0, points: 3 }, slopeAcc: { slope: -0.8, stderr: 0, points: 3 }, curves: [] };
    const fit = tStarFitLines(scan);
    lambdas.forEach((l, i) => {
      expect(Math.abs(fit.mse[i] / (0.3 * l ** -0.9) - 1)).toBeLessThan(1e-12);
      expect(Math.abs(fit.acc[i] / (2 * l ** -0.8) - 1)).toBeLessThan(1e-12);
      expect(Math.abs((fit.reference[i] * l) / (rows[0].tStarMse * rows[0].lambda) - 1)).toBeLessThan(1e-12);
    });
    const fig = tstarTheoryFigure(scan, fit, 'test');
    expect([fig.traces[1].y, fig.traces[3].y, fig.traces[4].y]).toEqual([fit.mse, fit.acc, fit.reference]);
  });
});
