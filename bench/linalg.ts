// Benchmark of the float64 linear-algebra backends against numpy, in one process:
//
//   npx tsx bench/linalg.ts            (BENCH_N=2000 BENCH_JS_N=500 by default)
//
// - native (OpenBLAS + LAPACKE addon): dgemm N×N×N and eigh N×N (symmetric), N = 2000;
// - js (pure TypeScript): the same at N = 500 only, to keep the run short (O(N³): N = 2000 would
//   take ~64× longer);
// - numpy via a python3 subprocess, at both sizes, with data generated in numpy itself.
// Each timing is the median of 3 runs after one untimed warm-up at N = 200 (thread pool start-up,
// JIT); data generation is excluded. Threads: OpenBLAS (ours and numpy's bundled copy) uses every
// core unless OPENBLAS_NUM_THREADS is set; the header shows what each side actually uses.
// GFLOP/s (2N³/t) and ours/numpy use the medians; the min column shows the spread on a busy box.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

import { jsLinalg } from '../src/linalg/js.js';
import type { Linalg } from '../src/linalg/types.js';
import type { Mat } from '../src/linalg/matrix.js';
import { loadNativeAddon, loadNativeLinalg } from '../src/linalg/native.js';

const N = Number(process.env.BENCH_N ?? 2000);
const JS_N = Number(process.env.BENCH_JS_N ?? 500);
const REPS = 3;
const WARM_N = 200;

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

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

function timeIt(f: () => unknown): { seconds: number; best: number } {
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    f();
    times.push((performance.now() - t0) / 1000);
  }
  return { seconds: median(times), best: Math.min(...times) };
}

interface Row {
  op: 'gemm' | 'eigh';
  n: number;
  backend: string;
  seconds: number | null;
  /** fastest of the runs (the median is `seconds`) */
  best?: number;
  note?: string;
}

function benchOurs(la: Linalg, n: number): Row[] {
  // warm-up (untimed)
  const wa = randMat(WARM_N, 1);
  la.gemm(wa, wa);
  la.eigh(randSym(WARM_N, 2));

  const a = randMat(n, 3);
  const b = randMat(n, 4);
  const s = randSym(n, 5);
  const g = timeIt(() => la.gemm(a, b));
  const e = timeIt(() => la.eigh(s));
  return [
    { op: 'gemm', n, backend: la.name, ...g },
    { op: 'eigh', n, backend: la.name, ...e },
  ];
}

const PY = `
import json, sys, time, os
import numpy as np
sizes, reps, warm = json.loads(sys.argv[1])
info = {"numpy": np.__version__}
try:
    cfg = np.show_config(mode="dicts")
    blas = cfg["Build Dependencies"]["blas"]
    info["blas"] = f'{blas.get("name")} {blas.get("openblas configuration", blas.get("version", ""))}'.strip()
except Exception as e:
    info["blas"] = f"unknown ({e})"
info["threads"] = None
try:
    from threadpoolctl import threadpool_info
    info["threads"] = [p.get("num_threads") for p in threadpool_info() if p.get("user_api") == "blas"]
except Exception:
    # no threadpoolctl: ask numpy's bundled OpenBLAS directly (same file, so the same instance)
    try:
        import ctypes, glob
        libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
        for path in glob.glob(os.path.join(libdir, "*openblas*")):
            lib = ctypes.CDLL(path)
            for sym in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_", "openblas_get_num_threads"):
                if hasattr(lib, sym):
                    info["threads"] = [getattr(lib, sym)()]
                    break
    except Exception:
        pass
rng = np.random.default_rng(0)
def sym(n):
    x = rng.uniform(-1, 1, (n, n))
    return (x + x.T) / 2
w = rng.uniform(-1, 1, (warm, warm)); w @ w; np.linalg.eigh(sym(warm))
out = []
for n in sizes:
    a = rng.uniform(-1, 1, (n, n)); b = rng.uniform(-1, 1, (n, n)); s = sym(n)
    for op, f in (("gemm", lambda: a @ b), ("eigh", lambda: np.linalg.eigh(s))):
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
        out.append({"op": op, "n": n, "seconds": sorted(ts)[len(ts) // 2], "best": min(ts)})
print(json.dumps({"info": info, "rows": out}))
`;

function benchNumpy(sizes: number[]): { rows: Row[]; info: string } {
  const res = spawnSync('python3', ['-c', PY, JSON.stringify([sizes, REPS, WARM_N])], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (res.error || res.status !== 0) {
    const why = res.error
      ? `python3 not runnable (${(res.error as NodeJS.ErrnoException).code ?? res.error.message})`
      : /No module named .?numpy/.test(res.stderr)
        ? 'numpy is not installed for python3'
        : `python3 failed: ${res.stderr.trim().split('\n').pop()}`;
    return { rows: [], info: `numpy skipped: ${why}` };
  }
  const parsed = JSON.parse(res.stdout) as {
    info: { numpy: string; blas: string; threads: number[] | null };
    rows: Array<{ op: 'gemm' | 'eigh'; n: number; seconds: number; best: number }>;
  };
  const threads = parsed.info.threads ? `, threads ${parsed.info.threads.join('/')}` : '';
  return {
    rows: parsed.rows.map((r) => ({ ...r, backend: 'numpy' })),
    info: `numpy ${parsed.info.numpy} (${parsed.info.blas}${threads})`,
  };
}

function main(): void {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const { addon, error } = loadNativeAddon();
  const native = loadNativeLinalg();
  console.log(`ntk-l2 linalg benchmark: Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores`);
  console.log(`OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS ?? '(unset: OpenBLAS uses all cores)'}`);
  if (addon) {
    const i = addon.info();
    console.log(`native: ${i.config} (${i.parallel}, ${i.numThreads} threads, core ${i.corename})`);
  } else {
    console.log(`native: unavailable (${error})`);
  }
  console.log(`js: pure TypeScript (single thread), N=${JS_N} only to keep the run short`);
  console.log(`timing: median of ${REPS} runs after a warm-up at N=${WARM_N}; data generation excluded\n`);

  const rows: Row[] = [];
  if (native) rows.push(...benchOurs(native, N));
  else rows.push({ op: 'gemm', n: N, backend: 'native', seconds: null, note: 'not built' }, { op: 'eigh', n: N, backend: 'native', seconds: null, note: 'not built' });
  rows.push(...benchOurs(jsLinalg, JS_N));
  const np = benchNumpy([...new Set([N, JS_N])]);
  console.log(`${np.info}\n`);
  rows.push(...np.rows);

  const order = ['native', 'js', 'numpy'];
  rows.sort((p, q) => (p.op === q.op ? q.n - p.n || order.indexOf(p.backend) - order.indexOf(q.backend) : p.op < q.op ? 1 : -1));
  const header = ['op', 'N', 'backend', 'median s', 'min s', 'GFLOP/s', 'ours/numpy'];
  const lines = rows.map((r) => {
    const ref = np.rows.find((x) => x.op === r.op && x.n === r.n);
    const gflops = r.op === 'gemm' && r.seconds ? ((2 * r.n ** 3) / r.seconds / 1e9).toFixed(1) : '';
    const ratio = r.backend !== 'numpy' && r.seconds && ref?.seconds ? `${(r.seconds / ref.seconds).toFixed(2)}×` : '';
    const best = r.best === undefined ? '' : r.best.toFixed(3);
    return [r.op, String(r.n), r.backend, r.seconds === null ? (r.note ?? '-') : r.seconds.toFixed(3), best, gflops, ratio];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmt = (cells: string[]) => cells.map((x, c) => (c < 3 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));

  const target = rows.filter((r) => r.backend === 'native' && r.seconds);
  for (const r of target) {
    const ref = np.rows.find((x) => x.op === r.op && x.n === r.n);
    if (ref?.seconds && r.seconds) {
      const ratio = r.seconds / ref.seconds;
      console.log(`${r.op} N=${r.n}: native/numpy = ${ratio.toFixed(2)} (target ≤ 2): ${ratio <= 2 ? 'OK' : 'MISSED'}`);
    }
  }
}

main();
