import type { Tensor2D } from '@tensorflow/tfjs';
import type { Mat } from '../linalg/matrix.js';
import { tfRuntime } from '../tfjs/runtime.js';
import type { TrainData } from './types.js';

/** A run's data as float32 tensors: the training set, the part of it evaluated, the test set and the probe points. */
export interface TrainTensors {
  x: Tensor2D;
  y: Tensor2D;
  /** The training examples whose metrics are logged (the training set itself when that is all of it). */
  xEval: Tensor2D;
  yEval: Tensor2D;
  xTest: Tensor2D;
  yTest: Tensor2D;
  /** The first `kernelProbe` training inputs, or null without a kernel probe. */
  probe: Tensor2D | null;
  dispose(): void;
}

/**
 * Uploads the run's float64 matrices as float32 tensors (see TrainTensors); `dispose` frees them all.
 * @param evalTrain - the training examples evaluated: a count (the first ones) or their row indices (evalSubset.ts)
 */
export function uploadTrainData(data: TrainData, evalTrain: number | Int32Array, kernelProbe: number): TrainTensors {
  const tf = tfRuntime();
  const toTensor = (m: Mat): Tensor2D => tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], 'float32');
  const n = data.x.rows;
  const x = toTensor(data.x);
  const y = toTensor(data.y);
  const xTest = toTensor(data.xTest);
  const yTest = toTensor(data.yTest);
  let xEval = x;
  let yEval = y;
  if (typeof evalTrain === 'number') {
    const nEval = Math.min(n, evalTrain);
    if (nEval < n) [xEval, yEval] = [tf.slice(x, [0, 0], [nEval, data.x.cols]), tf.slice(y, [0, 0], [nEval, data.y.cols])];
  } else if (evalTrain.length < n) {
    const rows = tf.tensor1d(evalTrain, 'int32');
    [xEval, yEval] = [tf.gather(x, rows), tf.gather(y, rows)];
    rows.dispose();
  }
  const probe = kernelProbe ? tf.slice(x, [0, 0], [Math.min(kernelProbe, n), data.x.cols]) : null;
  return {
    x,
    y,
    xEval,
    yEval,
    xTest,
    yTest,
    probe,
    dispose(): void {
      [x, y, xTest, yTest, ...(probe ? [probe] : [])].forEach((t) => t.dispose());
      if (xEval !== x) xEval.dispose();
      if (yEval !== y) yEval.dispose();
    },
  };
}
