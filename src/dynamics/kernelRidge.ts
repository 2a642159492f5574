import { mseOverTime } from './observables.js';
import { getLinalg } from '../linalg/index.js';
import type { Mat } from '../linalg/matrix.js';

/**
 * Test MSE of kernel ridge regression f* = Θ(X*, X)(Θ + nλ)⁻¹Y, the L = 1 flow's end point (float64, Cholesky).
 * @param thetaTrain - Θ on the training set, n×n (symmetric positive definite once nλ is added)
 * @param thetaTest - Θ(X*, X), m×n
 * @param y - training targets, n×k
 * @param yTest - test targets, m×k
 * @param lambda - λ > 0
 * @returns the test MSE (1/m)Σ|f* − y*|²
 */
export function kernelRidgeTestMse(thetaTrain: Mat, thetaTest: Mat, y: Mat, yTest: Mat, lambda: number): number {
  const linalg = getLinalg();
  const n = thetaTrain.rows;
  const reg = Float64Array.from(thetaTrain.data);
  for (let i = 0; i < n; i++) reg[i * n + i] += n * lambda;
  const alpha = linalg.choleskySolve({ rows: n, cols: n, data: reg }, y);
  const f = linalg.gemm(thetaTest, alpha);
  return mseOverTime(f.data, yTest, 1)[0];
}
