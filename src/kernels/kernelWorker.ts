/** Worker thread: computes a range of rows of an analytic kernel in shared memory. */
import { parentPort, workerData } from 'node:worker_threads';
import { specFromJson } from '../layers/json.js';
import { bindKernel } from '../layers/serial.js';
import type { NetworkSpecJson } from '../layers/types.js';
import { computeRows, type RowTask } from './recursion.js';

export interface KernelWorkerData {
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

const data = workerData as KernelWorkerData;
const fn = bindKernel(specFromJson(data.spec), data.inputDim);
computeRows(
  { fn, norms1: data.norms1, norms2: data.norms2, inputDim: data.inputDim },
  data.n2,
  new Float64Array(data.k),
  data.t ? new Float64Array(data.t) : null,
  data.task,
  (rows) => parentPort?.postMessage({ rows }),
);
parentPort?.postMessage({ done: true });
