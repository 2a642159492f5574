/**
 * Counts the tfjs kernels a CNN training step runs on the wasm backend, with each kernel's time (wall clock, so
 * native time inside a kernel counts): npx tsx bench/cnnOps.ts [cnn|wrn] [width] [steps]. Every wasm kernel is
 * wrapped by a timer after a warm-up run; the table is per step (the evaluations of the run are included).
 * SHAPES=1 splits BatchMatMul by operand shapes.
 */
import { tfRuntime } from '../src/tfjs/runtime.js';
import { loadNativeAddon } from '../src/linalg/native.js';
import { name, steps, timedRun, width } from './cnnSyntheticRun.js';

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
const helper = (): { helperJobs?: number; helperWakes?: number } => loadNativeAddon().addon?.info() ?? {};
const h0 = helper();
const res = await timedRun();
const h1 = helper();
const ms = (res.wallSeconds * 1000) / steps;
let calls = 0;
let kms = 0;
for (const s of stats.values()) {
  calls += s.calls;
  kms += s.ms;
}
console.log(`${name} width ${width}: ${ms.toFixed(1)} ms/step; ${(calls / steps).toFixed(0)} kernels/step taking ${(kms / steps).toFixed(1)} ms/step`);
if (h1.helperJobs !== undefined) console.log(`helper thread: ${((h1.helperJobs - (h0.helperJobs ?? 0)) / steps).toFixed(1)} jobs/step, woken from sleep ${((h1.helperWakes ?? 0) - (h0.helperWakes ?? 0))} times in ${steps} steps`);
for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${k.padEnd(36)} ${(s.calls / steps).toFixed(1).padStart(7)} calls ${(s.ms / steps).toFixed(2).padStart(7)} ms`);
