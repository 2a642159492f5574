/**
 * L2 flow at N = 2000 training points, 64 λ values, 200 output times, float64:
 * the closed-form spectral solver (one eigendecomposition, then every λ) beside (a) our adaptive integrator
 * run per λ and (b) scipy's solve_ivp per λ on the same eigenbasis problem, in one run.
 * Both solvers produce, for every λ, the train MSE, test MSE and test accuracy at the 200 times (what a λ scan
 * needs): the train MSE in the eigenbasis, the test outputs by one gemm.
 * Run: npx tsx bench/flow.ts [N=2000] [integrator λ count=64] [scipy λ count=8]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { eigenbasis } from '../src/dynamics/eigenbasis.js';
import { constantSchedule } from '../src/dynamics/schedule.js';
import { scheduledTrajectories } from '../src/dynamics/scheduledFlow.js';
import { spectralTrajectory } from '../src/dynamics/spectral.js';
import { trajectoryCurves } from '../src/dynamics/trajectory.js';
import { bundledDataset } from '../src/experiments/dataset.js';
import { logspace } from '../src/experiments/lambdaScan.js';
import { writeNpy } from '../src/io/npy.js';
import { analyticKernel } from '../src/kernels/analytic.js';
import { parseSpec } from '../src/layers/json.js';
import { getLinalg } from '../src/linalg/index.js';

const N = Number(process.argv[2] ?? 2000);
const integratorCount = Number(process.argv[3] ?? 64);
const scipyCount = Number(process.argv[4] ?? 8);
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

// (a) our Dormand–Prince integrator, per λ (same eigenbasis, same outputs)
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
console.log(`our integrator (DOPRI5, rtol 1e-11) per λ: ${perLambdaOde.toFixed(3)} s (${integratorCount} λ, ${Math.round(steps / integratorCount)} steps each on average); final train MSE agrees with spectral to ${maxDiff.toExponential(1)}`);
const odeSolvePerLambda = tOdeSolve / 1000 / integratorCount;
console.log(`ratio integrator/spectral, end to end for 64 λ: ${((perLambdaOde * 64) / tSpectral).toFixed(1)}×  (target ≥ 50×; spectral total target < 10 s)`);
console.log(`ratio integrator/spectral, solve only (per λ): ${(odeSolvePerLambda / solvePerLambda).toFixed(1)}×`);

// (b) scipy solve_ivp per λ on the same eigenbasis problem (train outputs only: its cheaper half)
const dir = mkdtempSync(join(tmpdir(), 'ntk-flow-bench-'));
try {
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
