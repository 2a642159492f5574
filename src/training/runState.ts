import type { Tensor } from '@tensorflow/tfjs';
import { createBatchSource, type BatchSource } from '../data/batchOrder.js';
import { initParams, type BoundFiniteNetwork } from '../layers/network.js';
import { tfRuntime } from '../tfjs/runtime.js';
import type { CheckpointMeta } from './checkpoint.js';
import type { LambdaPolicy } from './policy.js';

/**
 * Everything a run carries from one step to the next: with the run's options, enough to continue it bit for bit
 * (a checkpoint saves exactly this; see runCheckpoint.ts).
 */
export interface RunState {
  /** θ, per layer (float32 tensors; empty groups for layers without parameters). */
  params: Tensor[][];
  /** Heavy-ball momentum buffers v, shaped as θ; null for plain SGD (μ = 0). */
  velocity: Tensor[][] | null;
  /** Non-trainable state (batchNorm's running statistics): updated by every training step, used by evaluations. */
  netState: Tensor[];
  /** The order of the mini-batches (a seeded permutation per epoch). */
  readonly batches: BatchSource;
  /** λ now, and how it changes (constant, or a controller such as Auto L2). */
  readonly policy: LambdaPolicy;
  /** Steps taken so far: the state is the one at the start of step `step`. */
  step: number;
  /** Λ = ∫λ dt = Σ_k λ_k·η over the steps taken. */
  integratedLambda: number;
}

/** What fixes a run's state at step 0 (besides the network). */
export interface RunStateSettings {
  /** Seed of θ's initialization and of the batch order. */
  seed: number;
  /** Momentum μ: buffers are kept only when μ > 0. */
  momentum: number;
  /** Training examples and mini-batch size (the batch order). */
  n: number;
  batchSize: number;
  /** The λ policy; a resumed run restores its state into it. */
  policy: LambdaPolicy;
}

/** The state at step 0: θ drawn from `seed` (initParams), v = 0 (with momentum), the batch order of `seed`, Λ = 0. */
export function initialRunState(net: BoundFiniteNetwork, s: RunStateSettings): RunState {
  const tf = tfRuntime();
  const params = initParams(net, s.seed).layers.map((g) => [...g]);
  return {
    params,
    velocity: s.momentum > 0 ? params.map((g) => g.map((p) => tf.zerosLike(p))) : null,
    netState: [],
    batches: createBatchSource(s.n, s.batchSize, s.seed),
    policy: s.policy,
    step: 0,
    integratedLambda: 0,
  };
}

/** The tensors a checkpoint saves, in this order: θ, then v (with momentum), then the network's state. */
export function stateTensors(s: RunState): Tensor[] {
  return [...s.params.flat(), ...(s.velocity ? s.velocity.flat() : []), ...s.netState];
}

/**
 * The state a checkpoint saved: `values` are the tensors of `stateTensors`, in its order, and `meta` the rest
 * (step, Λ, batch order, policy state). The policy in `s` takes the saved policy state.
 */
export function restoredRunState(net: BoundFiniteNetwork, s: RunStateSettings, meta: CheckpointMeta, values: readonly Float32Array[]): RunState {
  const tf = tfRuntime();
  let at = 0;
  const asParams = (): Tensor[][] => net.layers.map((layer) => layer.paramShapes.map((shape) => tf.tensor(values[at++], shape as number[], 'float32')));
  const params = asParams();
  const velocity = s.momentum > 0 ? asParams() : null;
  const netState = meta.shapes.slice(at).map((shape, i) => tf.tensor(values[at + i], shape, 'float32'));
  const batches = createBatchSource(s.n, s.batchSize, s.seed);
  batches.restore(meta.batches);
  s.policy.restore(meta.policy);
  return { params, velocity, netState, batches, policy: s.policy, step: meta.step, integratedLambda: meta.integratedLambda };
}

/** Frees the state's tensors (θ, v and the network's state). */
export function disposeRunState(s: RunState): void {
  stateTensors(s).forEach((t) => t.dispose());
}
