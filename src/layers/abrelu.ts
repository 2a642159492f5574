import { builtin } from './builtin.js';
import { requireGaussianInput } from './gaussianInput.js';
import type { Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { elementwiseFinite } from './elementwise.js';
import { SpecError } from './specError.js';
import { nativeKernels } from '../linalg/nativeKernels.js';
import { pointwiseKernel, type PositionalTransform, type PositionsBlock } from './pointwise.js';
import type { CrossBlock, DiagBlock, FiniteTransform, Layer, LayerJson } from './types.js';

const TWO_PI = 2 * Math.PI;

/**
 * φ(x) = a·min(x, 0) + b·max(x, 0). ReLU, leaky ReLU, |x| and the identity are special cases.
 *
 * With (u, v) ~ N(0, [[K11, K12], [K12, K22]]), cos θ = K12/√(K11·K22), and the arc-cosine kernels
 *   J(θ) = √(K11K22)(sin θ + (π − θ)cos θ)/(2π) = E[relu(u)relu(v)]   (Cho & Saul 2009),
 *   J(π − θ) = E[relu(u)relu(−v)],
 * writing φ(x) = b·relu(x) − a·relu(−x) gives
 *   E[φ(u)φ(v)]   = (a² + b²)·J(θ) − 2ab·J(π − θ),
 *   E[φ'(u)φ'(v)] = ((a² + b²)(π − θ) + 2ab·θ)/(2π).
 * The pair loops run in C when the native addon is there (native/src/kernels.c abreluCross: the same operations in
 * the same order, with fdlibm's acos as V8 computes it, so the bits are the same), else in TypeScript below.
 * @param a - slope for x < 0
 * @param b - slope for x > 0
 * @param json - the JSON form to record (leakyRelu, abs and relu pass their own; default `{type: 'abrelu', a, b}`)
 * @returns the layer φ(x) = a·min(x, 0) + b·max(x, 0), positively homogeneous of degree 1
 * @throws SpecError for non-finite slopes
 */
export function abrelu(a: number, b: number, json?: LayerJson): Layer {
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    throw new SpecError(`abrelu: slopes a and b must be finite numbers, got a=${a}, b=${b}`);
  }
  const s2 = a * a + b * b;
  const ab2 = 2 * a * b;
  const transform: PositionalTransform = {
    cross(blk: CrossBlock): void {
      const { nr, nc, k, t, k11, k22 } = blk;
      const native = nativeKernels();
      if (native) {
        native.abreluCross(k, t, k11, k22, nr, nc, 1, s2, ab2);
        return;
      }
      for (let r = 0; r < nr; r++) {
        const d1 = k11[r];
        const base = r * nc;
        for (let c = 0; c < nc; c++) {
          const i = base + c;
          const norm = Math.sqrt(d1 * k22[c]);
          // A zero-variance input makes u or v ≡ 0: φ(0) = 0, and we take θ = π/2 for the derivative term.
          let cos = norm > 0 ? k[i] / norm : 0;
          if (cos > 1) cos = 1;
          else if (cos < -1) cos = -1;
          const theta = Math.acos(cos);
          const sin = Math.sqrt(Math.max(0, 1 - cos * cos));
          const j = norm * (sin + (Math.PI - theta) * cos);
          const jBar = norm * (sin - theta * cos);
          k[i] = (s2 * j - ab2 * jBar) / TWO_PI;
          if (t) t[i] *= (s2 * (Math.PI - theta) + ab2 * theta) / TWO_PI;
        }
      }
    },
    crossPositions(blk: PositionsBlock): boolean {
      const native = nativeKernels();
      if (!native) return false;
      native.abreluCross(blk.k, blk.t, blk.k11, blk.k22, blk.nr, blk.nc, blk.S, s2, ab2);
      return true;
    },
    diag(blk: DiagBlock): void {
      // θ = 0 exactly on the diagonal: E[φ(u)²] = (a² + b²)K/2, E[φ'(u)²] = (a² + b²)/2.
      const { n, k, t } = blk;
      for (let i = 0; i < n; i++) {
        k[i] *= s2 / 2;
        if (t) t[i] *= s2 / 2;
      }
    },
  };
  const kernelFn = pointwiseKernel(transform, json?.type ?? 'abrelu');
  const layer: Layer = builtin({
    json: json ?? { type: 'abrelu', a, b },
    outWidth: (w) => w,
    hasWeights: false,
    homogeneity: 0, // φ(c·x) = c·φ(x) for c > 0
    scaleParams: () => layer,
    kernel: (ctx) => (requireGaussianInput(ctx, json?.type ?? 'abrelu'), kernelFn),
    finite: () => abreluFinite(a, b),
  });
  return layer;
}

/** Finite φ(x) = a·min(x, 0) + b·max(x, 0), φ'(x) = b for x > 0 and a otherwise (tfjs's convention for ReLU at 0). */
function abreluFinite(a: number, b: number): FiniteTransform {
  const phi = (x: Tensor2D): Tensor2D => {
    const tf = tfRuntime();
    const pos = (b === 1 ? tf.relu(x) : tf.mul(tf.relu(x), b)) as Tensor2D;
    if (a === 0) return pos;
    return tf.add(pos, tf.mul(tf.minimum(x, 0), a)) as Tensor2D;
  };
  const dphi = (x: Tensor2D): Tensor2D => {
    const tf = tfRuntime();
    // step(x, a) = x > 0 ? 1 : a in one op (relu, leakyRelu and abs have b = 1); the general case in four
    if (b === 1) return tf.step(x, a);
    return tf.where(tf.greater(x, 0), tf.fill(x.shape, b), tf.fill(x.shape, a));
  };
  return elementwiseFinite(phi, dphi, 'abrelu');
}

/** max(x, 0). */
export const relu = (): Layer => abrelu(0, 1, { type: 'relu' });
/** max(x, αx) for α ∈ [0, 1): a = α, b = 1. */
export const leakyRelu = (alpha: number): Layer => abrelu(alpha, 1, { type: 'leakyrelu', alpha });
/** |x|: a = −1, b = 1. */
export const abs = (): Layer => abrelu(-1, 1, { type: 'abs' });
