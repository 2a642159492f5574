import type { Worker } from 'node:worker_threads';
import { startWorker, workerUrl } from '../util/workers.js';
import type { KernelTask, KernelWorkerReply } from './kernelWorker.js';

/**
 * The analytic kernels' worker threads, kept between calls: starting a thread and loading the layer modules in it
 * costs tenths of a second (more from the TypeScript sources), as much as a mid-sized kernel. Idle workers are
 * unref'd, so they never keep the process alive; a worker that fails is dropped, and the next call starts a new one.
 */
const idle: Worker[] = [];

/** Each worker's first message (its modules loaded), or its exit or error before that. */
const readyOf = new WeakMap<Worker, Promise<void>>();

/** A new worker; one that exits while idle leaves the pool. */
function newWorker(): Worker {
  const w = startWorker(workerUrl('kernelWorker'), null);
  readyOf.set(
    w,
    new Promise<void>((resolve) => {
      const settle = (): void => {
        w.off('message', onReady);
        w.off('exit', settle);
        w.off('error', settle);
        resolve();
      };
      const onReady = (m: KernelWorkerReply): void => {
        if ('ready' in m) settle();
      };
      w.on('message', onReady);
      w.on('exit', settle);
      w.on('error', settle);
    }),
  );
  w.on('exit', () => {
    const at = idle.indexOf(w);
    if (at >= 0) idle.splice(at, 1);
  });
  w.unref();
  return w;
}

/**
 * Makes sure `n` workers are in the pool, starting the missing ones now: they load their modules while the caller
 * prepares the inputs (the flat engine's Gram matrix), instead of after.
 */
export function prestartKernelWorkers(n: number): void {
  while (idle.length < n) idle.push(newWorker());
}

/**
 * Resolves when every worker in the pool has loaded its modules (or failed to start: its task then reports it).
 * From the TypeScript sources a starting worker forks (tsx starts esbuild to transform the modules), and a fork
 * while this thread is inside a multithreaded OpenBLAS call can deadlock: OpenBLAS's fork handler
 * (blas_thread_shutdown_, 0.3.21) stops its thread pool under the running call, and two workers forking at once
 * were caught blocked in it, the kernel never finishing. The flat engine therefore waits for this before its Gram
 * matrix when run from the sources (from dist/ the workers fork nothing and start alongside it).
 * @returns a promise settled once no pooled worker is still starting
 */
export async function kernelWorkersReady(): Promise<void> {
  const waiting = [...idle];
  // idle workers are unref'd: held while awaited, or a process with nothing else to do would exit mid-call
  for (const w of waiting) w.ref();
  try {
    await Promise.all(waiting.map((w) => readyOf.get(w)));
  } finally {
    for (const w of waiting) w.unref();
  }
}

/**
 * Runs the tasks, one per worker, in parallel; `onRows` gets each progress report (rows done by one worker).
 * Resolves when every task is done; rejects on the first failure (and the other workers finish their tasks).
 */
export function runKernelTasks(tasks: readonly KernelTask[], onRows: (rows: number) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let remaining = tasks.length;
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    for (const task of tasks) {
      const w = idle.pop() ?? newWorker();
      w.ref();
      const onMessage = (m: KernelWorkerReply): void => {
        if ('ready' in m) return;
        if ('rows' in m) {
          onRows(m.rows);
          return;
        }
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        if ('error' in m) {
          void w.terminate();
          fail(new Error(`kernel worker: ${m.error}`));
        } else {
          w.unref();
          idle.push(w);
        }
        if (--remaining === 0 && !failed) resolve();
      };
      const onError = (err: Error): void => {
        void w.terminate();
        fail(err);
      };
      const onExit = (code: number): void => fail(new Error(`kernel worker exited with code ${code}`));
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage(task);
    }
  });
}
