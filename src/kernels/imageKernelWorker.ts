/** Worker thread: computes strips of tile rows of an image kernel (src/kernels/spatialEngine.ts) in shared memory. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Images } from '../data/images.js';
import { specFromJson } from '../layers/json.js';
import { bindKernelShaped } from '../layers/serial.js';
import type { NetworkSpecJson, SpatialMode } from '../layers/types.js';
import { computeImageStrips } from './spatialEngine.js';

/** What the main thread hands each image-kernel worker. */
export interface ImageKernelWorkerData {
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
  /** One Int32: the next strip to compute, shared by all workers. */
  counter: SharedArrayBuffer;
}

const data = workerData as ImageKernelWorkerData;
const images = (shape: number[], buf: SharedArrayBuffer): Images => ({ shape, data: new Float64Array(buf), dtype: 'float64' });
const x1 = images(data.shape1, data.x1);
const x2 = data.shape2 && data.x2 ? images(data.shape2, data.x2) : null;
const { fn } = bindKernelShaped(specFromJson(data.spec), { spatial: data.shape1.slice(1, -1), width: data.shape1[data.shape1.length - 1] });
const counter = new Int32Array(data.counter);
computeImageStrips(
  fn,
  { inputMode: data.inputMode, x1, x2, wantNtk: data.t !== null },
  new Float64Array(data.k),
  data.t ? new Float64Array(data.t) : null,
  () => Atomics.add(counter, 0, 1),
  (rows) => parentPort?.postMessage({ rows }),
);
parentPort?.postMessage({ done: true });
