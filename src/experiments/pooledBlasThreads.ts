import { setLinalgThreads } from '../linalg/index.js';

/**
 * OpenBLAS threads while runs of a run pool train: 1, unless OPENBLAS_NUM_THREADS is set (then it is left alone).
 *
 * Why one: a pool trains up to --jobs runs at once (default: one per core), and OpenBLAS's thread count is
 * process-wide, shared by every worker. With all cores per run, 2 runs on 2 cores oversubscribe them: measured on
 * the `cnn` setup at width 64 (batch 128, --jobs 2), 0.094 s per step per run with 2 OpenBLAS threads against 0.050 s
 * with 1, so the pool gets 1.9× the throughput with 1 (docs/native-matmul.md). The thread count also changes the
 * last bits of the products; with 1 for every pooled run a run's numbers depend neither on --jobs nor on how many
 * cores the machine has. A single run outside a pool (`ntk train`, `trainRun`) keeps all cores.
 */
export const POOLED_BLAS_THREADS = 1;

let active = 0;
let previous: number | null = null;

/** Whether the environment fixes OpenBLAS's thread count (then pooled runs use it, as the user asked). */
function userSetThreads(env: NodeJS.ProcessEnv): boolean {
  return (env.OPENBLAS_NUM_THREADS ?? '').trim() !== '';
}

/**
 * Runs `train` with OpenBLAS at POOLED_BLAS_THREADS; nested and concurrent calls (several runs of one pool, or of
 * several pools) share one setting, taken by the first and given back by the last, so no run sees the count change
 * while it trains. Without the native addon (js linear algebra, no OpenBLAS) it only runs `train`.
 */
export async function withPooledBlasThreads<T>(train: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  if (userSetThreads(env)) return train();
  if (active++ === 0) previous = setLinalgThreads(POOLED_BLAS_THREADS);
  try {
    return await train();
  } finally {
    if (--active === 0 && previous !== null) {
      setLinalgThreads(previous);
      previous = null;
    }
  }
}
