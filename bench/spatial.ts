/**
 * Analytic NTK of a 3-conv-layer ReLU CNN (3×3, SAME, NTK parameterization, no biases, wStd = √2) on bundled MNIST
 * images, float64: ours beside numpy running the same recursion (bench/spatial_numpy.py), in one run, with the
 * maximum relative difference of the two N×N results.
 *   flatten readout (conv, relu ×3, flatten, dense): 'diagonal' spatial records, P = H·W entries per pair;
 *   gap readout (conv, relu ×3, globalAvgPool, dense): 'full' spatial records, P = (H·W)² entries per pair.
 * Run: npx tsx bench/spatial.ts flatten|gap [N] [size] [reps] [threads]
 *   defaults: flatten N = 1000 at 28×28; gap N = 200 at 14×14; reps 1 (min of reps on each side); threads = cores
 * Each side runs its reps interleaved with the other's (ours, numpy, ours, numpy…), so a load change on a shared
 * machine hits both alike; the load average is printed beside each run. NTK_NATIVE_KERNELS=0 runs our loops in
 * TypeScript instead of the native addon (src/linalg/nativeKernels.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyticKernel } from '../src/kernels/analytic.js';
import { relu } from '../src/layers/abrelu.js';
import { conv } from '../src/layers/conv.js';
import { dense } from '../src/layers/dense.js';
import { flatten } from '../src/layers/flatten.js';
import { globalAvgPool } from '../src/layers/globalAvgPool.js';
import { serial } from '../src/layers/serial.js';
import { bundledImages } from '../src/experiments/dataset.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { nativeKernels } from '../src/linalg/nativeKernels.js';

const readout = process.argv[2] ?? 'flatten';
if (readout !== 'flatten' && readout !== 'gap') throw new Error('readout must be flatten or gap');
const gap = readout === 'gap';
const N = Number(process.argv[3] ?? (gap ? 200 : 1000));
const size = Number(process.argv[4] ?? (gap ? 14 : 28)) as 28 | 14 | 7;
const reps = Number(process.argv[5] ?? 1);
const threads = Number(process.argv[6] ?? availableParallelism());
const wStd = Math.SQRT2;

const x = bundledImages(`mnist:${N}:1`, { size }).x;
const c = (): ReturnType<typeof conv> => conv(64, { filter: [3, 3], padding: 'SAME', wStd });
const spec = serial(c(), relu(), c(), relu(), c(), relu(), gap ? globalAvgPool() : flatten(), dense(1, { wStd }));

const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');
console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads; load average ${load()}; kernel loops: ${nativeKernels() ? 'native' : 'TypeScript'}`);
console.log(`analytic NTK, 3 conv 3×3 SAME + ReLU, ${readout} readout, N = ${N} MNIST ${size}×${size}, float64; min of ${reps}, interleaved`);

const dir = mkdtempSync(join(tmpdir(), 'ntk-bench-spatial-'));
try {
  const file = join(dir, 'x.npy');
  writeNpy(file, { shape: x.shape, data: x.data });
  const ours: number[] = [];
  const theirs: number[] = [];
  let K: Float64Array | null = null;
  let T: Float64Array | null = null;
  let numpyOk = true;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const res = await analyticKernel(spec, x, undefined, { get: 'both', threads });
    ours.push((performance.now() - t0) / 1000);
    K = res.nngp!.data;
    T = res.ntk!.data;
    console.log(`  ours run ${r + 1}: ${ours[r].toFixed(3)} s (load ${load()})`);
    if (!numpyOk) continue;
    const py = spawnSync('python3', [new URL('./spatial_numpy.py', import.meta.url).pathname, file, readout, '1', join(dir, 'np')], { encoding: 'utf8' });
    if (py.status !== 0) {
      console.log(`numpy peer skipped: ${py.error ? py.error.message : py.stderr.trim().split('\n').pop()}`);
      numpyOk = false;
      continue;
    }
    const res2 = JSON.parse(py.stdout) as { seconds: number; block: number };
    theirs.push(res2.seconds);
    console.log(`  numpy run ${r + 1}: ${res2.seconds.toFixed(3)} s (blocks of ${res2.block}×${res2.block} pairs; load ${load()})`);
  }
  const best = (a: number[]): number => Math.min(...a);
  console.log(`ours (${threads} thread${threads > 1 ? 's' : ''}): ${best(ours).toFixed(3)} s  [runs: ${ours.map((v) => v.toFixed(3)).join(', ')}]`);
  if (numpyOk && K && T) {
    console.log(`numpy (same recursion): ${best(theirs).toFixed(3)} s  [runs: ${theirs.map((v) => v.toFixed(3)).join(', ')}]`);
    console.log(`ratio ours/numpy: ${(best(ours) / best(theirs)).toFixed(3)}  (target ≤ 1.0)`);
    const relDiff = (a: Float64Array, b: Float64Array): number => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-300));
      return m;
    };
    const nk = readNpy(join(dir, 'np_k.npy')).data as Float64Array;
    const nt = readNpy(join(dir, 'np_t.npy')).data as Float64Array;
    console.log(`agreement: max relative difference NNGP ${relDiff(K, nk).toExponential(2)}, NTK ${relDiff(T, nt).toExponential(2)}  (target ≤ 1e-10)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
