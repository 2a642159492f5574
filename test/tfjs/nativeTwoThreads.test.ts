import { describe, expect, it, onTestFinished } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import { batchNorm } from '../../src/layers/batchNorm.js';
import { runWithState } from '../../src/layers/finiteState.js';
import { windowPatches, windowSum } from '../../src/layers/patches.js';
import { windowTable } from '../../src/layers/window.js';
import { loadNativeAddon } from '../../src/linalg/native.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { setNativeTwoThreads } from '../../src/tfjs/nativeTwoThreads.js';
import { wasmBatchNormCalls } from '../../src/tfjs/wasmBatchNorm.js';
import { wasmPatchCalls } from '../../src/tfjs/wasmPatches.js';
import { Rng } from '../../src/util/random.js';

/**
 * The native float32 loops of a training step run their two halves at once on the linalg addon's helper thread
 * (src/tfjs/nativeTwoThreads.ts, native/src/kernels.c run_halves). The halves split examples (im2col, col2im, the
 * window sums), elements (relu's gradient, a tensor times a scalar), channels (batchNorm's sums) or rows (its elementwise passes), so every
 * output must equal, bit for bit, the output with the helper disconnected; and the helper must really run a part
 * (its job count grows). Sizes are above the loops' 32 768-float minimum.
 */
const addon = loadNativeAddon().addon;
const available = addon !== null && typeof addon.twoThreadsHandle === 'function';

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

/** Every output of f with the helper connected and disconnected, and the helper jobs run while connected. */
function bothWays(f: () => Tensor[]): { two: number[][]; one: number[][]; jobs: number } {
  const jobs = () => addon!.info().helperJobs ?? 0;
  const before = jobs();
  setNativeTwoThreads(true);
  const twoT = f();
  const ran = jobs() - before;
  setNativeTwoThreads(false);
  const oneT = f();
  setNativeTwoThreads(true);
  const out = { two: twoT.map(bits), one: oneT.map(bits), jobs: ran };
  tf.dispose([...twoT, ...oneT]);
  return out;
}

describe.skipIf(!available)('native loops in two halves on the helper thread', () => {
  it('im2col, col2im, window sums, relu\'s gradient and the fused batchNorm give the same bits on two threads as on one', async () => {
    await initTfjs('wasm');
    const prev = addon!.setNumThreads(2); // the helper runs while OpenBLAS has ≥ 2 threads, whatever the cores
    onTestFinished(() => {
      addon!.setNumThreads(prev);
      setNativeTwoThreads(true);
    });
    const rng = new Rng(4);
    const [n, h, w, c] = [17, 14, 14, 12]; // an odd batch: halves of 8 and 9 examples
    const x = tf.tensor(Float32Array.from(rng.normals(n * h * w * c)), [n, h, w, c]);
    const tab = windowTable([h, w], [3, 3], [1, 1], 'SAME', 'test');
    const patchCalls = wasmPatchCalls();
    const patches = bothWays(() => {
      const p = windowPatches(x, [h, w], tab, [3, 3], [1, 1], 'SAME');
      const dy = tf.tensor(Float32Array.from(new Rng(5).normals(p.size)), p.shape);
      const dx = tf.grad((t: Tensor) => tf.sum(tf.mul(dy, windowPatches(t, [h, w], tab, [3, 3], [1, 1], 'SAME'))))(x);
      return [p, dx];
    });
    expect(wasmPatchCalls()).toBeGreaterThan(patchCalls); // the native ops ran
    expect(patches.two).toEqual(patches.one);
    expect(patches.jobs).toBeGreaterThanOrEqual(2);

    const pool = windowTable([h, w], [2, 2], [2, 2], 'SAME', 'test');
    const scale = new Float32Array(49).fill(0.25);
    const sums = bothWays(() => [windowSum(x, [h, w], pool, [2, 2], [2, 2], 'SAME', scale), tf.grad((t: Tensor) => tf.sum(windowSum(t, [h, w], pool, [2, 2], [2, 2], 'SAME', scale)))(x)]);
    expect(sums.two).toEqual(sums.one);

    const dy = tf.tensor(Float32Array.from(new Rng(6).normals(n * h * w * c)), [n, h, w, c]);
    const relu = bothWays(() => [tf.grad((t: Tensor) => tf.sum(tf.mul(dy, tf.relu(t))))(x)]);
    expect(relu.two).toEqual(relu.one);
    expect(relu.jobs).toBeGreaterThanOrEqual(1);

    const scaled = bothWays(() => [tf.mul(x, Math.fround(0.3)), tf.mul(tf.scalar(-1.7), dy)]);
    expect(scaled.two).toEqual(scaled.one);
    expect(scaled.jobs).toBeGreaterThanOrEqual(2);

    const bn = batchNorm({ momentum: 0.9 }).finite!({ parameterization: 'ntk', fanIn: c, spatial: [h, w] });
    const state = [tf.tensor(Float32Array.from({ length: c }, (_, k) => 0.1 * k)), tf.ones([c])];
    const bnCalls = wasmBatchNormCalls();
    const norm = bothWays(() => {
      const forward = (t: Tensor) => runWithState('train', state, () => bn.apply([], t as never) as unknown as Tensor);
      const { value, state: next } = forward(x);
      const dx = tf.grad((t: Tensor) => tf.sum(tf.mul(dy, forward(t).value)))(x);
      return [value, ...next, dx];
    });
    expect(wasmBatchNormCalls()).toBeGreaterThan(bnCalls);
    expect(norm.two).toEqual(norm.one);
    expect(norm.jobs).toBeGreaterThanOrEqual(4); // statistics and normalisation forward, sums and dx backward

    // OpenBLAS on one thread (a run pool's worker): no helper, the same bits
    addon!.setNumThreads(1);
    const before = addon!.info().helperJobs ?? 0;
    const single = windowPatches(x, [h, w], tab, [3, 3], [1, 1], 'SAME');
    expect(addon!.info().helperJobs ?? 0).toBe(before);
    expect(bits(single)).toEqual(patches.one[0]);
    tf.dispose([x, dy, single, ...state]);
  });
});

describe.skipIf(!available || typeof addon?.setSgemmKernel !== 'function' || addon.info().sgemmKernel === 'openblas')('a single run and a pooled run give the same bits (the addon\'s own product)', () => {
  it('a seeded BatchNorm conv net trains to the same log on two threads (halves of products and loops) as on one', async (ctx) => {
    await initTfjs('wasm');
    if (addon!.info().sgemmKernel === 'openblas') ctx.skip(); // NTK_SGEMM=openblas: OpenBLAS's bits depend on the cut
    const { paperSetup } = await import('../../src/experiments/paperSetups.js');
    const { parseOneLineSpec } = await import('../../src/layers/json.js');
    const { mat } = await import('../../src/linalg/matrix.js');
    const { trainRun } = await import('../../src/training/trainer.js');
    const { setSgemmSplitFrom } = await import('../../src/tfjs/nativeMatMul.js');
    const setup = paperSetup('wrn')!;
    const rng = new Rng(5);
    const n = 256;
    const oneHot = (rows: number) => mat(rows, 10, Float64Array.from({ length: rows * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0)));
    const data = { x: mat(n, 196, rng.normals(n * 196)), y: oneHot(n), xTest: mat(64, 196, rng.normals(64 * 196)), yTest: oneHot(64), inputShape: { spatial: [14, 14], width: 1 } };
    const opts = { spec: parseOneLineSpec(setup.arch(4)), data, lr: setup.lr, lambda: 1e-3, batchSize: 64, budget: setup.lr * 8, evalsPerDecade: 4, loss: setup.loss, momentum: setup.momentum, backend: 'wasm' as const, seed: 9 };
    const log = (r: Awaited<ReturnType<typeof trainRun>>): number[] => r.records.flatMap((x) => [x.trainLoss, x.testLoss, x.trainAcc, x.testAcc]);
    const prev = addon!.setNumThreads(2); // a single run's count (the halves need ≥ 2, not two cores)
    const split = setSgemmSplitFrom(1); // every product of the net in halves
    onTestFinished(() => {
      addon!.setNumThreads(prev);
      setSgemmSplitFrom(split);
    });
    const jobs = addon!.info().helperJobs ?? 0;
    const two = await trainRun(opts);
    expect(addon!.info().helperJobs ?? 0).toBeGreaterThan(jobs); // the helper really ran halves
    addon!.setNumThreads(1); // a run pool's worker: one part, no helper
    const one = await trainRun(opts);
    expect(log(two).length).toBeGreaterThan(8);
    expect(log(two)).toEqual(log(one));
  }, 120_000);
});
