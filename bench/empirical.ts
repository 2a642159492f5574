/**
 * Structured empirical NTK of the MLP 784-1024-1024-10 (ReLU, NTK parameterization, σ_w = √2, σ_b = 0.1) on N
 * bundled MNIST digits, the k-averaged trace Θ = (1/k)·Σ_c J_c·J_cᵀ, all sides running the SAME algorithm
 * (per-layer Gram of the inputs ⊙ Gram of the back-propagated sensitivities of all k outputs; float32 products,
 * float64 sums), in one run:
 *   - ours (`structuredNtk` on the tfjs backend, Θ only: `nngp: false`, as the peers compute no NNGP);
 *   - numpy (bench/empirical_numpy.py, on numpy's OpenBLAS) — with the float32 2048×2048 GEMM rate of that
 *     numpy measured in the same run, the machine's BLAS peak;
 *   - PyTorch (bench/empirical_torch.py --method structured) at 1 and 2 threads.
 * Each side runs in its own child process (its own peak RSS), best of --repeat inside; the sides are run in
 * turn, --rounds times, alternating, and each side's minimum is reported. Times, GFLOP/s of the algorithm's
 * nominal flop count (2·m·n·k per product, Gram products counted in full), ratios to numpy, agreement in float64,
 * and the CPU time of one run (all threads; least of --repeat): on a loaded machine wall times measure the load,
 * and --threads 1 makes CPU time the work done (ours, numpy and OpenBLAS all on one thread).
 * Run: npx tsx bench/empirical.ts [--n 256,1024] [--threads 2] [--rounds 2] [--repeat 3]
 *      [--python python3] [--torch-python /usr/bin/python3] [--peak 2048]
 * --threads sets the OpenBLAS threads of ours (the native addon) and of numpy (and the peak); PyTorch always runs
 * at 1 and at 2 threads. --python is the interpreter with numpy (default: python3 on PATH).
 * PyTorch peer: `sudo apt-get install python3-torch` (Debian), run by /usr/bin/python3; skipped when absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledDataset } from '../src/experiments/dataset.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { structuredNtk } from '../src/kernels/structuredNtk.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { bindFinite, initParams } from '../src/layers/network.js';
import { takeRows } from '../src/data/mnist.js';
import { initTfjs } from '../src/tfjs/backend.js';
import { tfRuntime } from '../src/tfjs/runtime.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const NS = flag('--n', '256,1024').split(',').map(Number);
const threads = Number(flag('--threads', String(Math.min(2, availableParallelism()))));
const rounds = Number(flag('--rounds', '2'));
const repeat = Number(flag('--repeat', '3'));
const numpyPython = flag('--python', 'python3');
const torchPython = flag('--torch-python', '/usr/bin/python3');
const peakM = Number(flag('--peak', '2048'));
const role = flag('--role', 'main');
const dir = flag('--dir', '');
const WIDTHS = [784, 1024, 1024, 10];
const ARCH = 'dense(1024, wStd=1.41421356, bStd=0.1) > relu > dense(1024, wStd=1.41421356, bStd=0.1) > relu > dense(10, wStd=1.41421356, bStd=0.1)';
const SEED = 7;

/** What a child process prints as its last line. */
interface SideResult { seconds: number; cpuSeconds: number; peakRssMb: number; label: string }

/** The algorithm's nominal flops: forward, input Grams, sensitivity Grams, backward products (2·m·n·k each). */
function nominalFlops(n: number): number {
  const k = WIDTHS[WIDTHS.length - 1];
  let f = 0;
  for (let l = 0; l + 1 < WIDTHS.length; l++) {
    const [a, b] = [WIDTHS[l], WIDTHS[l + 1]];
    f += 2 * n * a * b; // forward
    f += 2 * n * n * a; // Gram of the layer's inputs
    f += 2 * n * n * k * b; // Σ_c δ_c δ_cᵀ
    if (l > 0) f += 2 * n * k * b * a; // δ back through W_l
  }
  return f;
}

async function child(): Promise<void> {
  const backend = await initTfjs('auto');
  const tf = tfRuntime();
  const n = Number(flag('--size', '0'));
  const x = readNpy(join(dir, 'x.npy'));
  const xs = tf.tensor2d(Float32Array.from(x.data.subarray(0, n * 784)), [n, 784]);
  const net = bindFinite(parseOneLineSpec(ARCH), 784);
  const params = initParams(net, SEED);
  await structuredNtk(net, params.layers, xs.slice([0, 0], [8, 784]), null); // warm-up (compiles kernels)
  let best = Infinity;
  let bestCpu = Infinity;
  let theta: Float64Array | null = null;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    theta = (await structuredNtk(net, params.layers, xs, null, { nngp: false })).ntk; // Θ only, as the peers
    best = Math.min(best, (performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  }
  writeNpy(join(dir, `theta_ours_${n}.npy`), { shape: [n, n], data: theta! });
  const out: SideResult = { seconds: best, cpuSeconds: bestCpu, peakRssMb: process.resourceUsage().maxRSS / 1024, label: `ours (tfjs ${backend.backend}, ${threads} thread${threads > 1 ? 's' : ''})` };
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** max |a − b| / max |b| over two N×N float64 matrices. */
function relDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

const loadavg = (): string => (existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : '?');

/** Runs a child; its last stdout line is JSON. Returns null (and says why) on failure or a skip. */
function runJson(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | null {
  const res = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  const line = (res.stdout ?? '').trim().split('\n').pop() ?? '';
  if (res.status !== 0 || !line.startsWith('{')) {
    console.log(`  ${cmd} ${argv[0]}: failed: ${(res.stderr ?? String(res.error)).trim().split('\n').slice(-2).join(' | ')}`);
    return null;
  }
  const parsed = JSON.parse(line) as Record<string, unknown>;
  if ('skipped' in parsed) {
    console.log(`  ${argv[0]}: skipped: ${String(parsed.skipped)}`);
    return null;
  }
  return parsed;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ntk-bench-emp-'));
  try {
    const nMax = Math.max(...NS);
    const data = bundledDataset(`mnist:${nMax}:1`);
    writeNpy(join(work, 'x.npy'), { shape: [nMax, 784], data: takeRows(data.x, Array.from({ length: nMax }, (_, i) => i)).data });
    for (const n of NS) {
      const x = readNpy(join(work, 'x.npy'));
      writeNpy(join(work, `x_${n}.npy`), { shape: [n, 784], data: x.data.subarray(0, n * 784) });
    }
    // The weights, for the peers to load (same seed as the children use).
    await initTfjs('auto');
    const net = bindFinite(parseOneLineSpec(ARCH), 784);
    const params = initParams(net, SEED);
    mkdirSync(join(work, 'w'));
    let l = 0;
    for (const group of params.layers) {
      if (group.length === 0) continue;
      writeNpy(join(work, 'w', `W${l}.npy`), { shape: group[0].shape, data: group[0].dataSync() as Float32Array });
      writeNpy(join(work, 'w', `b${l}.npy`), { shape: group[1].shape, data: group[1].dataSync() as Float32Array });
      l++;
    }
    params.dispose();
    console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads; load average at start ${loadavg()}`);
    console.log(`structured empirical NTK, MLP 784-1024-1024-10 (P = ${net.paramCount}), ReLU, biases, MNIST digits, trace over k = 10 outputs`);
    console.log(`each side: best of ${repeat} in its own process; ${rounds} alternating rounds, each side's minimum; ours and numpy at ${threads} OpenBLAS thread(s)`);
    const peerArgs = (n: number, tag: string): string[] => ['--x', join(work, `x_${n}.npy`), '--weights', join(work, 'w'), '--wstd', '1.41421356', '--bstd', '0.1', '--out', join(work, `theta_${tag}_${n}.npy`), '--repeat', String(repeat)];
    let peak: { m: number; gflops: number } | null = null;
    for (const n of NS) {
      const sides: { tag: string; run: () => SideResult | null }[] = [
        {
          tag: 'ours',
          run: () => {
            // OpenBLAS (the addon's) reads its thread count when it loads
            const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
            const r = runJson(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--role', 'child', '--dir', work, '--size', String(n), '--repeat', String(repeat), '--threads', String(threads)], env);
            return r as unknown as SideResult | null;
          },
        },
        {
          tag: 'numpy',
          run: () => {
            const r = runJson(numpyPython, [new URL('./empirical_numpy.py', import.meta.url).pathname, ...peerArgs(n, 'numpy'), '--threads', String(threads), '--peak', peak ? '0' : String(peakM)]);
            if (!r) return null;
            if (typeof r.peak_gflops === 'number') peak = { m: peakM, gflops: r.peak_gflops };
            return { seconds: r.seconds as number, cpuSeconds: r.cpu_seconds as number, peakRssMb: r.peak_rss_mb as number, label: `numpy ${String(r.numpy)} (${threads} thread${threads > 1 ? 's' : ''})` };
          },
        },
        ...[1, 2].map((t) => ({
          tag: `torch${t}`,
          run: (): SideResult | null => {
            if (!existsSync(torchPython)) return null;
            const r = runJson(torchPython, [new URL('./empirical_torch.py', import.meta.url).pathname, ...peerArgs(n, `torch${t}`), '--threads', String(t), '--method', 'structured']);
            return r ? { seconds: r.seconds as number, cpuSeconds: r.cpu_seconds as number, peakRssMb: r.peak_rss_mb as number, label: `PyTorch ${String(r.torch)} (${t} thread${t > 1 ? 's' : ''})` } : null;
          },
        })),
      ];
      const best = new Map<string, SideResult>();
      const loads: string[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
          loads.push(loadavg());
          const res = s.run();
          if (res && (!best.has(s.tag) || res.seconds < best.get(s.tag)!.seconds)) best.set(s.tag, res);
        }
      }
      const flops = nominalFlops(n);
      console.log(`\nN = ${n}: ${(flops / 1e9).toFixed(2)} GFLOP nominal; load averages before each child: ${loads.join(' / ')}`);
      const np = best.get('numpy');
      const ours = best.get('ours');
      const oursTheta = ours ? (readNpy(join(work, `theta_ours_${n}.npy`)).data as Float64Array) : null;
      for (const [tag, r] of best) {
        const agree = oursTheta && tag !== 'ours' ? `, vs ours max|ΔΘ|/max|Θ| = ${relDiff(readNpy(join(work, `theta_${tag}_${n}.npy`)).data as Float64Array, oursTheta).toExponential(1)}` : '';
        const ratio = np ? `, ${(r.seconds / np.seconds).toFixed(2)}× numpy's time (cpu ${(r.cpuSeconds / np.cpuSeconds).toFixed(2)}×)` : '';
        console.log(`  ${r.label.padEnd(36)} ${r.seconds.toFixed(3).padStart(7)} s  ${(flops / r.seconds / 1e9).toFixed(1).padStart(6)} GFLOP/s  cpu ${r.cpuSeconds.toFixed(3)} s  peak RSS ${r.peakRssMb.toFixed(0)} MB${ratio}${agree}`);
      }
      const torchBest = ['torch1', 'torch2'].map((t) => best.get(t)).filter((r): r is SideResult => !!r).sort((a, b) => a.seconds - b.seconds)[0];
      if (ours && torchBest) console.log(`  ours / best PyTorch: ${(ours.seconds / torchBest.seconds).toFixed(2)}× its time`);
    }
    const p = peak as { m: number; gflops: number } | null;
    if (p) console.log(`\nsgemm peak (numpy float32 ${p.m}×${p.m}, ${threads} thread(s), best of 3): ${p.gflops.toFixed(1)} GFLOP/s`);
    console.log(`load average at end ${loadavg()}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await (role === 'main' ? main() : child());
