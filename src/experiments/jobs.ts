import { availableParallelism } from 'node:os';
import type { TfBackendName } from '../tfjs/backend.js';

/**
 * Default number of runs trained at once: the cores for wasm and plain-JS cpu (TensorFlow.js computes on one
 * thread per instance there), 1 for tfjs-node(-gpu), which already uses every core or the GPU.
 * (Its own module so the CLI can ask without loading TensorFlow.js.)
 */
export function defaultJobs(backend: TfBackendName | undefined): number {
  return backend === 'tensorflow' ? 1 : Math.max(1, availableParallelism());
}
