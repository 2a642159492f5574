/** Worker thread: trains (or resumes) one run of an experiment and posts its result; see runPool.ts. */
import { parentPort, workerData } from 'node:worker_threads';
import { specFromJson } from '../layers/json.js';
import { trainRun } from '../training/trainer.js';
import { InputError } from '../util/errors.js';
import { trainOptionsOf, type RunWorkerData, type RunWorkerMessage } from './runPool.js';

const { request } = workerData as RunWorkerData;
const post = (m: RunWorkerMessage): void => parentPort?.postMessage(m);
try {
  // the pool checked that the run has not finished; trainRun resumes its checkpoint if it has one
  post({ result: await trainRun(trainOptionsOf({ ...request, spec: specFromJson(request.spec) })) });
} catch (e) {
  post({ error: { message: e instanceof Error ? e.message : String(e), input: e instanceof InputError } });
}
