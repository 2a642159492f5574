/**
 * Worker thread of the analytic kernels: takes tasks by message and computes them in shared memory, flat rows
 * (src/kernels/recursion.ts) or strips of image tiles (src/kernels/spatialEngine.ts). Workers are kept between calls
 * (src/kernels/workerPool.ts), so a task carries everything it needs, the spec as JSON included.
 */
import { parentPort } from 'node:worker_threads';
import type { Images } from '../data/images.js';
import { specFromJson } from '../layers/json.js';
import { bindKernel, bindKernelShaped } from '../layers/serial.js';
import type { NetworkSpecJson, SpatialMode } from '../layers/types.js';
import { computeRows, type RowTask } from './recursion.js';
import { computeImageStrips } from './spatialEngine.js';

/** A task of the flat engine: rows of an N1×N2 kernel whose input covariance is already in `k`. */
export interface KernelWorkerData {
  kind: 'flat';
  spec: NetworkSpecJson;
  inputDim: number;
  n2: number;
  k: SharedArrayBuffer;
  t: SharedArrayBuffer | null;
  /** |x|² of the rows of X1 and X2: the self parts start from them in every tile. */
  norms1: Float64Array;
  norms2: Float64Array;
  task: RowTask;
}

/** A task of the image engine: strips of tile rows taken from a shared counter until none is left. */
export interface ImageKernelWorkerData {
  kind: 'images';
  spec: NetworkSpecJson;
  inputMode: SpatialMode;
  /** Shapes of X1 and X2 (null: X2 = X1) and their values, in memory the threads share. */
  shape1: number[];
  x1: SharedArrayBuffer;
  shape2: number[] | null;
  x2: SharedArrayBuffer | null;
  /** The N1×N2 outputs (t null for the NNGP alone). */
  k: SharedArrayBuffer;
  t: SharedArrayBuffer | null;
  /** One Int32: the next strip to compute, shared by all workers of the call. */
  counter: SharedArrayBuffer;
}

/** What a worker is sent. */
export type KernelTask = KernelWorkerData | ImageKernelWorkerData;

/**
 * What a worker says: ready (once, when its modules are loaded), then per task rows done (progress), then done or an
 * error message.
 */
export type KernelWorkerReply = { ready: true } | { rows: number } | { done: true } | { error: string };

function runFlat(data: KernelWorkerData): void {
  const fn = bindKernel(specFromJson(data.spec), data.inputDim);
  computeRows(
    { fn, norms1: data.norms1, norms2: data.norms2, inputDim: data.inputDim },
    data.n2,
    new Float64Array(data.k),
    data.t ? new Float64Array(data.t) : null,
    data.task,
    (rows) => parentPort?.postMessage({ rows }),
  );
}

function runImages(data: ImageKernelWorkerData): void {
  const images = (shape: number[], buf: SharedArrayBuffer): Images => ({ shape, data: new Float64Array(buf), dtype: 'float64' });
  const x1 = images(data.shape1, data.x1);
  const x2 = data.shape2 && data.x2 ? images(data.shape2, data.x2) : null;
  const spatial = data.shape1.slice(1, -1);
  const { fn } = bindKernelShaped(specFromJson(data.spec), { spatial, width: data.shape1[data.shape1.length - 1] });
  const counter = new Int32Array(data.counter);
  computeImageStrips(
    fn,
    { inputMode: data.inputMode, x1, x2, wantNtk: data.t !== null },
    new Float64Array(data.k),
    data.t ? new Float64Array(data.t) : null,
    () => Atomics.add(counter, 0, 1),
    (rows) => parentPort?.postMessage({ rows }),
  );
}

parentPort?.on('message', (task: KernelTask) => {
  try {
    if (task.kind === 'images') runImages(task);
    else runFlat(task);
    parentPort?.postMessage({ done: true });
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});

// every module is loaded (from the TypeScript sources, transformed): the pool may now run BLAS in the main thread
parentPort?.postMessage({ ready: true });
