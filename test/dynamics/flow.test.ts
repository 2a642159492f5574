import { describe, expect, it } from 'vitest';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { accuracyOverTime, bestTime, kernelScale, logLogSlope, mseOverTime } from '../../src/dynamics/observables.js';
import type { FlowProblem } from '../../src/dynamics/problem.js';
import { constantSchedule, type LambdaSchedule } from '../../src/dynamics/schedule.js';
import { scheduledSolve } from '../../src/dynamics/scheduledFlow.js';
import { spectralSolve, spectralTrajectory } from '../../src/dynamics/spectral.js';
import { trajectoryCurves, trajectoryOutputs } from '../../src/dynamics/trajectory.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { serial } from '../../src/layers/serial.js';
import { getLinalg } from '../../src/linalg/index.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

/** A small real flow problem: the bias-free ReLU NTK of random inputs, 2 outputs, random f0. */
function smallProblem(): FlowProblem {
  const spec = serial(dense(64, { wStd: 1.4 }), relu(), dense(64, { wStd: 1.4 }), relu(), dense(2, { wStd: 1.4 }));
  const x = randomMatrix(12, 6, 31);
  const xt = randomMatrix(5, 6, 32);
  return {
    thetaTrain: analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!,
    thetaTest: analyticKernelSync(spec, xt, x, { get: 'ntk' }).ntk!,
    y: randomMatrix(12, 2, 33),
    yTest: randomMatrix(5, 2, 34),
    f0: randomMatrix(12, 2, 35, 0.3),
    f0Test: randomMatrix(5, 2, 36, 0.3),
  };
}

/**
 * Independent check: classic RK4 with a tiny fixed step on the ORIGINAL equations (full matrices, no
 * eigendecomposition):  f' = −(1/n)e^{−aΛ}Θ(f − Y) − Lλf,  f*' = −(1/n)e^{−aΛ}Θ*(f − Y) − Lλf*.
 */
function bruteForce(p: FlowProblem, schedule: LambdaSchedule, depth: number, times: number[], h: number): { train: Float64Array[]; test: Float64Array[] } {
  const n = p.thetaTrain.rows;
  const k = p.y.cols;
  const m = p.thetaTest!.rows;
  const lamAt = (t: number) => {
    let i = 0;
    while (i + 1 < schedule.starts.length && schedule.starts[i + 1] <= t) i++;
    return schedule.values[i];
  };
  const bigLambda = (t: number) => {
    let acc = 0;
    for (let i = 0; i < schedule.starts.length; i++) {
      const a = schedule.starts[i];
      const b = i + 1 < schedule.starts.length ? schedule.starts[i + 1] : Infinity;
      if (t > a) acc += schedule.values[i] * (Math.min(t, b) - a);
    }
    return acc;
  };
  const size = (n + m) * k;
  const rhs = (t: number, s: Float64Array, ds: Float64Array) => {
    const lam = lamAt(t);
    const decay = Math.exp(-2 * (depth - 1) * bigLambda(t)) / n;
    for (let i = 0; i < n + m; i++) {
      for (let c = 0; c < k; c++) {
        let acc = 0;
        for (let j = 0; j < n; j++) {
          const th = i < n ? p.thetaTrain.data[i * n + j] : p.thetaTest!.data[(i - n) * n + j];
          acc += th * (s[j * k + c] - p.y.data[j * k + c]);
        }
        ds[i * k + c] = -decay * acc - depth * lam * s[i * k + c];
      }
    }
  };
  let s = new Float64Array(size);
  s.set(p.f0!.data, 0);
  s.set(p.f0Test!.data, n * k);
  const k1 = new Float64Array(size), k2 = new Float64Array(size), k3 = new Float64Array(size), k4 = new Float64Array(size), tmp = new Float64Array(size);
  let t = 0;
  const train: Float64Array[] = [];
  const test: Float64Array[] = [];
  // step exactly onto every output time and schedule jump
  const stops = [...new Set([...times, ...schedule.starts.slice(1)])].sort((a, b) => a - b);
  for (const stop of stops) {
    while (t < stop - 1e-12) {
      const dt = Math.min(h, stop - t);
      rhs(t, s, k1);
      for (let q = 0; q < size; q++) tmp[q] = s[q] + (dt / 2) * k1[q];
      rhs(t + dt / 2, tmp, k2);
      for (let q = 0; q < size; q++) tmp[q] = s[q] + (dt / 2) * k2[q];
      rhs(t + dt / 2, tmp, k3);
      for (let q = 0; q < size; q++) tmp[q] = s[q] + dt * k3[q];
      // evaluate the end of the step just inside the current piece of the schedule
      rhs(t + dt * (1 - 1e-12), tmp, k4);
      const next = new Float64Array(size);
      for (let q = 0; q < size; q++) next[q] = s[q] + (dt / 6) * (k1[q] + 2 * k2[q] + 2 * k3[q] + k4[q]);
      s = next;
      t += dt;
    }
    t = stop;
    if (times.includes(stop)) {
      train.push(s.slice(0, n * k));
      test.push(s.slice(n * k));
    }
  }
  return { train, test };
}

/** max |a − b| / scale, with scale = max |b| unless given. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, scale?: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / (scale ?? den);
}

/** The size of a trajectory: max |f| over all times and points. */
const sizeOf = (traj: ArrayLike<number>[]): number => Math.max(...traj.map((a) => Math.max(...Array.from(a, Math.abs))));

describe('closed form vs adaptive integrator vs brute-force RK4 (agreement 1e-8)', () => {
  const p = smallProblem();
  const eb = eigenbasis(p);
  const lambda = 0.05;
  // 1e-8 relative to the size of the trajectory (max |f| over all times): for L ≥ 2 the outputs decay to ~1e-40
  // by t = 50/λ, where a pointwise relative error would compare rounding noise. RK4 at h = 0.01 has a global
  // error far below 1e-8 here (κ_max·h ≈ 0.02); DOPRI runs at rtol 1e-11.
  for (const depth of [1, 2, 3, 5]) {
    it(`L = ${depth}, t up to 50/λ`, () => {
      const times = [0.5, 3, 20, 100, 400, 1000];
      const tArr = Float64Array.from(times);
      const closed = spectralSolve(eb, lambda, depth, tArr);
      const ode = scheduledSolve(eb, constantSchedule(lambda), depth, tArr);
      const brute = bruteForce(p, constantSchedule(lambda), depth, times, 0.01);
      const n = 12, k = 2, m = 5;
      const sTrain = sizeOf(brute.train);
      const sTest = sizeOf(brute.test);
      let worst = 0;
      for (let j = 0; j < times.length; j++) {
        const cTrain = closed.fTrain.subarray(j * n * k, (j + 1) * n * k);
        const cTest = closed.fTest!.subarray(j * m * k, (j + 1) * m * k);
        const errs = [
          relDiff(cTrain, brute.train[j], sTrain),
          relDiff(cTest, brute.test[j], sTest),
          relDiff(ode.fTrain.subarray(j * n * k, (j + 1) * n * k), cTrain, sTrain),
          relDiff(ode.fTest!.subarray(j * m * k, (j + 1) * m * k), cTest, sTest),
        ];
        worst = Math.max(worst, ...errs);
        for (const e of errs) expect(e).toBeLessThan(1e-8);
      }
      console.info(`L = ${depth}: worst disagreement among closed form, DOPRI5 and RK4: ${worst.toExponential(2)} (relative to max |f|)`);
    }, 60_000);
  }

  it('a piecewise-constant schedule: integrator vs brute force (1e-8)', () => {
    const schedule = { starts: [0, 40, 150], values: [0.05, 0.005, 0.0005] };
    const times = [10, 40, 100, 150, 600];
    const ode = scheduledSolve(eb, schedule, 3, Float64Array.from(times));
    const brute = bruteForce(p, schedule, 3, times, 0.02);
    for (let j = 0; j < times.length; j++) {
      expect(relDiff(ode.fTrain.subarray(j * 24, (j + 1) * 24), brute.train[j], sizeOf(brute.train))).toBeLessThan(1e-8);
      expect(relDiff(ode.fTest!.subarray(j * 10, (j + 1) * 10), brute.test[j], sizeOf(brute.test))).toBeLessThan(1e-8);
    }
  }, 60_000);
});

describe('limits', () => {
  const p = smallProblem();
  const noF0: FlowProblem = { ...p, f0: null, f0Test: null };
  const eb = eigenbasis(noF0);
  const linalg = getLinalg();
  it('L = 1 converges to kernel ridge regression Θ(Θ + nλ)⁻¹Y on train and test (1e-9)', () => {
    const lambda = 0.01;
    const n = 12;
    const reg: Mat = { rows: n, cols: n, data: p.thetaTrain.data.map((v, i) => v + (i % (n + 1) === 0 ? n * lambda : 0)) };
    const alpha = linalg.choleskySolve(reg, p.y);
    const krrTrain = linalg.gemm(p.thetaTrain, alpha).data;
    const krrTest = linalg.gemm(p.thetaTest!, alpha).data;
    const sol = spectralSolve(eb, lambda, 1, Float64Array.from([1e5]));
    expect(relDiff(sol.fTrain, krrTrain)).toBeLessThan(1e-9);
    expect(relDiff(sol.fTest!, krrTest)).toBeLessThan(1e-9);
  });
  it('L ≥ 2: f → 0 at late times', () => {
    for (const depth of [2, 3, 5]) {
      const sol = spectralSolve(eb, 0.05, depth, Float64Array.from([1, 1e4]));
      const early = Math.max(...Array.from(sol.fTrain.subarray(0, 24), Math.abs));
      const late = Math.max(...Array.from(sol.fTrain.subarray(24), Math.abs), ...Array.from(sol.fTest!.subarray(10), Math.abs));
      expect(early).toBeGreaterThan(0.01);
      expect(late).toBeLessThan(1e-12);
    }
  });
  it('the kernel scale follows exp(−2(L−1)Λ(t)) for schedules', () => {
    const s = { starts: [0, 10], values: [0.1, 0.01] };
    expect(kernelScale(3, s, 5)).toBeCloseTo(Math.exp(-4 * 0.5), 14);
    expect(kernelScale(3, s, 30)).toBeCloseTo(Math.exp(-4 * (1 + 0.2)), 14);
    expect(kernelScale(1, s, 30)).toBe(1);
  });
});

describe('curves without forming f', () => {
  it('train MSE from the eigenbasis and test curves equal those of the full outputs (1e-12)', () => {
    const p = smallProblem();
    const eb = eigenbasis(p);
    const times = Float64Array.from([0.3, 4, 40, 400]);
    for (const depth of [1, 3]) {
      const tr = spectralTrajectory(eb, 0.02, depth, times);
      const c = trajectoryCurves(eb, tr);
      const full = trajectoryOutputs(eb, tr);
      expect(relDiff(c.trainMse, mseOverTime(full.fTrain, p.y, 4))).toBeLessThan(1e-12);
      expect(relDiff(c.testMse!, mseOverTime(full.fTest!, p.yTest!, 4))).toBeLessThan(1e-12);
      expect(Array.from(c.testAcc!)).toEqual(Array.from(accuracyOverTime(full.fTest!, p.yTest!, 4)));
    }
  });
});

describe('observables', () => {
  it('MSE, accuracy, best time and log-log slope', () => {
    const y: Mat = { rows: 2, cols: 2, data: Float64Array.from([1, 0, 0, 1]) };
    const f = Float64Array.from([1, 0, 0, 1, /* t1 */ 0, 1, 0, 1]);
    expect(Array.from(mseOverTime(f, y, 2))).toEqual([0, 1]);
    expect(Array.from(accuracyOverTime(f, y, 2))).toEqual([1, 0.5]);
    const times = Float64Array.from([1, 2, 4, 8, 16]);
    const vals = times.map((t) => (Math.log(t) - Math.log(5)) ** 2);
    expect(bestTime(vals, times, 'min').t).toBeCloseTo(5, 10); // exact for a parabola in log t
    // a monotone fall to a plateau, with a one-ulp dip on the flat tail: the edge, not an interior t*
    const plateau = 0.3;
    const tail = Float64Array.from([0.9, 0.5, plateau, plateau - 2 ** -54, plateau]);
    expect(bestTime(tail, times, 'min')).toEqual({ t: 16, value: plateau, index: 4, atEdge: true });
    // a real interior minimum (far beyond rounding below both ends) stays interior
    const dip = Float64Array.from([0.9, 0.5, plateau - 1e-6, plateau - 2e-6, plateau]);
    expect(bestTime(dip, times, 'min')).toMatchObject({ index: 3, atEdge: false });
    const fit = logLogSlope([1, 10, 100], [3, 0.3, 0.03]);
    expect(fit.slope).toBeCloseTo(-1, 12);
    expect(fit.stderr).toBeLessThan(1e-12);
  });
});

describe('bad input', () => {
  const p = smallProblem();
  it('names the problem', () => {
    expect(() => eigenbasis({ ...p, thetaTrain: { rows: 12, cols: 11, data: new Float64Array(132) } })).toThrow(/must be square/);
    const asym = Float64Array.from(p.thetaTrain.data);
    asym[1] += 1;
    expect(() => eigenbasis({ ...p, thetaTrain: { rows: 12, cols: 12, data: asym } })).toThrow(/not symmetric: entry .* \(beyond the round-off tolerance 1e-10·max\|Θ\| = /);
    expect(() => eigenbasis({ ...p, y: randomMatrix(11, 2, 1) })).toThrow(/Y has 11 rows/);
    const nan = Float64Array.from(p.y.data);
    nan[3] = NaN;
    expect(() => eigenbasis({ ...p, y: { rows: 12, cols: 2, data: nan } })).toThrow(InputError);
    const eb = eigenbasis(p);
    expect(() => spectralSolve(eb, -0.1, 2, Float64Array.from([1]))).toThrow(/λ must be ≥ 0/);
    expect(() => spectralSolve(eb, 0.1, 0, Float64Array.from([1]))).toThrow(/depth L must be an integer ≥ 1/);
    expect(() => spectralSolve(eb, 0.1, 2, Float64Array.from([2, 1]))).toThrow(/strictly increasing/);
    expect(() => scheduledSolve(eb, { starts: [0, 5], values: [0.1, -1] }, 2, Float64Array.from([1]))).toThrow(/λ must be ≥ 0/);
  });
});
