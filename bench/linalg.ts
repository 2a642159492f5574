// Benchmark of the float64 linear-algebra backends against numpy, in one process:
//
//   npx tsx bench/linalg.ts     (BENCH_N=2000 BENCH_JS_N=500 BENCH_REPS=3 BENCH_THREADS=<cores> by default)
//
// - native (OpenBLAS + LAPACKE addon): dgemm N×N×N and eigh N×N (symmetric), N = 2000;
// - js (pure TypeScript): the same at N = 500 only, to keep the run short (O(N³): N = 2000 would
//   take ~64× longer);
// - numpy via a python3 subprocess per round, at both sizes, with data generated in numpy itself.
// The sides alternate (ours, numpy, ours, numpy… BENCH_REPS rounds) and each reports its minimum, with the load
// average per round; one untimed warm-up at N = 200 first on each side (thread pool start-up, JIT); data generation
// excluded. Both sides run BENCH_THREADS OpenBLAS threads and the core type of OPENBLAS_CORETYPE (both autodetect
// when it is unset); the header prints what each side actually runs on (bench/blasSides.ts).
// GFLOP/s (2N³/t) and ours/numpy use the minima.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { blasHeader, numpyBlas, numpyEnv, ourBlas } from './blasSides.js';
import { jsLinalg } from '../src/linalg/js.js';
import type { Linalg } from '../src/linalg/types.js';
import type { Mat } from '../src/linalg/matrix.js';
import { loadNativeAddon, loadNativeLinalg } from '../src/linalg/native.js';

const N = Number(process.env.BENCH_N ?? 2000);
const JS_N = Number(process.env.BENCH_JS_N ?? 500);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? (os.availableParallelism?.() ?? os.cpus().length));
const WARM_N = 200;
const load = (): string => os.loadavg().map((v) => v.toFixed(2)).join(' ');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randMat(n: number, seed: number): Mat {
  const r = rng(seed);
  const data = new Float64Array(n * n);
  for (let i = 0; i < data.length; i++) data[i] = 2 * r() - 1;
  return { rows: n, cols: n, data };
}

function randSym(n: number, seed: number): Mat {
  const x = randMat(n, seed);
  const d = x.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = (d[i * n + j] + d[j * n + i]) / 2;
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return x;
}

interface Row {
  op: 'gemm' | 'eigh';
  n: number;
  backend: string;
  /** every timed run, seconds */
  runs: number[];
  note?: string;
}

const best = (r: Row): number | null => (r.runs.length ? Math.min(...r.runs) : null);

/** Test data and a warm-up (untimed) for one backend at size n. */
function prepareOurs(la: Linalg, n: number): { a: Mat; b: Mat; s: Mat } {
  const wa = randMat(WARM_N, 1);
  la.gemm(wa, wa);
  la.eigh(randSym(WARM_N, 2));
  return { a: randMat(n, 3), b: randMat(n, 4), s: randSym(n, 5) };
}

/** One timed gemm and one timed eigh, appended to the rows' runs. */
function runOurs(la: Linalg, m: { a: Mat; b: Mat; s: Mat }, gemm: Row, eigh: Row): void {
  let t0 = performance.now();
  la.gemm(m.a, m.b);
  gemm.runs.push((performance.now() - t0) / 1000);
  t0 = performance.now();
  la.eigh(m.s);
  eigh.runs.push((performance.now() - t0) / 1000);
}

// one round of numpy: a warm-up at `warm`, then one timed gemm and one timed eigh at each size
const PY = `
import json, sys, time
import numpy as np
sizes, warm = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
def sym(n):
    x = rng.uniform(-1, 1, (n, n))
    return (x + x.T) / 2
w = rng.uniform(-1, 1, (warm, warm)); w @ w; np.linalg.eigh(sym(warm))
out = []
for n in sizes:
    a = rng.uniform(-1, 1, (n, n)); b = rng.uniform(-1, 1, (n, n)); s = sym(n)
    for op, f in (("gemm", lambda: a @ b), ("eigh", lambda: np.linalg.eigh(s))):
        t0 = time.perf_counter(); f(); out.append({"op": op, "n": n, "seconds": time.perf_counter() - t0})
print(json.dumps(out))
`;

/** One round of numpy at `sizes` (BENCH_THREADS threads, this process's OPENBLAS_CORETYPE), or why it could not run. */
function numpyRound(sizes: number[]): Array<{ op: 'gemm' | 'eigh'; n: number; seconds: number }> | string {
  const res = spawnSync('python3', ['-c', PY, JSON.stringify([sizes, WARM_N])], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: numpyEnv(THREADS) });
  if (res.error || res.status !== 0) {
    return res.error
      ? `python3 not runnable (${(res.error as NodeJS.ErrnoException).code ?? res.error.message})`
      : /No module named .?numpy/.test(res.stderr)
        ? 'numpy is not installed for python3'
        : `python3 failed: ${res.stderr.trim().split('\n').pop()}`;
  }
  return JSON.parse(res.stdout) as Array<{ op: 'gemm' | 'eigh'; n: number; seconds: number }>;
}

function main(): void {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const { error } = loadNativeAddon();
  const native = loadNativeLinalg();
  console.log(`ntk-l2 linalg benchmark: Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores; load average ${load()}`);
  if (!native) console.log(`native: unavailable (${error})`);
  for (const line of blasHeader(ourBlas(THREADS), numpyBlas(THREADS))) console.log(line);
  console.log(`js: pure TypeScript (single thread), N=${JS_N} only to keep the run short`);
  console.log(`timing: ${REPS} rounds, the sides alternating (ours, then numpy, each round); each side's minimum; warm-up at N=${WARM_N}; data generation excluded\n`);

  const row = (op: 'gemm' | 'eigh', n: number, backend: string): Row => ({ op, n, backend, runs: [] });
  const rows: Row[] = [row('gemm', N, 'native'), row('eigh', N, 'native'), row('gemm', JS_N, 'js'), row('eigh', JS_N, 'js')];
  const sizes = [...new Set([N, JS_N])];
  for (const n of sizes) rows.push(row('gemm', n, 'numpy'), row('eigh', n, 'numpy'));
  const find = (op: string, n: number, backend: string): Row => rows.find((r) => r.op === op && r.n === n && r.backend === backend)!;
  if (!native) for (const r of rows.filter((x) => x.backend === 'native')) r.note = 'not built';
  const nativeData = native ? prepareOurs(native, N) : null;
  let numpyNote: string | null = null;
  for (let round = 0; round < REPS; round++) {
    if (native && nativeData) runOurs(native, nativeData, find('gemm', N, 'native'), find('eigh', N, 'native'));
    const round1: ReturnType<typeof numpyRound> = numpyNote ?? numpyRound(sizes);
    if (typeof round1 === 'string') numpyNote = round1;
    else for (const r of round1) find(r.op, r.n, 'numpy').runs.push(r.seconds);
    const nat = (op: string) => find(op, N, 'native').runs.at(-1)?.toFixed(3) ?? '-';
    const nps = (op: string) => find(op, N, 'numpy').runs.at(-1)?.toFixed(3) ?? '-';
    console.log(`round ${round + 1}: native gemm ${nat('gemm')} s, eigh ${nat('eigh')} s; numpy gemm ${nps('gemm')} s, eigh ${nps('eigh')} s (load ${load()})`);
  }
  if (numpyNote) console.log(`numpy skipped: ${numpyNote}`);
  const jsData = prepareOurs(jsLinalg, JS_N);
  for (let round = 0; round < REPS; round++) runOurs(jsLinalg, jsData, find('gemm', JS_N, 'js'), find('eigh', JS_N, 'js'));
  console.log('');

  const order = ['native', 'js', 'numpy'];
  rows.sort((p, q) => (p.op === q.op ? q.n - p.n || order.indexOf(p.backend) - order.indexOf(q.backend) : p.op < q.op ? 1 : -1));
  const header = ['op', 'N', 'backend', 'min s', 'runs', 'GFLOP/s', 'ours/numpy'];
  const lines = rows.map((r) => {
    const t = best(r);
    const ref = best(find(r.op, r.n, 'numpy'));
    const gflops = r.op === 'gemm' && t ? ((2 * r.n ** 3) / t / 1e9).toFixed(1) : '';
    const ratio = r.backend !== 'numpy' && t && ref ? `${(t / ref).toFixed(2)}×` : '';
    return [r.op, String(r.n), r.backend, t === null ? (r.note ?? '-') : t.toFixed(3), r.runs.map((v) => v.toFixed(3)).join(' '), gflops, ratio];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmt = (cells: string[]) => cells.map((x, c) => (c < 3 || c === 4 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));

  for (const op of ['gemm', 'eigh'] as const) {
    const t = best(find(op, N, 'native'));
    const ref = best(find(op, N, 'numpy'));
    if (t && ref) console.log(`${op} N=${N}: native/numpy = ${(t / ref).toFixed(2)} (target ≤ 2): ${t / ref <= 2 ? 'OK' : 'MISSED'}`);
  }
}

main();
