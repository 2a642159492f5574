/**
 * Analytic ReLU NTK (3 Dense layers, no biases, wStd = √2), N = 4096 points of dimension 784, float64:
 * ours (BLAS Gram matrix + worker-thread recursion) beside numpy running the same recursion, in one run. The two
 * sides alternate (ours, numpy, ours, numpy…) and each reports its minimum, with the load average beside.
 * Run: npx tsx bench/kernel.ts [N] [d] [reps] [threads]     (N defaults to 4096, d to 784, reps to 3, threads to the cores)
 * `threads` is each side's thread count: our worker threads and our OpenBLAS threads, numpy's OpenBLAS threads
 * (numpy's ufuncs, most of its recursion, run on one thread whatever the count). Both sides run on the OpenBLAS core
 * type of OPENBLAS_CORETYPE (or both autodetect when it is unset); the header prints each side's (bench/blasSides.ts).
 * Beside each wall time, the CPU time (user + system, all threads of the process; each side's minimum): on a loaded
 * machine it is the steadier figure (it leaves out the time spent waiting for a core, not cache or memory contention).
 * NTK_NATIVE_KERNELS=0 runs our loops in TypeScript instead of the native addon (src/linalg/nativeKernels.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyticKernel } from '../src/kernels/analytic.js';
import { relu } from '../src/layers/abrelu.js';
import { dense } from '../src/layers/dense.js';
import { serial } from '../src/layers/serial.js';
import { getLinalg } from '../src/linalg/index.js';
import { writeNpy } from '../src/io/npy.js';
import { Rng } from '../src/util/random.js';
import { nativeKernels } from '../src/linalg/nativeKernels.js';
import { blasHeader, numpyBlas, numpyEnv, ourBlas } from './blasSides.js';

const N = Number(process.argv[2] ?? 4096);
const d = Number(process.argv[3] ?? 784);
const depth = 3;
const wStd = Math.SQRT2;
const reps = Number(process.argv[4] ?? 3);
const threads = Number(process.argv[5] ?? availableParallelism());

const x = { rows: N, cols: d, data: new Rng(42).normals(N * d) };
const spec = serial(dense(1024, { wStd }), relu(), dense(1024, { wStd }), relu(), dense(1, { wStd }));
const linalg = getLinalg();
const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');

console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads; linalg backend: ${linalg.name}; kernel loops: ${nativeKernels() ? 'native' : 'TypeScript'}`);
console.log(`analytic ReLU NTK, depth ${depth}, N = ${N}, d = ${d}, float64; min of ${reps} runs each side, interleaved; load average ${load()}`);
console.log(`threads: ${threads} each side (ours: ${threads} worker threads + ${threads} OpenBLAS threads; numpy: ${threads} OpenBLAS threads)`);
for (const line of blasHeader(ourBlas(threads), numpyBlas(threads))) console.log(line);
// untimed warm-up that starts the kernel workers (their start is not what is measured). It also kept the first
// 2-thread call from the TypeScript sources from hanging before src/kernels/workerPool.ts waited for the workers:
// their tsx/esbuild fork during the threaded OpenBLAS Gram deadlocked in OpenBLAS's fork handler
await analyticKernel(spec, { rows: 1024, cols: 8, data: new Rng(7).normals(1024 * 8) }, undefined, { get: 'ntk', linalg, threads });

const ours: number[] = [];
const theirs: number[] = [];
const oursCpu: number[] = [];
const theirsCpu: number[] = [];
let t01 = 0;
let sum = 0;
let numpy: { t01: number; checksum: number } | null = null;
let numpyOk = true;
const dir = mkdtempSync(join(tmpdir(), 'ntk-bench-'));
try {
  const file = join(dir, 'x.npy');
  writeNpy(file, { shape: [N, d], data: x.data });
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const res = await analyticKernel(spec, x, undefined, { get: 'ntk', linalg, threads });
    ours.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    oursCpu.push((c.user + c.system) / 1e6);
    const t = res.ntk!;
    t01 = t.data[1];
    sum = t.data.reduce((a, b) => a + b, 0);
    console.log(`  ours run ${r + 1}: ${ours[r].toFixed(3)} s, cpu ${oursCpu[r].toFixed(3)} s (load ${load()})`);
    if (!numpyOk) continue;
    const py = spawnSync('python3', [new URL('./kernel_numpy.py', import.meta.url).pathname, file, String(depth), String(wStd), '1'], {
      encoding: 'utf8',
      env: numpyEnv(threads),
    });
    if (py.status !== 0) {
      console.log(`numpy peer skipped: ${py.error ? py.error.message : py.stderr.trim().split('\n').pop()}`);
      numpyOk = false;
      continue;
    }
    const res2 = JSON.parse(py.stdout) as { seconds: number; cpu_seconds: number; checksum: number; t01: number };
    theirs.push(res2.seconds);
    theirsCpu.push(res2.cpu_seconds);
    numpy = res2;
    console.log(`  numpy run ${r + 1}: ${res2.seconds.toFixed(3)} s, cpu ${res2.cpu_seconds.toFixed(3)} s (load ${load()})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const best = (a: number[]): number => Math.min(...a);
console.log(`ours (${linalg.name} Gram + ${threads} worker threads): ${best(ours).toFixed(3)} s  [runs: ${ours.map((v) => v.toFixed(3)).join(', ')}]`);
if (numpy) {
  console.log(`numpy (same recursion, ${threads} BLAS threads): ${best(theirs).toFixed(3)} s  [runs: ${theirs.map((v) => v.toFixed(3)).join(', ')}]`);
  console.log(`ratio ours/numpy: ${(best(ours) / best(theirs)).toFixed(3)}  (target ≤ 1.0)`);
  console.log(`cpu time (user + system, all threads), minima: ours ${best(oursCpu).toFixed(3)} s, numpy ${best(theirsCpu).toFixed(3)} s, ratio ${(best(oursCpu) / best(theirsCpu)).toFixed(3)}`);
  console.log(`agreement: Θ[0,1] rel diff ${(Math.abs(t01 - numpy.t01) / Math.abs(numpy.t01)).toExponential(2)}, sum rel diff ${(Math.abs(sum - numpy.checksum) / Math.abs(numpy.checksum)).toExponential(2)}`);
}
