import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { TfBackendName } from '../tfjs/backendNames.js';
import { NATIVE_TFJS_PACKAGES } from '../tfjs/nativePackages.js';

const require = createRequire(import.meta.url);

/** Whether 'auto' would pick tfjs-node(-gpu): one of the packages initTfjs tries is installed. */
function nativeTfjsInstalled(): boolean {
  for (const pkg of NATIVE_TFJS_PACKAGES) {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      // not installed
    }
  }
  return false;
}

/**
 * Default number of runs trained at once: the cores for wasm and plain-JS cpu (TensorFlow.js computes on one
 * thread per instance there, and a pooled run's OpenBLAS products on one thread: src/experiments/pooledBlasThreads.ts), 1 for tfjs-node(-gpu) — requested, or picked by 'auto' because it is installed —
 * which already uses every core or the GPU, and 1 for webgpu (one GPU device). (Its own module, so the CLI can ask without loading TensorFlow.js.)
 */
export function defaultJobs(backend: TfBackendName | undefined): number {
  if (backend === 'tensorflow' || backend === 'webgpu' || ((backend ?? 'auto') === 'auto' && nativeTfjsInstalled())) return 1;
  return Math.max(1, availableParallelism());
}
