// One backend's part of bench/gpu.sh, on the compiled library (dist/): prints one JSON line per measurement.
// Usage: node bench/gpu/bench.mjs <webgpu|wasm> <train|flow> [--steps 200] [--batch 128] [--width 1024] [--schedules 256] [--n 2000] [--flow-steps 0]
//  train: examples/s of ntk-l2's trainer (MLP 784-1024-1024-10, ReLU, SGD + L2, MSE, float32; the protocol of
//         bench/train.ts), after a 10-step warm-up.
//  flow:  the batched float32 L2 flow (scheduledTrajectoriesAsync + tfjsArrays) for --schedules constant λ in
//         [1e-3, 1e-1] at N = --n modes, k = 10, L = 3, 200 output times in [0.1, 1000]. The spectrum is a power
//         law κ_i = 10·i^(−1.2) (the shape of an MLP's NTK spectrum on MNIST; the flow's cost depends on the
//         spectrum only through the step count, which the output reports). --flow-steps S > 0 stops after S
//         steps and reports ms/step instead (for a backend too slow for the whole run).
import { initTfjs, tf } from '../../dist/tfjs/backend.js';
import { trainRun } from '../../dist/training/trainer.js';
import { scheduledTrajectoriesAsync } from '../../dist/dynamics/scheduledFlow.js';
import { tfjsArrays } from '../../dist/dynamics/tfjsArrays.js';
import { constantSchedule } from '../../dist/dynamics/schedule.js';
import { parseOneLineSpec } from '../../dist/layers/oneLine.js';
import { mat } from '../../dist/linalg/matrix.js';
import { Rng } from '../../dist/util/random.js';

const [backend, what, ...rest] = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = rest.indexOf(name);
  return Number(i >= 0 ? rest[i + 1] : fallback);
};
const info = await initTfjs(backend);
if (info.backend !== backend) {
  console.log(JSON.stringify({ backend, what, error: `asked for ${backend}, got ${info.backend}: ${info.reason}` }));
  process.exit(1);
}
const adapter = info.adapter ? `${info.adapter.vendor} ${info.adapter.architecture} (${info.adapter.description})` : null;
const logspace = (a, b, n) => Array.from({ length: n }, (_, i) => a * (b / a) ** (n === 1 ? 0 : i / (n - 1)));

if (what === 'train') {
  const steps = flag('--steps', 200);
  const batch = flag('--batch', 128);
  const n = Math.max(2048, batch * 4);
  const rng = new Rng(1);
  const data = { x: mat(n, 784, rng.normals(n * 784)), y: mat(n, 10, rng.normals(n * 10)), xTest: mat(64, 784, rng.normals(64 * 784)), yTest: mat(64, 10, rng.normals(64 * 10)), description: 'gaussian' };
  const width = flag('--width', 1024);
  const spec = parseOneLineSpec(`[dense(${width}, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)`);
  await trainRun({ spec, data, lr: 0.5, budget: 0.5 * 10, lambda: 1e-3, batchSize: batch, evalsPerDecade: 1, backend });
  const res = await trainRun({ spec, data, lr: 0.5, budget: 0.5 * steps, lambda: 1e-3, batchSize: batch, evalsPerDecade: 1, backend });
  console.log(JSON.stringify({ backend, adapter, what, width, batch, steps, examplesPerSecond: res.examplesPerSecond, msPerStep: (res.wallSeconds * 1000) / steps, finalTrainLoss: res.records[res.records.length - 1].trainLoss }));
} else if (what === 'flow') {
  const B = flag('--schedules', 256);
  const n = flag('--n', 2000);
  const k = 10;
  const cap = flag('--flow-steps', 0);
  const kappa = Float64Array.from({ length: n }, (_, i) => 10 * (i + 1) ** -1.2);
  const eye = mat(n, k);
  const eb = { n, k, m: 0, kappa, v: mat(n, n), yT: eye, f0T: null, c: null, f0Test: null, yTest: null, y: eye, spectrum: { clipped: 0, negativeMass: 0, maxNegative: 0, regularized: false } };
  const schedules = logspace(1e-3, 1e-1, B).map((l) => constantSchedule(l));
  const times = Float64Array.from(logspace(0.1, 1000, 200));
  const arrays = tfjsArrays();
  if (cap > 0) {
    // time the first `cap` steps: DOPRI stops with a RangeError past maxSteps, which is the point here
    let steps = 0;
    const counting = { ...arrays, errorNormAsync: async (...a) => { steps++; return arrays.errorNormAsync(...a); } };
    const t0 = performance.now();
    try {
      await scheduledTrajectoriesAsync(eb, schedules, 3, times, { arrays: counting, maxSteps: cap });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
    const s = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ backend, adapter, what, schedules: B, n, partial: true, attemptedSteps: steps, seconds: s, msPerStep: (1000 * s) / steps }));
  } else {
    const t0 = performance.now();
    const r = await scheduledTrajectoriesAsync(eb, schedules, 3, times, { arrays });
    const s = (performance.now() - t0) / 1000;
    // to compare backends: G of the first mode at t ≈ 10 (output 100 of 200), first and last schedule
    const j = 100 * n;
    console.log(JSON.stringify({ backend, adapter, what, schedules: B, n, steps: r.steps, seconds: s, msPerStep: (1000 * s) / r.steps, gFirstModeT10: [r.trajectories[0].g[j], r.trajectories[B - 1].g[j]] }));
  }
} else {
  console.error('usage: node bench/gpu/bench.mjs <webgpu|wasm> <train|flow> [options]');
  process.exit(2);
}
void tf;
