/**
 * Analytic ReLU NTK (3 Dense layers, no biases, wStd = √2), N = 4096 points of dimension 784, float64:
 * ours (BLAS Gram matrix + worker-thread recursion) beside numpy running the same recursion, in one run.
 * Run: npx tsx bench/kernel.ts [N] [d]     (N defaults to 4096, d to 784)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyticKernel } from '../src/kernels/analytic.js';
import { relu } from '../src/layers/abrelu.js';
import { dense } from '../src/layers/dense.js';
import { serial } from '../src/layers/serial.js';
import { getLinalg } from '../src/linalg/index.js';
import { writeNpy } from '../src/io/npy.js';
import { Rng } from '../src/util/random.js';

const N = Number(process.argv[2] ?? 4096);
const d = Number(process.argv[3] ?? 784);
const depth = 3;
const wStd = Math.SQRT2;
const reps = 3;

const x = { rows: N, cols: d, data: new Rng(42).normals(N * d) };
const spec = serial(dense(1024, { wStd }), relu(), dense(1024, { wStd }), relu(), dense(1, { wStd }));
const linalg = getLinalg();

console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads; linalg backend: ${linalg.name}`);
console.log(`analytic ReLU NTK, depth ${depth}, N = ${N}, d = ${d}, float64; median of ${reps} runs`);

const ours: number[] = [];
let t01 = 0;
let sum = 0;
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  const res = await analyticKernel(spec, x, undefined, { get: 'ntk', linalg });
  ours.push((performance.now() - t0) / 1000);
  const t = res.ntk!;
  t01 = t.data[1];
  sum = t.data.reduce((a, b) => a + b, 0);
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const oursS = median(ours);
console.log(`ours (${linalg.name} Gram + ${availableParallelism()} worker threads): ${oursS.toFixed(3)} s  [runs: ${ours.map((v) => v.toFixed(3)).join(', ')}]`);

const dir = mkdtempSync(join(tmpdir(), 'ntk-bench-'));
try {
  const file = join(dir, 'x.npy');
  writeNpy(file, { shape: [N, d], data: x.data });
  const py = spawnSync('python3', [new URL('./kernel_numpy.py', import.meta.url).pathname, file, String(depth), String(wStd), String(reps)], {
    encoding: 'utf8',
  });
  if (py.status !== 0) {
    console.log(`numpy peer skipped: ${py.error ? py.error.message : py.stderr.trim().split('\n').pop()}`);
  } else {
    const res = JSON.parse(py.stdout) as { seconds: number; checksum: number; t01: number };
    console.log(`numpy (same recursion): ${res.seconds.toFixed(3)} s`);
    console.log(`ratio ours/numpy: ${(oursS / res.seconds).toFixed(3)}  (target ≤ 1.0)`);
    console.log(`agreement: Θ[0,1] rel diff ${(Math.abs(t01 - res.t01) / Math.abs(res.t01)).toExponential(2)}, sum rel diff ${(Math.abs(sum - res.checksum) / Math.abs(res.checksum)).toExponential(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
