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
  chain1: Float64Array[];
  chain2: Float64Array[];
  diag: { nngp: Float64Array; ntk: Float64Array } | null;
  task: RowTask;
}

const data = workerData as KernelWorkerData;
const transforms = bindKernel(specFromJson(data.spec), data.inputDim);
computeRows(
  transforms,
  data.chain1,
  data.chain2,
  data.diag,
  data.n2,
  new Float64Array(data.k),
  data.t ? new Float64Array(data.t) : null,
  data.task,
  (rows) => parentPort?.postMessage({ rows }),
);
parentPort?.postMessage({ done: true });
