/**
 * Two runs side by side (runPool, jobs = 2, worker threads) of the MLP 784-512-512-10, batch 128, 60 steps each:
 * wall time, to compare OpenBLAS thread counts (OPENBLAS_NUM_THREADS=1 vs the default, all cores, per process).
 * Run: [OPENBLAS_NUM_THREADS=1] npx tsx bench/poolThreads.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPool } from '../src/experiments/runPool.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { mat } from '../src/linalg/matrix.js';
import { loadNativeAddon } from '../src/linalg/native.js';
import { Rng } from '../src/util/random.js';

const rng = new Rng(1);
const n = 1024;
const data = { x: mat(n, 784, rng.normals(n * 784)), y: mat(n, 10, rng.normals(n * 10)), xTest: mat(64, 784, rng.normals(64 * 784)), yTest: mat(64, 10, rng.normals(64 * 10)) };
const spec = parseOneLineSpec('[dense(512, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
const dir = mkdtempSync(join(tmpdir(), 'ntk-pool-'));
const pool = runPool(2);
const t0 = performance.now();
await Promise.all([0, 1].map((s) => pool.run({ spec, data, lr: 0.5, budget: 0.5 * 60, lambda: 1e-3, batchSize: 128, evalsPerDecade: 1, evalTrainSize: 64, seed: s, dir: join(dir, `r${s}`), backend: 'wasm' })));
console.log(`OpenBLAS threads ${loadNativeAddon().addon?.info().numThreads ?? 'n/a'}: 2 runs × 60 steps, jobs 2: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
rmSync(dir, { recursive: true, force: true });
