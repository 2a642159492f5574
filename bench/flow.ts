/**
 * L2 flow at N = 2000 training points, 64 λ values, 200 output times, float64:
 * the closed-form spectral solver (one eigendecomposition, then every λ) beside, per λ,
 *  (a) our adaptive integrator (DOPRI5) on the original equations in function space — the n×k train and
 *      m×k test outputs, one product with [Θ; Θ*]/n per stage, no eigendecomposition (what integrating the
 *      flow means without the spectral solver; neural-tangents' ODE path for general losses works this way),
 *  (a') the same integrator in the eigenbasis of Θ/n (4 response functions per mode; it needs the
 *      eigendecomposition too, so it is a hybrid of the two), and
 *  (b) scipy's solve_ivp on the eigenbasis problem, in one run.
 * Every solver produces, for every λ, the train MSE, test MSE and test accuracy at the 200 times (what a λ
 * scan needs).
 * Beside the spectral solver, in the same run, (k) the block Krylov (Lanczos) solver (src/dynamics/krylovFlow.ts):
 * the same 64 λ × 200 times (tolerance 1e-8 on every train/test MSE value), and the `ntk scan` λ scan (13 λ in
 * [1e-4, 1e-1], 300 λ·t points, L = 2 and 3) by both solvers, t* compared in grid steps (issue 17 acceptance).
 * Run: npx tsx bench/flow.ts [N=2000] [eigenbasis-integrator λ count=64] [scipy λ count=8] [original-equations λ count=4]
 * (a count of 0 skips that solver: `npx tsx bench/flow.ts 8000 0 0 0` is spectral beside Krylov only)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { float64Arrays, type F64Batch } from '../src/dynamics/arrays.js';
import { integrateDopri } from '../src/dynamics/dopri.js';
import { eigenbasis } from '../src/dynamics/eigenbasis.js';
import { accuracyOverTime, mseOverTime } from '../src/dynamics/observables.js';
import { constantSchedule } from '../src/dynamics/schedule.js';
import { scheduledTrajectories } from '../src/dynamics/scheduledFlow.js';
import { curvesObservable, krylovCurves, krylovFlow } from '../src/dynamics/krylovFlow.js';
import { spectralTrajectory } from '../src/dynamics/spectral.js';
import { trajectoryCurves } from '../src/dynamics/trajectory.js';
import { bundledDataset } from '../src/experiments/dataset.js';
import { krylovLambdaScan, lambdaScan, logspace } from '../src/experiments/lambdaScan.js';
import { writeNpy } from '../src/io/npy.js';
import { analyticKernel } from '../src/kernels/analytic.js';
import { parseSpec } from '../src/layers/json.js';
import { getLinalg } from '../src/linalg/index.js';
import { inMemoryRowBlocks } from '../src/linalg/rowBlocks.js';
import { readFileSync } from 'node:fs';

const N = Number(process.argv[2] ?? 2000);
const integratorCount = Number(process.argv[3] ?? 64);
const scipyCount = Number(process.argv[4] ?? 8);
const directCount = Number(process.argv[5] ?? 4);
const depth = 3;
const lambdas = logspace(1e-3, 1e-1, 64);
const times = Float64Array.from(logspace(0.1, 1000, 200));
const linalg = getLinalg();
console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()}; linalg: ${linalg.name}`);
console.log(`L2 flow: N = ${N} train / 500 test MNIST digits, k = 10, L = ${depth}, 64 λ in [1e-3, 1e-1], 200 times in [0.1, 1000]`);

const data = bundledDataset(`mnist:${N}:500`);
const w = Math.SQRT2;
const spec = parseSpec(`dense(1024, wStd=${w}) > relu > dense(1024, wStd=${w}) > relu > dense(10, wStd=${w})`);
let t0 = performance.now();
const thetaTrain = (await analyticKernel(spec, data.x, undefined, { get: 'ntk' })).ntk!;
const thetaTest = (await analyticKernel(spec, data.xTest, data.x, { get: 'ntk' })).ntk!;
console.log(`analytic NTK (not part of the comparison): ${((performance.now() - t0) / 1000).toFixed(2)} s`);

// spectral: one eigendecomposition, then all 64 λ
t0 = performance.now();
const eb = eigenbasis({ thetaTrain, thetaTest, y: data.y, yTest: data.yTest }, linalg);
const tEig = (performance.now() - t0) / 1000;
t0 = performance.now();
const spectralLast: number[] = [];
let tSolve = 0;
for (const lambda of lambdas) {
  const s0 = performance.now();
  const tr = spectralTrajectory(eb, lambda, depth, times);
  tSolve += performance.now() - s0;
  const c = trajectoryCurves(eb, tr, linalg);
  spectralLast.push(c.trainMse[times.length - 1]);
}
const tSpectralLambdas = (performance.now() - t0) / 1000;
const tSpectral = tEig + tSpectralLambdas;
const solvePerLambda = tSolve / 1000 / 64;
const curvesPerLambda = tSpectralLambdas / 64 - solvePerLambda;
console.log(`spectral: eigendecomposition ${tEig.toFixed(2)} s + 64 λ ${tSpectralLambdas.toFixed(2)} s = ${tSpectral.toFixed(2)} s total`);
console.log(`  per λ: solve (mode responses) ${(solvePerLambda * 1000).toFixed(1)} ms + curves (test gemm, MSE, accuracy; shared by every solver) ${(curvesPerLambda * 1000).toFixed(1)} ms`);

// (k) the block Krylov solver on the same problem: Θ and Θ* read as row blocks (in memory here), no eigendecomposition
{
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const problem = { train: inMemoryRowBlocks(thetaTrain, 1024), test: inMemoryRowBlocks(thetaTest, 1024), y: data.y, yTest: data.yTest };
  const spectralTest: Float64Array[] = [];
  const spectralTrain: Float64Array[] = [];
  const spectralAcc: Float64Array[] = [];
  for (const lambda of lambdas) {
    const c = trajectoryCurves(eb, spectralTrajectory(eb, lambda, depth, times), linalg);
    spectralTest.push(c.testMse!);
    spectralTrain.push(c.trainMse);
    spectralAcc.push(c.testAcc!);
  }
  const relMax = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]) / Math.abs(b[i])), 0);
  let k0 = performance.now();
  const kf = krylovFlow(problem, { observe: curvesObservable(lambdas, depth, () => times, linalg), tol: 1e-8, linalg });
  const tBasis = (performance.now() - k0) / 1000;
  k0 = performance.now();
  let worstTest = 0;
  let worstTrain = 0;
  let accDiff = 0;
  lambdas.forEach((lambda, i) => {
    const c = krylovCurves(kf, lambda, depth, times, linalg);
    worstTest = Math.max(worstTest, relMax(c.testMse!, spectralTest[i]));
    worstTrain = Math.max(worstTrain, relMax(c.trainMse, spectralTrain[i]));
    const ref = spectralAcc[i];
    accDiff = Math.max(accDiff, c.testAcc!.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[j])), 0));
  });
  const tCurves = (performance.now() - k0) / 1000;
  console.log(
    `krylov (tol 1e-8): basis ${kf.size} vectors (${kf.basis.passes.train} passes over Θ, estimate ${kf.estimate.toExponential(1)}, ${kf.checks.length} checks) ${tBasis.toFixed(2)} s + 64 λ ${tCurves.toFixed(2)} s = ${(tBasis + tCurves).toFixed(2)} s total [load ${load()}]`,
  );
  console.log(`  vs spectral: test MSE ≤ ${worstTest.toExponential(2)} relative, train MSE ≤ ${worstTrain.toExponential(2)}, test accuracy ≤ ${accDiff} apart; time ratio spectral/krylov ${(tSpectral / (tBasis + tCurves)).toFixed(1)}×`);
  // the ntk scan λ scan (13 λ, 300 λ·t points): t* by both solvers, in grid steps
  const scanLambdas = logspace(1e-4, 1e-1, 13);
  const step = Math.log(1e5) / 299;
  for (const d of [2, 3]) {
    let s0 = performance.now();
    const sp = lambdaScan(eb, scanLambdas, d, { linalg });
    const tSp = (performance.now() - s0) / 1000;
    s0 = performance.now();
    const kr = krylovLambdaScan(problem, scanLambdas, d, { tol: 1e-8, linalg });
    const tKr = (performance.now() - s0) / 1000;
    let mseSteps = 0;
    let accSteps = 0;
    let curve = 0;
    sp.rows.forEach((r, i) => {
      mseSteps = Math.max(mseSteps, Math.abs(Math.log(kr.rows[i].tStarMse / r.tStarMse)) / step);
      accSteps = Math.max(accSteps, Math.abs(Math.log(kr.rows[i].tStarAcc / r.tStarAcc)) / step);
      curve = Math.max(curve, relMax(Float64Array.from(kr.curves[i].testMse), Float64Array.from(sp.curves[i].testMse)));
    });
    console.log(
      `scan L = ${d} (13 λ, 300 points): spectral ${tEig.toFixed(2)} + ${tSp.toFixed(2)} s, krylov ${tKr.toFixed(2)} s (basis ${kr.krylov.size}, estimate ${kr.krylov.estimate.toExponential(1)}) [load ${load()}]; ` +
        `largest t* difference ${mseSteps.toExponential(2)} grid steps (MSE), ${accSteps.toFixed(2)} (accuracy); test MSE curves ≤ ${curve.toExponential(2)} relative`,
    );
  }
}

// (a) our Dormand–Prince integrator on the original equations, per λ: state [f (n×k); f* (m×k)], f(0) = 0,
//   f' = −e^{−2(L−1)λt}·Θ(f − Y)/n − Lλf,  f*' = −e^{−2(L−1)λt}·Θ*(f − Y)/n − Lλf*.
// It takes as many steps as the eigenbasis integrator (same eigenvalues, same stability limit), each stage one
// (n+m)×n by n×k product; it costs 20–60 s per λ at N = 2000 here, so it runs on `directCount` λ spread over the grid
// and its per-λ mean stands for all 64.
if (directCount > 0) {
  const n = N;
  const m = data.xTest.rows;
  const k = data.y.cols;
  const stacked = { rows: n + m, cols: n, data: new Float64Array((n + m) * n) };
  for (let q = 0; q < n * n; q++) stacked.data[q] = thetaTrain.data[q] / n;
  for (let q = 0; q < m * n; q++) stacked.data[n * n + q] = thetaTest.data[q] / n;
  const picks = Array.from({ length: Math.min(directCount, 64) }, (_, j) => (directCount <= 1 ? 0 : Math.round((j * 63) / (directCount - 1))));
  let total = 0;
  let directSteps = 0;
  let worst = 0;
  for (const i of picks) {
    const lambda = lambdas[i];
    const s0 = performance.now();
    const resid = { rows: n, cols: k, data: new Float64Array(n * k) };
    const rhs = (t: number, y: F64Batch): F64Batch => {
      for (let q = 0; q < n * k; q++) resid.data[q] = y.data[q] - data.y.data[q];
      const p = linalg.gemm(stacked, resid);
      const d = Math.exp(-2 * (depth - 1) * lambda * t);
      const s = depth * lambda;
      const out = new Float64Array(y.data.length);
      for (let q = 0; q < out.length; q++) out[q] = -d * p.data[q] - s * y.data[q];
      return { batch: 1, size: y.size, data: out };
    };
    const y0 = float64Arrays.fromRows(new Float64Array((n + m) * k), 1, (n + m) * k);
    const r = integrateDopri(float64Arrays, rhs, y0, times, { rtol: 1e-11, atol: 1e-14 });
    const T = times.length;
    const fTrain = new Float64Array(T * n * k);
    const fTest = new Float64Array(T * m * k);
    for (let j = 0; j < T; j++) {
      fTrain.set(r.y.subarray(j * (n + m) * k, j * (n + m) * k + n * k), j * n * k);
      fTest.set(r.y.subarray(j * (n + m) * k + n * k, (j + 1) * (n + m) * k), j * m * k);
    }
    const trainMse = mseOverTime(fTrain, data.y, T);
    mseOverTime(fTest, data.yTest, T);
    accuracyOverTime(fTest, data.yTest, T);
    total += (performance.now() - s0) / 1000;
    directSteps += r.steps;
    worst = Math.max(worst, Math.abs(trainMse[T - 1] - spectralLast[i]) / spectralLast[i]);
    console.log(`  original equations, λ = ${lambda.toExponential(2)}: ${((performance.now() - s0) / 1000).toFixed(1)} s, ${r.steps} steps`);
  }
  const perLambda = total / picks.length;
  console.log(
    `(a) our integrator on the original equations (DOPRI5, rtol 1e-11) per λ: ${perLambda.toFixed(2)} s (mean of ${picks.length} λ across the grid, ${Math.round(directSteps / picks.length)} steps each); final train MSE agrees with spectral to ${worst.toExponential(1)}`,
  );
  console.log(`ratio (a)/spectral, 64 λ end to end: ${((perLambda * 64) / tSpectral).toFixed(1)}×  (target ≥ 50×; spectral total target < 10 s)`);
}

// (a') our Dormand–Prince integrator in the eigenbasis, per λ (same eigenbasis, same outputs)
if (integratorCount > 0) {
t0 = performance.now();
let maxDiff = 0;
let steps = 0;
let tOdeSolve = 0;
for (let i = 0; i < integratorCount; i++) {
  const s0 = performance.now();
  const r = scheduledTrajectories(eb, [constantSchedule(lambdas[i])], depth, times, { linalg });
  tOdeSolve += performance.now() - s0;
  steps += r.steps;
  const c = trajectoryCurves(eb, r.trajectories[0], linalg);
  maxDiff = Math.max(maxDiff, Math.abs(c.trainMse[times.length - 1] - spectralLast[i]) / spectralLast[i]);
}
const tOde = (performance.now() - t0) / 1000;
const perLambdaOde = tOde / integratorCount;
console.log(`(a') our integrator in the eigenbasis (DOPRI5, rtol 1e-11) per λ: ${perLambdaOde.toFixed(3)} s (${integratorCount} λ, ${Math.round(steps / integratorCount)} steps each on average); final train MSE agrees with spectral to ${maxDiff.toExponential(1)}`);
const odeSolvePerLambda = tOdeSolve / 1000 / integratorCount;
console.log(`ratio (a')/spectral, end to end for 64 λ (both pay the eigendecomposition and the test gemm): ${((perLambdaOde * 64) / tSpectral).toFixed(1)}×`);
console.log(`ratio (a')/spectral, solve only (per λ): ${(odeSolvePerLambda / solvePerLambda).toFixed(1)}×`);
}

// (b) scipy solve_ivp per λ on the same eigenbasis problem (train outputs only: its cheaper half)
const dir = scipyCount > 0 ? mkdtempSync(join(tmpdir(), 'ntk-flow-bench-')) : '';
if (dir) try {
  writeNpy(join(dir, 'kappa.npy'), { shape: [eb.n], data: eb.kappa });
  writeNpy(join(dir, 'yT.npy'), { shape: [eb.n, eb.k], data: eb.yT.data });
  writeNpy(join(dir, 'lambdas.npy'), { shape: [64], data: Float64Array.from(lambdas) });
  writeNpy(join(dir, 'times.npy'), { shape: [200], data: times });
  const py = spawnSync('python3', [new URL('./flow_scipy.py', import.meta.url).pathname, dir, String(depth), String(scipyCount)], { encoding: 'utf8' });
  if (py.status !== 0) {
    console.log(`scipy peer skipped: ${py.error ? py.error.message : py.stderr.trim().split('\n').pop()}`);
  } else {
    const r = JSON.parse(py.stdout) as { seconds_per_lambda: number; train_mse_last: number[] };
    const agree = Math.max(...r.train_mse_last.map((v, i) => Math.abs(v - spectralLast[i]) / spectralLast[i]));
    console.log(`scipy solve_ivp (RK45, rtol 1e-10) per λ: ${r.seconds_per_lambda.toFixed(3)} s (${scipyCount} λ; agrees with spectral to ${agree.toExponential(1)})`);
    console.log(`ratio scipy/spectral, solve only (per λ; scipy integrates the n·k outputs, ours the 4n response functions): ${(r.seconds_per_lambda / solvePerLambda).toFixed(1)}×`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
