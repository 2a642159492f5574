import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { applyNetworkWithState, type BoundFiniteNetwork } from '../layers/network.js';
import { tfRuntime } from '../tfjs/runtime.js';
import { measureBatch } from './evaluation.js';
import { dataLoss, type LossName } from './loss.js';
import type { RunState } from './runState.js';
import { updateStep } from './updateStep.js';

/** What a training step needs besides the run state. */
export interface StepContext {
  net: BoundFiniteNetwork;
  /** The whole training set (float32 tensors); the step gathers its mini-batch from it. */
  x: Tensor2D;
  y: Tensor2D;
  lossName: LossName;
  lr: number;
  momentum: number;
}

/**
 * Takes step `state.step` in place: the next mini-batch of the batch order; the λ policy's measurement on it when
 * due (every `policy.interval` steps, before the step); the data-loss gradient on the batch in training mode
 * (batchNorm with batch statistics, whose running statistics it updates); `updateStep` with this step's λ; then
 * Λ += λ·η and step + 1. The old θ, v and network state are freed.
 */
export async function trainStep(ctx: StepContext, state: RunState): Promise<void> {
  const tf = tfRuntime();
  const { net, lossName } = ctx;
  const idxT = tf.tensor1d(state.batches.next(), 'int32');
  const xb = tf.gather(ctx.x, idxT) as Tensor2D;
  const yb = tf.gather(ctx.y, idxT) as Tensor2D;
  const { policy } = state;
  if (policy.interval !== null && state.step % policy.interval === 0) {
    const m = await measureBatch(net, state, xb, yb, lossName);
    policy.observe(state.step, m.loss, m.accuracy);
  }
  const lambda = policy.current();
  // a training pass: batch statistics, and the running statistics after it (kept for the next step)
  let stepState: Tensor[] = [];
  const groupSizes = state.params.map((g) => g.length);
  const regroup = (flat: Tensor[]): Tensor[][] => {
    let at = 0;
    return groupSizes.map((s) => flat.slice(at, (at += s)));
  };
  const lossOf = (...ps: Tensor[]): Tensor => {
    const r = applyNetworkWithState(net, regroup(ps), xb, 'train', state.netState);
    stepState = r.state;
    return dataLoss(lossName, r.output, yb);
  };
  const next = tf.tidy(() => {
    const flat = state.params.flat();
    const grads = tf.grads(lossOf)(flat);
    const r = updateStep(flat, grads, state.velocity ? state.velocity.flat() : null, { lr: ctx.lr, lambda, momentum: ctx.momentum });
    return { params: r.params, velocity: r.velocity ?? [] };
  });
  idxT.dispose();
  xb.dispose();
  yb.dispose();
  state.params.flat().forEach((p) => p.dispose());
  state.params = regroup(next.params);
  if (stepState.length > 0) {
    state.netState.forEach((t) => t.dispose());
    state.netState = stepState;
  }
  if (state.velocity) {
    state.velocity.flat().forEach((v) => v.dispose());
    state.velocity = regroup(next.velocity);
  }
  state.integratedLambda += lambda * ctx.lr;
  state.step++;
}
