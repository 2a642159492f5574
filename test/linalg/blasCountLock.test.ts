import { Worker } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadNativeAddon, NATIVE_ADDON_PATH } from '../../src/linalg/native.js';

/**
 * sgemm's per-call thread cap lowers OpenBLAS's process-wide count for one call (native/src/linalg.c). Other
 * threads' BLAS calls must never run on the lowered count: a worker thread here computes a large product over and
 * over without a cap while another worker computes small capped products; every uncapped result must carry the
 * bits of the full thread count (they differ from one thread's for this shape: checked first, so the test can
 * fail), and the count must be back where it was at the end. Without the lock the uncapped products ran on one
 * thread whenever they started inside a capped call.
 */
const addon = loadNativeAddon().addon;
const threaded = addon !== null && typeof addon.sgemm === 'function' && addon.info().numThreads > 1;

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.path);
const { m, n, k, reps, cap, a, b } = workerData;
const c = new Float32Array(m * n);
let bad = 0;
for (let r = 0; r < reps; r++) {
  addon.sgemm(a, b, c, 1, m, n, k, false, false, 0, 0, cap);
  if (workerData.want && !c.every((v, i) => v === workerData.want[i])) bad++;
}
parentPort.postMessage(bad);
`;

function runWorker(data: Record<string, unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerCode, { eval: true, workerData: { path: NATIVE_ADDON_PATH, ...data } });
    w.once('message', (bad: number) => resolve(bad));
    w.once('error', reject);
  });
}

describe.skipIf(!threaded)('OpenBLAS thread count under per-call caps', () => {
  it('uncapped products in another thread keep the full count while capped ones run', async () => {
    // the cap matters on OpenBLAS's products only (the addon's own product runs on the calling thread)
    if (typeof addon!.setSgemmKernel === 'function') {
      const before = addon!.setSgemmKernel('openblas');
      onTestFinished(() => void addon!.setSgemmKernel!(before));
    }
    const count = addon!.info().numThreads;
    const [m, n, k] = [256, 256, 256];
    let s = 7;
    const next = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    const a = Float32Array.from({ length: m * k }, next);
    const b = Float32Array.from({ length: k * n }, next);
    const full = new Float32Array(m * n);
    const one = new Float32Array(m * n);
    addon!.sgemm!(a, b, full, 1, m, n, k, false, false, 0, 0);
    addon!.sgemm!(a, b, one, 1, m, n, k, false, false, 0, 0, 1);
    expect(Array.from(full)).not.toEqual(Array.from(one)); // the shape tells the counts apart
    const small = { m: 64, n: 48, k: 48, a: a.subarray(0, 64 * 48), b: b.subarray(0, 48 * 48) };
    const [bad] = await Promise.all([
      runWorker({ m, n, k, a, b, reps: 300, cap: 0, want: full }),
      runWorker({ ...small, reps: 20000, cap: 1, want: null }),
    ]);
    expect(bad).toBe(0);
    expect(addon!.info().numThreads).toBe(count);
  }, 60_000);
});
