import type { Scalar, Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';

/** Training losses, per example averaged over the batch (the data term of the paper's loss). */
export type LossName = 'mse' | 'xent';

/**
 * MSE: (1/2b)·Σ_i |f(x_i) − y_i|², the paper's (1/2n)Σ|f − y|² on a batch of b examples.
 * Cross-entropy: (1/b)·Σ_i −log softmax(f(x_i))[label_i], labels = argmax of the target rows.
 */
export function dataLoss(name: LossName, f: Tensor2D, y: Tensor2D): Scalar {
  const tf = tfRuntime();
  if (name === 'mse') return tf.div(tf.sum(tf.square(tf.sub(f, y))), 2 * f.shape[0]) as Scalar;
  const labels = tf.oneHot(tf.argMax(y, 1), y.shape[1]);
  return tf.losses.softmaxCrossEntropy(labels, f) as Scalar;
}

/** Fraction of rows whose argmax (or sign, with one output) matches the target's. */
export function accuracy(f: Tensor2D, y: Tensor2D): Scalar {
  const tf = tfRuntime();
  if (f.shape[1] === 1) return tf.mean(tf.cast(tf.equal(tf.sign(f), tf.sign(y)), 'float32')) as Scalar;
  return tf.mean(tf.cast(tf.equal(tf.argMax(f, 1), tf.argMax(y, 1)), 'float32')) as Scalar;
}
