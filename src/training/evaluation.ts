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
 * Rows per forward pass when a run evaluates: a set with more rows is evaluated in
 * chunks of this many, so that an evaluation's activations stay bounded whatever the size of the sets (a conv net's
 * im2col patches of 10 000 test images would not fit otherwise). Measured on the wasm backend (bench/evalChunks.ts,
 * docs/evaluation.md): for the MLP and CNN setups no chunk size beat one pass over 2048 + 1000 points beyond the
 * noise of a loaded 2-core box; 1024 keeps every set of ≤ 1024 rows (the default figures' 1024 + 500) on exactly
 * the numbers of one pass.
 */
export const EVAL_CHUNK_ROWS = 1024;

/**
 * The data loss and the accuracy of the network on (x, y) as tensors still to read: one forward pass when the set
 * has at most `chunkRows` rows (the numbers of a single pass), else one per chunk of `chunkRows` rows, each chunk's
 * mean weighted by its share of the rows (losses and accuracies are means over the rows).
 */
function setMetrics(net: BoundFiniteNetwork, state: RunState, x: Tensor2D, y: Tensor2D, lossName: LossName, chunkRows: number): { parts: Tensor[]; weights: number[] } {
  const tf = tfRuntime();
  const m = x.shape[0];
  if (m <= chunkRows) {
    return tf.tidy(() => {
      const f = evalOutput(net, state, x);
      return { parts: [dataLoss(lossName, f, y), accuracy(f, y)], weights: [1] };
    });
  }
  const parts: Tensor[] = [];
  const weights: number[] = [];
  for (let start = 0; start < m; start += chunkRows) {
    const rows = Math.min(chunkRows, m - start);
    parts.push(
      ...tf.tidy(() => {
        const f = evalOutput(net, state, tf.slice(x, [start, 0], [rows, x.shape[1]]));
        const yc = tf.slice(y, [start, 0], [rows, y.shape[1]]);
        return [dataLoss(lossName, f, yc), accuracy(f, yc)];
      }),
    );
    weights.push(rows / m);
  }
  return { parts, weights };
}

/** Reads the tensors of `setMetrics` (then frees them): [loss, accuracy], chunk means combined in float64. */
async function readSetMetrics(r: { parts: Tensor[]; weights: number[] }): Promise<[number, number]> {
  if (r.weights.length === 1) return [await readScalar(r.parts[0]), await readScalar(r.parts[1])];
  const tf = tfRuntime();
  const all = tf.stack(r.parts);
  r.parts.forEach((t) => t.dispose());
  const v = await all.data();
  all.dispose();
  let loss = 0;
  let acc = 0;
  r.weights.forEach((w, i) => {
    loss += w * v[2 * i];
    acc += w * v[2 * i + 1];
  });
  return [loss, acc];
}

/**
 * One evaluation of the run at its current step: the bare data loss (no L2 term) and accuracy on the evaluated
 * training examples and on the test set, |θ|², λ now and Λ; t = η·step. Without the kernel-probe fields (see
 * probeKernel). Each set is evaluated in chunks of at most `chunkRows` rows (EVAL_CHUNK_ROWS by default).
 */
export async function evaluateRun(net: BoundFiniteNetwork, state: RunState, data: TrainTensors, lossName: LossName, lr: number, chunkRows: number = EVAL_CHUNK_ROWS): Promise<EvalRecord> {
  const tf = tfRuntime();
  const [trainLoss, trainAcc] = await readSetMetrics(setMetrics(net, state, data.xEval, data.yEval, lossName, chunkRows));
  const [testLoss, testAcc] = await readSetMetrics(setMetrics(net, state, data.xTest, data.yTest, lossName, chunkRows));
  const paramNorm2 = await readScalar(tf.tidy(() => tf.addN(state.params.flat().map((p) => tf.sum(tf.square(p))))));
  return {
    step: state.step,
    t: state.step * lr,
    lambda: state.policy.current(),
    integratedLambda: state.integratedLambda,
    trainLoss,
    trainAcc,
    testLoss,
    testAcc,
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
