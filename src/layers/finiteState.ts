import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';

/**
 * How a finite network runs: 'train' (layers with batch statistics use the batch's and update their running
 * statistics) or 'eval' (they use the running statistics; every example is then mapped on its own).
 */
export type FiniteMode = 'train' | 'eval';

/**
 * The non-trainable state of a finite network (batchNorm's running means and variances): float32 tensors in the
 * order the layers use them during a forward pass (each stateful layer takes a fixed number of consecutive
 * entries). Empty at initialization: a layer whose entries are missing uses its documented initial values
 * (batchNorm: mean 0, variance 1), so an empty state is the initial state, of any network.
 */
export type FiniteState = readonly Tensor[];

/** A forward pass in progress: its mode, the state it reads, the state it writes and the read position. */
interface FiniteRun {
  readonly mode: FiniteMode;
  readonly state: FiniteState;
  readonly next: Tensor[];
  cursor: number;
}

/**
 * The pass in progress. Layers reach it through `stateSlot` instead of an extra argument so that the layer contract
 * (FiniteTransform.apply) and every composite (serial, parallel, residual) stay unchanged: a composite applies its
 * children in a fixed order, so the k-th stateful layer of a pass always gets the same entries.
 */
let current: FiniteRun | null = null;

/**
 * Runs `forward` (one forward pass of a network) in `mode` reading `state`, and returns its value with the state
 * after the pass: in 'train' the entries the stateful layers wrote (new tensors, kept out of any tf.tidy scope;
 * the caller owns them and disposes the old ones), in 'eval' `state` itself, unchanged. Passes do not nest.
 * @param mode - 'train' (batch statistics, state updated) or 'eval' (running statistics)
 * @param state - the state tensors, in slot order
 * @param forward - the forward pass to run
 * @returns the pass's value and the state after it
 */
export function runWithState<T>(mode: FiniteMode, state: FiniteState, forward: () => T): { value: T; state: Tensor[] } {
  if (current !== null) throw new Error('runWithState: a forward pass is already in progress (passes do not nest)');
  const run: FiniteRun = { mode, state, next: [], cursor: 0 };
  current = run;
  try {
    const value = forward();
    return { value, state: mode === 'train' ? run.next : [...state] };
  } finally {
    current = null;
  }
}

/** What a stateful layer gets for one forward pass: the mode and its entries. */
export interface StateSlot {
  /** 'train' or 'eval': which statistics the layer uses in this pass. */
  readonly mode: FiniteMode;
  /** The layer's entries of the state (the initial values where the state has none yet). */
  readonly values: readonly Tensor[];
  /** Records the layer's entries after this pass (kept from tf.tidy); ignored in 'eval' and outside runWithState. */
  write(next: readonly Tensor[]): void;
}

/**
 * The next `initial().length` entries of the pass's state, for a stateful layer's `apply`. Outside `runWithState`
 * (plain `applyNetwork`, empirical kernels): 'eval' mode with the initial values, and writes go nowhere.
 * @param initial - makes the slot's initial tensors
 * @returns the slot: read the current state, write the new one
 */
export function stateSlot(initial: () => Tensor[]): StateSlot {
  const run = current;
  if (run === null) return { mode: 'eval', values: initial(), write: () => undefined };
  const start = run.cursor;
  const init = initial();
  const values = init.map((t, i) => {
    const have = run.state[start + i];
    if (have === undefined) return t;
    t.dispose();
    return have;
  });
  run.cursor += init.length;
  const write = (next: readonly Tensor[]): void => {
    if (run.mode !== 'train') return;
    const tf = tfRuntime();
    next.forEach((t, i) => (run.next[start + i] = tf.keep(t)));
  };
  return { mode: run.mode, values, write };
}
