/**
 * A/B of the ways a single training run can use two cores, alternated in rounds in one process, medians and bests:
 *   halves                          the default: products ≥ SGEMM_SPLIT_FROM in two halves on two threads (the
 *                                   linalg addon's helper), smaller ones on one OpenBLAS thread; the native float32
 *                                   loops (im2col, col2im, relu's gradient, scale, batchNorm) in halves too
 *   halves, products only           the native loops on one thread (setNativeTwoThreads(false))
 *   halves, loops only              products on OpenBLAS's own two threads, the loops in halves (shows what OpenBLAS's
 *                                   polling threads do to the helper: do not mix them)
 *   OpenBLAS 2 threads (no halves)  as before the helper: every product on OpenBLAS's threads, the loops on one
 *   one thread                      OpenBLAS on one thread, no halves (a run pool's worker)
 * The paper setup's net on 2048 random 14×14 images, batch 128, one evaluation per decade, as bench/train.ts.
 *
 * Run: npx tsx bench/halves.ts [cnn|wrn] [width] [rounds] [steps] [modes, comma-separated]   (e.g. cnn 16 5 100;
 * wrn 8 5 60 'halves,one thread')
 */
import { paperSetup } from '../src/experiments/paperSetups.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { setLinalgThreads } from '../src/linalg/index.js';
import { mat } from '../src/linalg/matrix.js';
import { initTfjs } from '../src/tfjs/backend.js';
import { setSgemmSplitFrom } from '../src/tfjs/nativeMatMul.js';
import { setNativeTwoThreads } from '../src/tfjs/nativeTwoThreads.js';
import { trainRun } from '../src/training/trainer.js';
import { Rng } from '../src/util/random.js';
const [net = 'cnn', w = '16', roundsText = '7', stepsText = '100', onlyText = ''] = process.argv.slice(2);
const only = onlyText ? new Set(onlyText.split(',')) : null;
await initTfjs('wasm');
const setup = paperSetup(net)!;
const rng = new Rng(1);
const n = 2048;
const y = new Float64Array(n * 10); for (let i = 0; i < n; i++) y[i * 10 + (i % 10)] = 1;
const yt = new Float64Array(640); for (let i = 0; i < 64; i++) yt[i * 10 + (i % 10)] = 1;
const data = { x: mat(n, 196, rng.normals(n * 196)), y: mat(n, 10, y), xTest: mat(64, 196, rng.normals(64 * 196)), yTest: mat(64, 10, yt), inputShape: { spatial: [14, 14], width: 1 } };
const opts = { spec: parseOneLineSpec(setup.arch(Number(w))), data, lr: setup.lr, lambda: 1e-3, batchSize: 128, evalsPerDecade: 1, evalTrainSize: 64, loss: setup.loss, momentum: setup.momentum, backend: 'wasm' as const };
await trainRun({ ...opts, budget: setup.lr * 5 });
const configs: Record<string, () => () => void> = {
  halves: () => () => {},
  'halves, products only': () => { const b = setNativeTwoThreads(false); return () => setNativeTwoThreads(b); },
  'halves, loops only': () => { const b = setSgemmSplitFrom(0); const t = setLinalgThreads(2); return () => { setSgemmSplitFrom(b); setLinalgThreads(t ?? 2); }; },
  'OpenBLAS 2 threads (no halves)': () => { const b = setSgemmSplitFrom(0); const c = setNativeTwoThreads(false); return () => { setSgemmSplitFrom(b); setNativeTwoThreads(c); }; },
  'one thread': () => { const t = setLinalgThreads(1); return () => setLinalgThreads(t ?? 2); },
};
const res: Record<string, number[]> = {};
for (let r = 0; r < Number(roundsText); r++) for (const [k, f] of Object.entries(configs).filter(([name]) => !only || only.has(name))) {
  const undo = f();
  (res[k] ??= []).push((await trainRun({ ...opts, budget: setup.lr * Number(stepsText) })).examplesPerSecond);
  undo();
}
const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(32)} median ${med(v).toFixed(0)} best ${Math.max(...v).toFixed(0)} ex/s`);
