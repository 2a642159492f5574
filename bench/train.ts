/**
 * Training throughput (examples/s) of the MLP 784-1024-1024-10 (ReLU, NTK parameterization, no biases),
 * SGD with L2, MSE, batch 128, float32: ntk-l2's trainer (tfjs backend, autodiff) beside PyTorch on the CPU
 * (Debian python3-torch, /usr/bin/python3) in one run, and the ratio.
 * Run: npx tsx bench/train.ts [--steps 200] [--threads 2]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseOneLineSpec } from '../src/layers/json.js';
import { mat } from '../src/linalg/matrix.js';
import { trainRun } from '../src/training/trainer.js';
import { Rng } from '../src/util/random.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const steps = Number(flag('--steps', '200'));
const threads = Number(flag('--threads', String(availableParallelism())));
const batch = 128;
const n = 2048;
const rng = new Rng(1);
const data = {
  x: mat(n, 784, rng.normals(n * 784)),
  y: mat(n, 10, rng.normals(n * 10)),
  xTest: mat(64, 784, rng.normals(64 * 784)),
  yTest: mat(64, 10, rng.normals(64 * 10)),
};
const spec = parseOneLineSpec('[dense(1024, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads`);
console.log(`training throughput, MLP 784-1024-1024-10, SGD + L2, MSE, batch ${batch}, float32, ${steps} steps after warm-up`);
// warm-up (kernel compilation, XNNPACK set-up), then the timed run; evaluations only at the start and end
await trainRun({ spec, data, lr: 0.5, budget: 0.5 * 10, lambda: 1e-3, batchSize: batch, evalsPerDecade: 1 });
const res = await trainRun({ spec, data, lr: 0.5, budget: 0.5 * steps, lambda: 1e-3, batchSize: batch, evalsPerDecade: 1 });
console.log(`ours (tfjs ${res.backend}, autodiff): ${res.examplesPerSecond.toFixed(0)} examples/s (${(res.wallSeconds * 1000 / steps).toFixed(1)} ms/step incl. 2 evaluations)`);
const python = '/usr/bin/python3';
if (!existsSync(python)) {
  console.log('PyTorch peer skipped: /usr/bin/python3 not found');
} else {
  const py = spawnSync(python, [new URL('./train_torch.py', import.meta.url).pathname, '--steps', String(steps), '--threads', String(threads)], { encoding: 'utf8' });
  const line = py.stdout.trim().split('\n').pop() ?? '';
  const parsed = py.status === 0 && line ? (JSON.parse(line) as Record<string, number | string>) : null;
  if (!parsed || 'skipped' in parsed) {
    console.log(`PyTorch peer skipped: ${parsed ? String(parsed.skipped) : py.stderr.trim().split('\n').pop()}`);
  } else {
    const eps = Number(parsed.examples_per_second);
    console.log(`PyTorch ${parsed.torch} (${threads} threads): ${eps.toFixed(0)} examples/s`);
    console.log(`ratio ours / PyTorch: ${(res.examplesPerSecond / eps).toFixed(2)}  (target ≥ 0.5)`);
  }
}
