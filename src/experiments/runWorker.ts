/** Worker thread: trains (or resumes) one run of an experiment and posts its result; see runPool.ts. */
import { parentPort, workerData } from 'node:worker_threads';
import { specFromJson } from '../layers/json.js';
import { InputError } from '../util/errors.js';
import { trainOptionsOf, type RunWorkerData, type RunWorkerMessage } from './runPool.js';
import { runOrLoad } from './runStore.js';

const { request } = workerData as RunWorkerData;
const post = (m: RunWorkerMessage): void => parentPort?.postMessage(m);
try {
  const { result, reused } = await runOrLoad(trainOptionsOf({ ...request, spec: specFromJson(request.spec) }));
  post({ done: { result, reused } });
} catch (e) {
  post({ error: { message: e instanceof Error ? e.message : String(e), input: e instanceof InputError } });
}
