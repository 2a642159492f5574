import { Rng } from '../util/random.js';

// The seeded order of mini-batches, shared by the trainer (src/training/runState.ts) and the public mini-batch
// sequence (miniBatches in ./batches.ts): one definition, so both visit the examples in the same order.

/** The order in which a run visits its training examples: a fresh seeded permutation every epoch. */
export interface BatchSource {
  /** Indices of the next mini-batch. */
  next(): Int32Array;
  /** (epoch, position) — with the seed, enough to regenerate the exact continuation. */
  state(): { epoch: number; position: number };
  restore(state: unknown): void;
}

/**
 * Seeded epochs of mini-batches. Epoch e's permutation comes from a generator seeded with (seed, e), so a
 * resumed run recreates it without replaying earlier epochs. A batch that would straddle the end of an epoch
 * is cut short there (every example once per epoch; batchSize ≥ n gives full-batch steps).
 */
export function createBatchSource(n: number, batchSize: number, seed: number): BatchSource {
  let epoch = 0;
  let position = 0;
  let perm = permutationFor(n, seed, epoch);
  return {
    next(): Int32Array {
      if (position >= n) {
        epoch++;
        position = 0;
        perm = permutationFor(n, seed, epoch);
      }
      const end = Math.min(n, position + batchSize);
      const out = perm.slice(position, end);
      position = end;
      return out;
    },
    state: () => ({ epoch, position }),
    restore(state: unknown): void {
      const s = state as { epoch: number; position: number };
      epoch = s.epoch;
      position = s.position;
      perm = permutationFor(n, seed, epoch);
    },
  };
}

function permutationFor(n: number, seed: number, epoch: number): Int32Array {
  return new Rng(((seed >>> 0) * 1000003 + epoch * 7919 + 17) >>> 0).permutation(n);
}
