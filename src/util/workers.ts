import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = import.meta.url;
const fromSource = here.endsWith('.ts');

/** Whether ntk-l2 runs from its TypeScript sources (vitest, tsx), where a starting worker registers tsx's loader. */
export const runningFromSource: boolean = fromSource;

/** URL of a worker module next to the caller's folder structure: `.ts` when running from sources, `.js` from dist/. */
export function workerUrl(name: string, dir = '../kernels/'): URL {
  return new URL(`${dir}${name}${fromSource ? '.ts' : '.js'}`, here);
}

/**
 * Starts a worker thread on `url`. From the compiled dist/ this is a plain Worker. From the TypeScript sources
 * (vitest, tsx, notebooks) the worker first registers tsx's loader, because a worker thread does not inherit
 * the loader its parent was started with.
 */
export function startWorker(url: URL, workerData: unknown): Worker {
  if (!fromSource) return new Worker(url, { workerData });
  // tsx's ESM entry of its register() API (require.resolve finds the CommonJS twin next to it).
  const api = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
