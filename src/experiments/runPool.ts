import { resolve as resolvePath } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { specToJson } from '../layers/json.js';
import type { NetworkSpecJson } from '../layers/types.js';
import { autoL2, type AutoL2Options } from '../training/autoL2.js';
import { runFingerprint, trainRun, type TrainOptions, type TrainResult } from '../training/trainer.js';
import { InputError } from '../util/errors.js';
import { startWorker, workerUrl } from '../util/workers.js';
import { withPooledBlasThreads } from './pooledBlasThreads.js';
import { finishedRun } from './runStore.js';

/** λ of a run as plain data (a policy object cannot cross into a worker thread): a constant or Auto L2's options. */
export type LambdaChoice = number | { autoL2: AutoL2Options };

/** One run of an experiment: the trainer's options with λ as data and the run's own folder. */
export type RunRequest = Omit<TrainOptions, 'lambda' | 'onEval' | 'dir'> & { lambda: LambdaChoice; dir: string };

/** What crosses into a run worker (structured clone). */
export interface RunWorkerData {
  request: Omit<RunRequest, 'spec'> & { spec: NetworkSpecJson };
}

export type RunWorkerMessage = { result: TrainResult } | { error: { message: string; input: boolean } };

export function trainOptionsOf(r: RunRequest): TrainOptions & { dir: string } {
  return { ...r, lambda: typeof r.lambda === 'number' ? r.lambda : autoL2(r.lambda.autoL2) };
}

/**
 * Runs of an experiment, at most `jobs` training at once. TensorFlow.js' wasm backend computes on one thread in
 * Node, so on a machine with several cores independent runs go faster side by side: with jobs > 1 every run
 * that still has to train goes to its own worker thread (its own tfjs instance; the results are identical to a
 * run on the main thread, since each run is seeded and alone in its worker). Finished runs are loaded on the
 * calling thread without taking a slot. jobs = 1 trains on the calling thread, one run after the other, in
 * the order they were asked for. The same run (same folder, same options) asked for again while it is pending
 * is trained once and serves both (a grid or seed list with a repeated value). Every run trains with one OpenBLAS
 * thread (src/experiments/pooledBlasThreads.ts): the pool's parallelism is its jobs, and a run's numbers do not
 * depend on jobs or on the machine's core count.
 */
export interface RunPool {
  readonly jobs: number;
  /** Trains (or loads) one run; `onStart` is called when it actually starts (a slot is free) or is found finished. */
  run(request: RunRequest, onStart?: () => void): Promise<{ result: TrainResult; reused: boolean }>;
}

export function runPool(jobs = 1): RunPool {
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new InputError(`the number of parallel runs (--jobs) must be an integer ≥ 1, got ${jobs}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  const pending = new Map<string, Promise<{ result: TrainResult; reused: boolean }>>();
  const acquire = async (): Promise<void> => {
    if (active < jobs) {
      active++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const start = async (request: RunRequest, opts: TrainOptions & { dir: string }, onStart?: () => void): Promise<{ result: TrainResult; reused: boolean }> => {
    const done = finishedRun(opts);
    if (done) {
      onStart?.();
      return { result: done, reused: true };
    }
    // Even with jobs = 1 runs queue here: two trainings interleaved on one thread would share tfjs' engine.
    await acquire();
    try {
      onStart?.();
      return { result: await withPooledBlasThreads(() => (jobs === 1 ? trainRun(opts) : runInWorker(request))), reused: false };
    } finally {
      release();
    }
  };
  return {
    jobs,
    async run(request, onStart) {
      const opts = trainOptionsOf(request);
      const key = `${resolvePath(request.dir)}\n${runFingerprint(opts)}`;
      const same = pending.get(key);
      if (same) return same;
      const run = start(request, opts, onStart);
      pending.set(key, run);
      try {
        return await run;
      } finally {
        pending.delete(key);
      }
    },
  };
}

function runInWorker(request: RunRequest): Promise<TrainResult> {
  const data: RunWorkerData = { request: { ...request, spec: specToJson(request.spec) } };
  return new Promise((resolve, reject) => {
    let settled = false;
    const w: Worker = startWorker(workerUrl('runWorker', '../experiments/'), data);
    w.on('message', (m: RunWorkerMessage) => {
      settled = true;
      if ('result' in m) resolve(m.result);
      else reject(m.error.input ? new InputError(m.error.message) : new Error(m.error.message));
    });
    w.on('error', (e) => {
      settled = true;
      reject(e);
    });
    w.on('exit', (code) => {
      if (!settled) reject(new Error(`the training worker for ${request.dir} exited (code ${code}) without a result`));
    });
  });
}
