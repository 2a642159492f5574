/*
 * The contract between the two addons for running one job in two parts at once: ntk_linalg owns the helper thread
 * (one per process, shared with its float32 products so that only one thread ever polls the spare core), and hands
 * ntk_kernels this table through a napi external (linalg twoThreadsHandle(), kernels useTwoThreads(handle)).
 */
#ifndef NTK_TWO_THREADS_H
#define NTK_TWO_THREADS_H

#include <stdbool.h>

#define NTK_TWO_THREADS_VERSION 1

/* One part of a job: part 0 runs in the caller, part 1 on the helper thread. */
typedef void (*ntk_part_fn)(void *ctx, int part);

typedef struct {
  int version; /* NTK_TWO_THREADS_VERSION */
  /* Runs fn(ctx, 0) here and fn(ctx, 1) on the helper at once and returns true; returns false without running
   * anything when there is no core to spare (OpenBLAS set to one thread: a run pool's worker) or no helper. */
  bool (*run)(ntk_part_fn fn, void *ctx);
} ntk_two_threads_t;

#endif
