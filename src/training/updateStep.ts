import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { fusedSgdStep, fusedSgdUsable } from '../tfjs/wasmSgd.js';

/** The optimizer's settings for one step. */
export interface UpdateSettings {
  /** Learning rate η (one step advances physical time by η). */
  lr: number;
  /** L2 coefficient λ of this step (the loss is L + (λ/2)|θ|²). */
  lambda: number;
  /** Heavy-ball momentum μ ∈ [0, 1) (0: plain SGD). */
  momentum: number;
}

/**
 * One SGD step on the paper's loss L(θ) + (λ/2)|θ|² (Lewkowycz & Gur-Ari 2020), every parameter alike:
 *
 *   θ ← θ − η·(∇L(θ) + λθ)                     (μ = 0: the Euler step of the gradient flow dθ/dt = −∇L − λθ)
 *
 * so with the data gradient at zero each step multiplies θ by (1 − ηλ). With heavy-ball momentum μ > 0:
 *
 *   v ← μ·v + ∇L(θ) + λθ,   θ ← θ − η·v        (v starts at 0; with μ = 0 this is the step above)
 *
 * `grads` is ∇L at `params` (the data term of the mini-batch only); `velocity` is v (null for μ = 0). Returns the
 * new θ and (with momentum) the new v as new tensors; the inputs are left for the caller to free. On the wasm
 * backend each parameter's step is one op (src/tfjs/wasmSgd.ts: the same float32 operations, the same bits).
 */
export function updateStep(params: readonly Tensor[], grads: readonly Tensor[], velocity: readonly Tensor[] | null, s: UpdateSettings): { params: Tensor[]; velocity: Tensor[] | null } {
  const tf = tfRuntime();
  const next = tf.tidy(() => {
    const newParams: Tensor[] = [];
    const newVelocity: Tensor[] = [];
    params.forEach((p, i) => {
      if (fusedSgdUsable(velocity ? [p, grads[i], velocity[i]] : [p, grads[i]])) {
        const [np, nv] = fusedSgdStep(p, grads[i], velocity ? velocity[i] : null, s);
        newParams.push(np);
        if (velocity) newVelocity.push(nv);
        return;
      }
      // the full gradient of the paper's loss: data term + λ·θ
      const g = s.lambda > 0 ? tf.add(grads[i], tf.mul(p, s.lambda)) : grads[i];
      const v = velocity ? tf.add(tf.mul(velocity[i], s.momentum), g) : g;
      newParams.push(tf.sub(p, tf.mul(v, s.lr)));
      if (velocity) newVelocity.push(v);
    });
    return { newParams, newVelocity };
  });
  return { params: next.newParams, velocity: velocity ? next.newVelocity : null };
}
