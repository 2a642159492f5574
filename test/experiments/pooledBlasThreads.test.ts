import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POOLED_BLAS_THREADS, withPooledBlasThreads } from '../../src/experiments/pooledBlasThreads.js';
import { runPool } from '../../src/experiments/runPool.js';
import { linalgInfo, setLinalgThreads } from '../../src/linalg/index.js';
import { parseSpec } from '../../src/layers/json.js';
import { Rng } from '../../src/util/random.js';
import { trainRun, type TrainData, type TrainResult } from '../../src/training/trainer.js';
import { mat } from '../../src/linalg/matrix.js';
import { loadNativeAddon } from '../../src/linalg/native.js';
import { setSgemmOneThreadBelow } from '../../src/tfjs/nativeMatMul.js';

const threads = (): number => linalgInfo().openblas!.numThreads;
const native = linalgInfo().openblas !== null;
const dir = mkdtempSync(join(tmpdir(), 'ntk-pooled-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!native)('OpenBLAS threads of pooled runs', () => {
  it('one thread while any pooled run trains; overlapping runs share it; the last gives the old count back', async () => {
    const before = setLinalgThreads(2)!;
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: number[] = [];
      const a = withPooledBlasThreads(async () => {
        seen.push(threads());
        await gate;
        seen.push(threads());
      }, {});
      const b = withPooledBlasThreads(async () => {
        seen.push(threads());
      }, {});
      await b;
      // b ended while a still trains: a must not see the count change under it
      expect(threads()).toBe(POOLED_BLAS_THREADS);
      release();
      await a;
      expect(seen).toEqual([POOLED_BLAS_THREADS, POOLED_BLAS_THREADS, POOLED_BLAS_THREADS]);
      expect(threads()).toBe(2);
      // a failing run gives the count back too
      await expect(withPooledBlasThreads(async () => { throw new Error('boom'); }, {})).rejects.toThrow('boom');
      expect(threads()).toBe(2);
    } finally {
      setLinalgThreads(before);
    }
  });

  it('OPENBLAS_NUM_THREADS set by the user is left alone', async () => {
    const before = setLinalgThreads(2)!;
    try {
      const inside = await withPooledBlasThreads(async () => threads(), { OPENBLAS_NUM_THREADS: '2' });
      expect(inside).toBe(2);
    } finally {
      setLinalgThreads(before);
    }
  });

  it('on OpenBLAS, a pooled run (jobs 1 and jobs 2) gives exactly the numbers of a single run at one OpenBLAS thread; on the own product, at any count', async () => {
    // products big enough for OpenBLAS to thread them (m·n·k above its 262,144 threshold), so 1 and 2 threads differ
    const rng = new Rng(4);
    const n = 256;
    const data: TrainData = { x: mat(n, 64, rng.normals(n * 64)), y: mat(n, 10, rng.normals(n * 10)), xTest: mat(64, 64, rng.normals(64 * 64)), yTest: mat(64, 10, rng.normals(64 * 10)) };
    const spec = parseSpec('[dense(256, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
    const opts = { spec, data, lr: 0.5, budget: 0.5 * 12, lambda: 1e-3, batchSize: 128, evalsPerDecade: 4, backend: 'wasm' as const, seed: 2 };
    const losses = (r: TrainResult): number[] => r.records.map((x) => x.trainLoss);
    const addon = loadNativeAddon().addon!;
    // the pool's one thread matters for OpenBLAS's products (their bits depend on its thread count); the addon's
    // own product (the default where the CPU has AVX2+FMA) gives one set of bits at every count
    const own = typeof addon.setSgemmKernel === 'function' && addon.info().sgemmKernel !== 'openblas';
    const kernels = own ? (['openblas', 'auto'] as const) : ([null] as const);
    for (const kernel of kernels) {
      if (kernel !== null) addon.setSgemmKernel!(kernel);
      try {
        const before = setLinalgThreads(1)!;
        let single: TrainResult;
        try {
          single = await trainRun(opts);
        } finally {
          setLinalgThreads(before);
        }
        // at the process's own thread count (all cores, every product threaded): on OpenBLAS the bits differ
        // (the test can tell), on the own product they are the same
        if (before >= 2) {
          const below = setSgemmOneThreadBelow(0);
          try {
            const all = losses(await trainRun(opts));
            if (kernel === 'auto') expect(all).toEqual(losses(single));
            else expect(all).not.toEqual(losses(single));
          } finally {
            setSgemmOneThreadBelow(below);
          }
        }
        for (const jobs of [1, 2]) {
          const pooled = await runPool(jobs).run({ ...opts, dir: join(dir, `${kernel}-jobs${jobs}`) });
          expect(losses(pooled.result)).toEqual(losses(single));
        }
        expect(threads()).toBe(before);
      } finally {
        if (kernel !== null) addon.setSgemmKernel!('auto');
      }
    }
  }, 60_000);
});
