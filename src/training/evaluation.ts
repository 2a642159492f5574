import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { applyNetworkWithState, type BoundFiniteNetwork } from '../layers/network.js';
import { tfRuntime } from '../tfjs/runtime.js';
import { InputError } from '../util/errors.js';
import { accuracy, dataLoss, type LossName } from './loss.js';
import type { RunState } from './runState.js';
import type { TrainTensors } from './trainTensors.js';
import type { EvalRecord } from './types.js';

/**
 * The value of a one-element tensor, which it then frees. Reads are asynchronous: the webgpu backend has no
 * synchronous read in Node.js (same numbers on every backend).
 */
export async function readScalar(t: Tensor): Promise<number> {
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

/** The network's outputs in evaluation mode (batchNorm uses the run's running statistics). */
function evalOutput(net: BoundFiniteNetwork, state: RunState, x: Tensor2D): Tensor2D {
  return applyNetworkWithState(net, state.params, x, 'eval', state.netState).output;
}

/**
 * One evaluation of the run at its current step: the bare data loss (no L2 term) and accuracy on the evaluated
 * training examples and on the test set, |θ|², λ now and Λ; t = η·step. Without the kernel-probe fields (see
 * probeKernel).
 */
export async function evaluateRun(net: BoundFiniteNetwork, state: RunState, data: TrainTensors, lossName: LossName, lr: number): Promise<EvalRecord> {
  const tf = tfRuntime();
  const [trL, trA, teL, teA] = tf.tidy(() => {
    const fTr = evalOutput(net, state, data.xEval);
    const fTe = evalOutput(net, state, data.xTest);
    return [dataLoss(lossName, fTr, data.yEval), accuracy(fTr, data.yEval), dataLoss(lossName, fTe, data.yTest), accuracy(fTe, data.yTest)];
  });
  const values: number[] = [];
  for (const t of [trL, trA, teL, teA]) values.push(await readScalar(t));
  const paramNorm2 = await readScalar(tf.tidy(() => tf.addN(state.params.flat().map((p) => tf.sum(tf.square(p))))));
  return {
    step: state.step,
    t: state.step * lr,
    lambda: state.policy.current(),
    integratedLambda: state.integratedLambda,
    trainLoss: values[0],
    trainAcc: values[1],
    testLoss: values[2],
    testAcc: values[3],
    paramNorm2,
  };
}

/** Stops a run whose train loss is not finite, naming the step and the learning rate. */
export function checkNotDiverged(rec: EvalRecord, lr: number): void {
  if (!Number.isFinite(rec.trainLoss)) {
    throw new InputError(`training diverged at step ${rec.step} (t = ${rec.t}): the train loss is ${rec.trainLoss}; lower the learning rate (η = ${lr})`);
  }
}

/** The bare data loss and the accuracy of the current network on one mini-batch (evaluation mode): what a λ policy observes. */
export async function measureBatch(net: BoundFiniteNetwork, state: RunState, xb: Tensor2D, yb: Tensor2D, lossName: LossName): Promise<{ loss: number; accuracy: number }> {
  const [l, a] = tfRuntime().tidy(() => {
    const f = evalOutput(net, state, xb);
    return [dataLoss(lossName, f, yb), accuracy(f, yb)];
  });
  return { loss: await readScalar(l), accuracy: await readScalar(a) };
}
