/**
 * Empirical NTK of the MLP 784-1024-1024-10 (ReLU, NTK parameterization, σ_w = √2, σ_b = 0.1) on N = 256
 * bundled MNIST digits, the k-averaged trace Θ = (1/k)·Σ_c J_c·J_cᵀ, in one run:
 *   - ours, structured (per-layer Grams, no Jacobian; float32 on the tfjs backend, float64 sums);
 *   - ours, Jacobian contraction (tfjs autodiff per example and output, float64 contraction on BLAS);
 *   - PyTorch, Jacobian contraction (bench/empirical_torch.py on Debian's python3-torch), same weights.
 * Each method runs in its own child process so that its peak resident memory is its own.
 * Run: npx tsx bench/empirical.ts [--n 256] [--jacobian-n 256] [--skip-jacobian] [--threads 2]
 * PyTorch peer: `sudo apt-get install python3-torch` (Debian), then it is found at /usr/bin/python3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledDataset } from '../src/experiments/dataset.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { structuredNtk } from '../src/kernels/structuredNtk.js';
import { jacobianNtk } from '../src/kernels/jacobianNtk.js';
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
const N = Number(flag('--n', '256'));
const JN = Number(flag('--jacobian-n', String(N)));
const threads = Number(flag('--threads', String(availableParallelism())));
const role = flag('--role', 'main');
const dir = flag('--dir', '');
const ARCH = 'dense(1024, wStd=1.41421356, bStd=0.1) > relu > dense(1024, wStd=1.41421356, bStd=0.1) > relu > dense(10, wStd=1.41421356, bStd=0.1)';
const SEED = 7;

interface ChildResult { seconds: number; peakRssMb: number; backend?: string; n: number }

async function child(): Promise<void> {
  const backend = await initTfjs('auto');
  const tf = tfRuntime();
  const spec = parseOneLineSpec(ARCH);
  const x = readNpy(join(dir, 'x.npy'));
  const n = role === 'jacobian' ? JN : N;
  const xs = tf.tensor2d(Float32Array.from(x.data.subarray(0, n * 784)), [n, 784]);
  const net = bindFinite(spec, 784);
  const params = initParams(net, SEED);
  if (role === 'structured') await structuredNtk(net, params.layers, xs.slice([0, 0], [8, 784]), null); // warm-up (compiles kernels)
  const reps = role === 'structured' ? 3 : 1;
  let best = Infinity;
  let theta: Float64Array | null = null;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    theta = (role === 'structured' ? await structuredNtk(net, params.layers, xs, null) : await jacobianNtk(net, params.layers, xs, null)).ntk;
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  writeNpy(join(dir, `theta_${role}.npy`), { shape: [n, n], data: theta! });
  const out: ChildResult = { seconds: best, peakRssMb: process.resourceUsage().maxRSS / 1024, backend: backend.backend, n };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function relErr(a: Float64Array, b: Float64Array, n: number, stride: number): number {
  // compares the leading n×n block of a (stride n) with b (stride `stride`)
  let d = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const va = a[i * n + j];
      const vb = b[i * stride + j];
      d = Math.max(d, Math.abs(va - vb));
      m = Math.max(m, Math.abs(vb));
    }
  }
  return d / m;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ntk-bench-emp-'));
  try {
    const data = bundledDataset(`mnist:${N}:1`);
    writeNpy(join(work, 'x.npy'), { shape: [N, 784], data: takeRows(data.x, Array.from({ length: N }, (_, i) => i)).data });
    // The weights, for the PyTorch peer to load (same seed as the children use).
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
    console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads`);
    console.log(`empirical NTK, MLP 784-1024-1024-10 (P = ${net.paramCount}), ReLU, biases, N = ${N} MNIST digits, trace over k = 10 outputs`);
    const runChild = (r: string): ChildResult | null => {
      const res = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--role', r, '--dir', work, '--n', String(N), '--jacobian-n', String(JN)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (res.status !== 0) {
        console.log(`${r}: failed: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        return null;
      }
      return JSON.parse(res.stdout.trim().split('\n').pop()!) as ChildResult;
    };
    const s = runChild('structured');
    if (!s) return;
    console.log(`ours, structured (tfjs ${s.backend}, float32 products, float64 sums): ${s.seconds.toFixed(3)} s (best of 3), peak RSS ${s.peakRssMb.toFixed(0)} MB`);
    const theta = readNpy(join(work, 'theta_structured.npy')).data as Float64Array;

    let torch: { seconds: number; peak_rss_mb: number; torch: string; threads: number } | null = null;
    const python = '/usr/bin/python3';
    if (!existsSync(python)) {
      console.log('PyTorch peer skipped: /usr/bin/python3 not found (install Debian python3 and python3-torch)');
    } else {
      const py = spawnSync(python, [new URL('./empirical_torch.py', import.meta.url).pathname, '--x', join(work, 'x.npy'), '--weights', join(work, 'w'), '--wstd', '1.41421356', '--bstd', '0.1', '--out', join(work, 'theta_torch.npy'), '--threads', String(threads)], { encoding: 'utf8' });
      const line = py.stdout.trim().split('\n').pop() ?? '';
      const parsed = py.status === 0 && line ? (JSON.parse(line) as Record<string, unknown>) : null;
      if (!parsed || 'skipped' in parsed) {
        console.log(`PyTorch peer skipped: ${parsed ? String(parsed.skipped) : py.stderr.trim().split('\n').pop()}`);
      } else {
        torch = parsed as unknown as typeof torch;
        const tt = readNpy(join(work, 'theta_torch.npy')).data as Float64Array;
        console.log(`PyTorch ${torch!.torch}, Jacobian contraction (${torch!.threads} threads, float32, float64 sums): ${torch!.seconds.toFixed(3)} s, peak RSS ${torch!.peak_rss_mb.toFixed(0)} MB`);
        console.log(`agreement ours structured vs PyTorch: max |ΔΘ| / max |Θ| = ${relErr(theta, tt, N, N).toExponential(2)}`);
        console.log(`ratio PyTorch / ours structured: ${(torch!.seconds / s.seconds).toFixed(1)}×  (target ≥ 10×)`);
      }
    }
    if (!args.includes('--skip-jacobian')) {
      const j = runChild('jacobian');
      if (j) {
        const tj = readNpy(join(work, 'theta_jacobian.npy')).data as Float64Array;
        console.log(`ours, Jacobian contraction (tfjs ${j.backend} autodiff, float64 BLAS contraction), N = ${j.n}: ${j.seconds.toFixed(3)} s, peak RSS ${j.peakRssMb.toFixed(0)} MB`);
        console.log(`agreement ours structured vs ours Jacobian: ${relErr(tj, theta, j.n, N).toExponential(2)}`);
        const scale = (N / j.n) ** 2;
        console.log(`ratio ours Jacobian / ours structured: ${((j.seconds * (j.n === N ? 1 : scale)) / s.seconds).toFixed(1)}×${j.n === N ? '' : ` (Jacobian time scaled by (N/${j.n})² = ${scale})`}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await (role === 'main' ? main() : child());
