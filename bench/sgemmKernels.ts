/**
 * The float32 products of the training step, one at a time, on each way the native addon can compute them
 * (native/src/sgemmFma.c's kernels this CPU runs, and OpenBLAS's cblas_sgemm), beside numpy's matmul (its own
 * OpenBLAS) on the same shapes in the same run:
 *   - one thread: the addon at OpenBLAS count 1 (a run pool's worker), numpy under OPENBLAS_NUM_THREADS=1;
 *   - two threads: the addon's two halves (parts = 2, as a single run), numpy at 2 threads.
 * Shapes: the conv products of the `cnn` setup at width 64 and of the `wrn` setup at width 8 (forward, input and weight
 * gradients; rows = batch 128 × 14×14 or 7×7 positions), and an MLP layer. Each entry is the best of --repeat calls.
 * Also checks that every own kernel gives the same bits (the promise of sgemmFma.c) and prints the ratio to OpenBLAS.
 * Run: npx tsx bench/sgemmKernels.ts [--repeat 15] [--python python3]
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { loadNativeAddon, type SgemmKernel } from '../src/linalg/native.js';
import { Rng } from '../src/util/random.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const repeat = Number(opt('--repeat', '15'));
const python = opt('--python', 'python3');

const addon = loadNativeAddon().addon;
if (!addon?.sgemm || !addon.setSgemmKernel) {
  console.error('bench/sgemmKernels: the native addon with sgemm and setSgemmKernel is not built (node scripts/build-native.mjs)');
  process.exit(2);
}
const sgemm = addon.sgemm.bind(addon);
const setKernel = addon.setSgemmKernel.bind(addon);

/** [label, m, n, k, transA, transB] */
const shapes: [string, number, number, number, boolean, boolean][] = [
  ['cnn:64 conv2 forward', 6272, 128, 576, false, false],
  ['cnn:64 conv2 weight grad', 576, 128, 6272, true, false],
  ['cnn:64 conv2 input grad', 6272, 576, 128, false, true],
  ['wrn:8 stage-1 forward', 25088, 8, 72, false, false],
  ['wrn:8 stage-1 weight grad', 72, 8, 25088, true, false],
  ['wrn:8 stage-1 input grad', 25088, 72, 8, false, true],
  ['wrn:8 stage-2 forward', 6272, 16, 144, false, false],
  ['wrn:8 stage-2 weight grad', 144, 16, 6272, true, false],
  ['MLP 1024 layer forward', 128, 1024, 1024, false, false],
  ['MLP 1024 weight grad', 1024, 1024, 128, true, false],
];

const kernels: SgemmKernel[] = [];
for (const k of ['avx512', 'avx2'] as const) {
  try {
    setKernel(k);
    kernels.push(k);
  } catch {
    // this CPU cannot run it
  }
}
setKernel('auto');
const ways: SgemmKernel[] = [...kernels, 'openblas'];

/** numpy's best time (s) per shape at `threads`, from one child process. */
function numpyTimes(threads: number): number[] | null {
  const code = `
import json, sys, time, numpy as np
shapes = json.loads(sys.argv[1]); rep = int(sys.argv[2]); out = []
rng = np.random.default_rng(1)
for m, n, k, ta, tb in shapes:
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    A = a.T if ta else a; B = b.T if tb else b
    best = 1e9
    for _ in range(rep):
        t = time.perf_counter(); A @ B; best = min(best, time.perf_counter() - t)
    out.append(best)
print(json.dumps(out))`;
  const r = spawnSync(python, ['-c', code, JSON.stringify(shapes.map((s) => s.slice(1))), String(repeat)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
  });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout) as number[];
}

const rng = new Rng(1);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length} threads; OpenBLAS ${addon.info().corename}; own kernels here: ${kernels.join(', ') || 'none'}`);
const prevThreads = addon.setNumThreads(2);
try {
  for (const threads of [1, 2]) {
    addon.setNumThreads(threads);
    const np = numpyTimes(threads);
    console.log(`\n${threads === 1 ? 'one thread (a pooled run)' : 'two threads (a single run: the two halves; numpy at 2 threads)'}, best of ${repeat}, GFLOP/s (speed relative to OpenBLAS sgemm):`);
    for (const [i, [label, m, n, k, ta, tb]] of shapes.entries()) {
      const a = Float32Array.from(rng.normals(m * k));
      const b = Float32Array.from(rng.normals(k * n));
      const cells: string[] = [];
      let blas = 0;
      let firstOwn: Float32Array | null = null;
      let sameBits = true;
      const times = new Map<SgemmKernel, number>();
      for (const way of ways) {
        setKernel(way);
        const c = new Float32Array(m * n);
        let best = Infinity;
        for (let r = 0; r < repeat; r++) {
          const t = performance.now();
          sgemm(a, b, c, 1, m, n, k, ta, tb, 0, 0, 0, threads === 2 ? 2 : 0);
          best = Math.min(best, performance.now() - t);
        }
        times.set(way, best / 1000);
        if (way === 'openblas') blas = best / 1000;
        else if (firstOwn === null) firstOwn = c;
        else sameBits &&= c.every((v, j) => Object.is(v, firstOwn![j]));
      }
      const gflops = (s: number): string => ((2 * m * n * k) / s / 1e9).toFixed(0).padStart(4);
      for (const way of ways) {
        const s = times.get(way)!;
        cells.push(`${way} ${gflops(s)} (${(blas / s).toFixed(2)}×)`);
      }
      if (np) cells.push(`numpy ${gflops(np[i])} (${(blas / np[i]).toFixed(2)}×)`);
      console.log(`  ${label.padEnd(26)} ${`${m}×${n}×${k}`.padEnd(16)} ${cells.join('  ')}${kernels.length > 1 ? (sameBits ? '  same bits' : '  BITS DIFFER') : ''}`);
    }
  }
} finally {
  addon.setNumThreads(prevThreads);
  setKernel('auto');
}
