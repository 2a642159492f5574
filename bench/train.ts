/**
 * Training throughput of ntk-l2's trainer (trainRun: tfjs wasm, autodiff; the wasm matMul on the native addon's
 * own fused-multiply-add sgemm, native/src/sgemmFma.c, when the addon is built) beside PyTorch on the CPU (Debian python3-torch, /usr/bin/python3, bench/train_torch.py)
 * at 1 and at 2 threads, and the machine's float32 sgemm peak (numpy, 2048×2048) measured in the same run.
 *
 * Networks (batch 128, float32, random data, n = 2048 training points):
 *   mlp:W   784-W-W-10, ReLU, SGD + L2, MSE (the setup 'mlp' at width W)
 *   cnn:C   the setup 'cnn' (src/experiments/paperSetups.ts) at C channels: 14×14×1 images, momentum 0.9, xent
 *   wrn:C   the setup 'wrn' at base width C (BatchNorm in training mode), 14×14×1 images, momentum 0.9, xent
 * GFLOP/s counts 6 flops per forward multiply-add (forward, and two products backward), the same count for both
 * sides. Each side runs `--rounds` times, alternated; its best round is reported. `--stock` adds ours on the stock
 * XNNPACK matMul (the native kernel uninstalled in the same process); `--tfjs-patches` adds ours with the native
 * im2col/col2im switched off (src/tfjs/wasmPatches.ts: patches from tfjs slices and concat, as before them);
 * `--blas1` adds ours with OpenBLAS at 1 thread (setLinalgThreads(1) for that run, then back: a run pool's
 * worker); `--no-halves` adds ours without the two-thread halves (setSgemmSplitFrom(0), setNativeTwoThreads(false):
 * the own product and the native loops on one thread; on OpenBLAS its own threads); `--openblas` adds ours with the
 * products on OpenBLAS's cblas_sgemm (setSgemmKernel('openblas'), NTK_SGEMM=openblas: the default before the own
 * product, halves included); `--tfjs-batch-norm` adds the wrn with batchNorm as
 * tfjs ops (setFusedBatchNormEnabled(false)); `--one-thread-below
 * A,B,…` adds ours with products under A (B, …) multiply-adds on one OpenBLAS thread (setSgemmOneThreadBelow; 0: every
 * product on all threads), beside "ours" at the default (SGEMM_ONE_THREAD_BELOW).
 *
 * Run: npx tsx bench/train.ts [--nets mlp:1024,cnn:16,cnn:64,wrn:8,wrn:32] [--steps 100] [--rounds 2] [--stock] [--tfjs-patches] [--blas1] [--no-halves] [--openblas] [--tfjs-batch-norm] [--one-thread-below 0,33554432]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { paperSetup, type PaperSetupName } from '../src/experiments/paperSetups.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { setLinalgThreads } from '../src/linalg/index.js';
import { loadNativeAddon } from '../src/linalg/native.js';
import { mat } from '../src/linalg/matrix.js';
import { initTfjs } from '../src/tfjs/backend.js';
import { installNativeMatMul, nativeMatMulState, setSgemmOneThreadBelow, setSgemmSplitFrom, uninstallNativeMatMul } from '../src/tfjs/nativeMatMul.js';
import { setNativeTwoThreads } from '../src/tfjs/nativeTwoThreads.js';
import { setFusedBatchNormEnabled } from '../src/tfjs/wasmBatchNorm.js';
import { setWasmPatchesEnabled, wasmPatchesState } from '../src/tfjs/wasmPatches.js';
import { trainRun } from '../src/training/trainer.js';
import type { TrainData } from '../src/training/types.js';
import { Rng } from '../src/util/random.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const nets = flag('--nets', 'mlp:1024,cnn:16,cnn:64,wrn:8,wrn:32').split(',');
const stepsFlag = flag('--steps', '');
const rounds = Number(flag('--rounds', '2'));
const withStock = args.includes('--stock');
const withTfjsPatches = args.includes('--tfjs-patches');
const withBlas1 = args.includes('--blas1');
const withNoHalves = args.includes('--no-halves');
const withOpenBlas = args.includes('--openblas');
const withTfjsBatchNorm = args.includes('--tfjs-batch-norm');
const oneThreadBelow = flag('--one-thread-below', '').split(',').filter((v) => v !== '').map(Number);
const batch = 128;
const n = 2048;
const python = '/usr/bin/python3';
const torchScript = new URL('./train_torch.py', import.meta.url).pathname;

/** Forward multiply-adds per example of each network (convolutions counted over the padded outputs, as im2col does). */
function forwardMacs(model: PaperSetupName, w: number): number {
  if (model === 'mlp') return 784 * w + w * w + w * 10;
  if (model === 'cnn') return 14 * 14 * 9 * w + 7 * 7 * 9 * w * 2 * w + 3 * 3 * 2 * w * 10;
  const c = w; // wrn: stem, stage 1 (14×14), stage 2 (7×7, 1×1 projection), stage 3 (4×4, projection), readout
  return 196 * 9 * c + 2 * 196 * 9 * c * c + (49 * 9 * c * 2 * c + 49 * 9 * 4 * c * c + 49 * c * 2 * c) + (16 * 9 * 2 * c * 4 * c + 16 * 9 * 16 * c * c + 16 * 2 * c * 4 * c) + 4 * c * 10;
}

function dataFor(model: PaperSetupName): TrainData {
  const rng = new Rng(1);
  if (model === 'mlp') {
    return { x: mat(n, 784, rng.normals(n * 784)), y: mat(n, 10, rng.normals(n * 10)), xTest: mat(64, 784, rng.normals(64 * 784)), yTest: mat(64, 10, rng.normals(64 * 10)) };
  }
  const oneHot = (rows: number): ReturnType<typeof mat> => {
    const y = new Float64Array(rows * 10);
    for (let i = 0; i < rows; i++) y[i * 10 + (i % 10)] = 1;
    return mat(rows, 10, y);
  };
  return { x: mat(n, 196, rng.normals(n * 196)), y: oneHot(n), xTest: mat(64, 196, rng.normals(64 * 196)), yTest: oneHot(64), inputShape: { spatial: [14, 14], width: 1 } };
}

function python1(argv: string[]): Record<string, number | string> | string {
  if (!existsSync(python)) return '/usr/bin/python3 not found';
  const py = spawnSync(python, [torchScript, ...argv], { encoding: 'utf8' });
  const line = py.stdout.trim().split('\n').pop() ?? '';
  if (py.status !== 0 || !line) return py.stderr.trim().split('\n').pop() ?? `exit ${py.status}`;
  const parsed = JSON.parse(line) as Record<string, number | string>;
  return 'skipped' in parsed ? String(parsed.skipped) : parsed;
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const fmt = (eps: number, macs: number): string => `${eps.toFixed(0).padStart(6)} ex/s ${((6 * macs * eps) / 1e9).toFixed(1).padStart(6)} GFLOP/s`;

const backend = await initTfjs('wasm');
const native = nativeMatMulState().active;
const peaks: number[] = [];
const peak = (): void => {
  const r = python1(['--peak', '--threads', String(availableParallelism())]);
  if (typeof r !== 'string') peaks.push(Number(r.gflops));
};
console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads; load ${load()}`);
console.log(`ours: tfjs ${backend.backend}, matMul: ${backend.matMul ?? 'stock'}; patches: ${wasmPatchesState().reason}`);
peak();
for (const net of nets) {
  const [name, widthText] = net.split(':');
  const setup = paperSetup(name);
  if (!setup) throw new Error(`unknown net ${name} (mlp, cnn, wrn)`);
  const width = Number(widthText ?? setup.defaultWidth);
  const model = setup.name;
  const steps = Number(stepsFlag || (model === 'mlp' ? 100 : model === 'cnn' ? (width > 32 ? 30 : 100) : width > 16 ? 20 : 60));
  const spec = parseOneLineSpec(model === 'mlp' ? '[dense(W, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)'.replace(/W/g, String(width)) : setup.arch(width));
  const data = dataFor(model);
  const lr = setup.lr;
  const opts = { spec, data, lr, lambda: 1e-3, batchSize: batch, evalsPerDecade: 1, evalTrainSize: 64, loss: setup.loss, momentum: setup.momentum, backend: 'wasm' as const };
  const macs = forwardMacs(model, width);
  const best: Record<string, number> = {};
  const keep = (k: string, v: number): void => void (best[k] = Math.max(best[k] ?? 0, v));
  const torchNote: string[] = [];
  await trainRun({ ...opts, budget: lr * 5 }); // warm-up: kernel set-up, XNNPACK caches
  for (let r = 0; r < rounds; r++) {
    keep('ours', (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
    if (withStock && native) {
      uninstallNativeMatMul();
      keep('ours, stock matMul', (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
      installNativeMatMul();
    }
    if (withTfjsPatches && wasmPatchesState().active && model !== 'mlp') {
      setWasmPatchesEnabled(false);
      keep('ours, tfjs patches', (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
      setWasmPatchesEnabled(true);
    }
    if (withNoHalves && native) {
      // without the helper thread: the own product on one thread (OpenBLAS: on its own threads), the loops on one
      const splitBefore = setSgemmSplitFrom(0);
      const connected = setNativeTwoThreads(false);
      keep('ours, no halves', (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
      setNativeTwoThreads(connected);
      setSgemmSplitFrom(splitBefore);
    }
    const addon = native ? loadNativeAddon().addon : null;
    if (withOpenBlas && typeof addon?.setSgemmKernel === 'function') {
      const before = addon.setSgemmKernel('openblas');
      keep('ours, OpenBLAS sgemm', (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
      addon.setSgemmKernel(before);
    }
    if (withTfjsBatchNorm && model === 'wrn') {
      const before = setFusedBatchNormEnabled(false);
      keep('ours, tfjs batchNorm', (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
      setFusedBatchNormEnabled(before);
    }
    if (withBlas1 && native) {
      const before = setLinalgThreads(1) ?? 1;
      keep('ours, 1 BLAS thread', (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
      setLinalgThreads(before);
    }
    for (const below of native ? oneThreadBelow : []) {
      const before = setSgemmOneThreadBelow(below);
      keep(`ours, 1 thread < ${below === 0 ? '0' : `2^${Math.log2(below).toFixed(1).replace(/\.0$/, '')}`}`, (await trainRun({ ...opts, budget: lr * steps })).examplesPerSecond);
      setSgemmOneThreadBelow(before);
    }
    for (const t of [1, 2]) {
      const res = python1(['--model', model, '--width', String(width), '--steps', String(steps), '--threads', String(t), '--batch', String(batch)]);
      if (typeof res === 'string') torchNote.push(res);
      else keep(`PyTorch ${t} thread${t > 1 ? 's' : ''}`, Number(res.examples_per_second));
    }
  }
  console.log(`\n${model} width ${width}: ${(macs / 1e6).toFixed(2)} M forward multiply-adds/example, ${steps} steps × ${rounds} rounds, load ${load()}`);
  for (const [k, v] of Object.entries(best)) console.log(`  ${k.padEnd(20)} ${fmt(v, macs)}`);
  const torchBest = Math.max(best['PyTorch 1 thread'] ?? 0, best['PyTorch 2 threads'] ?? 0);
  if (torchBest > 0) console.log(`  ratio ours / PyTorch's best thread count: ${(best.ours / torchBest).toFixed(2)}  (target ≥ 1.0)`);
  else console.log(`  PyTorch peer skipped: ${torchNote[0] ?? '?'}`);
}
peak();
if (peaks.length) console.log(`\nsgemm peak (numpy float32 2048×2048, ${availableParallelism()} threads, best of the start and end of this run): ${Math.max(...peaks).toFixed(1)} GFLOP/s; load ${load()}`);
