import { describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import type { KernelWorkerData } from '../../src/kernels/kernelWorker.js';
import { splitRows } from '../../src/kernels/recursion.js';
import { kernelWorkersReady, prestartKernelWorkers, runKernelTasks } from '../../src/kernels/workerPool.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { specToJson } from '../../src/layers/json.js';
import { serial } from '../../src/layers/serial.js';
import { jsLinalg } from '../../src/linalg/js.js';
import { rowSquaredNorms } from '../../src/linalg/matrix.js';
import { Rng } from '../../src/util/random.js';

// The pool's workers announce once that their modules are loaded ({ready: true}); the analytic kernel waits for it
// before its BLAS Gram matrix when run from the sources (a worker forking while OpenBLAS runs threads deadlocked).
// Checked: the wait settles, and a task handed to a worker that has not yet said ready is not cut short by that
// message (the result equals the single-threaded kernel bit for bit: same tiles, same operations).

const spec = serial(dense(32, { wStd: 1.4 }), relu(), dense(1));
const n = 200;
const d = 9;
const x = { rows: n, cols: d, data: new Rng(21).normals(n * d) };

describe('kernel worker pool', () => {
  it('kernelWorkersReady settles once the prestarted workers have loaded', async () => {
    prestartKernelWorkers(2);
    await expect(kernelWorkersReady()).resolves.toBeUndefined();
  }, 60_000);

  it("a task sent before a fresh worker's ready message completes with the right numbers", async () => {
    const k = new Float64Array(new SharedArrayBuffer(8 * n * n));
    k.set(jsLinalg.syrk(x, { alpha: 1 / d }).data);
    const t = new Float64Array(new SharedArrayBuffer(8 * n * n));
    const norms = rowSquaredNorms(x);
    const tasks: KernelWorkerData[] = splitRows(n, 4, true).map((task) => ({
      kind: 'flat',
      spec: specToJson(spec),
      inputDim: d,
      n2: n,
      k: k.buffer as SharedArrayBuffer,
      t: t.buffer as SharedArrayBuffer,
      norms1: norms,
      norms2: norms,
      task,
    }));
    // more workers than the pool holds: the extra ones start now and say ready while their task waits
    await runKernelTasks(tasks, () => undefined);
    const ref = analyticKernelSync(spec, x, undefined, { linalg: jsLinalg });
    expect(Array.from(t)).toEqual(Array.from(ref.ntk.data));
    expect(Array.from(k)).toEqual(Array.from(ref.nngp.data));
  }, 60_000);
});
