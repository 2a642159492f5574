/**
 * Counts the tfjs kernels a CNN training step runs on the wasm backend, with each kernel's time (wall clock, so
 * native time inside a kernel counts): npx tsx bench/cnnOps.ts [cnn|wrn] [width] [steps]. Every wasm kernel is
 * wrapped by a timer after a warm-up run; the table is per step (the evaluations of the run are included).
 * SHAPES=1 splits BatchMatMul by operand shapes.
 */
import { paperSetup } from '../src/experiments/paperSetups.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { mat } from '../src/linalg/matrix.js';
import { tfRuntime } from '../src/tfjs/runtime.js';
import { trainRun } from '../src/training/trainer.js';
import { Rng } from '../src/util/random.js';

const [name = 'cnn', widthText, stepsText = '30'] = process.argv.slice(2);
const setup = paperSetup(name);
if (!setup) throw new Error(`unknown setup ${name}`);
const width = Number(widthText ?? setup.defaultWidth);
const rng = new Rng(1);
const n = 1024;
const oneHot = (rows: number): ReturnType<typeof mat> => mat(rows, 10, Float64Array.from({ length: rows * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0)));
const data = { x: mat(n, 196, rng.normals(n * 196)), y: oneHot(n), xTest: mat(64, 196, rng.normals(64 * 196)), yTest: oneHot(64), inputShape: { spatial: [14, 14], width: 1 } };
const opts = { spec: parseOneLineSpec(setup.arch(width)), data, lr: setup.lr, lambda: 1e-3, batchSize: 128, evalsPerDecade: 1, evalTrainSize: 64, loss: setup.loss, momentum: setup.momentum, backend: 'wasm' as const };
await trainRun({ ...opts, budget: setup.lr * 3 });
const tf = tfRuntime();
const stats = new Map<string, { calls: number; ms: number }>();
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      const t0 = performance.now();
      const r = inner(args);
      const ms = performance.now() - t0;
      let key = k.kernelName;
      if (key === 'BatchMatMul' && process.env.SHAPES === '1') {
        const a = args.inputs.a as { shape: number[] };
        const b = args.inputs.b as { shape: number[] };
        const at = args.attrs as { transposeA: boolean; transposeB: boolean };
        key = `MM ${a.shape.join('x')}${at.transposeA ? 'ᵀ' : ''}·${b.shape.join('x')}${at.transposeB ? 'ᵀ' : ''}`;
      }
      const s = stats.get(key) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += ms;
      stats.set(key, s);
      return r;
    },
  });
}
const steps = Number(stepsText);
const res = await trainRun({ ...opts, budget: setup.lr * steps });
const ms = (res.wallSeconds * 1000) / steps;
let calls = 0;
let kms = 0;
for (const s of stats.values()) {
  calls += s.calls;
  kms += s.ms;
}
console.log(`${name} width ${width}: ${ms.toFixed(1)} ms/step; ${(calls / steps).toFixed(0)} kernels/step taking ${(kms / steps).toFixed(1)} ms/step`);
for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${k.padEnd(36)} ${(s.calls / steps).toFixed(1).padStart(7)} calls ${(s.ms / steps).toFixed(2).padStart(7)} ms`);
