import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { tfRuntime } from './runtime.js';

/** The fused SGD step kernel of the wasm backend. */
export const SGD_STEP = 'NtkSgdStep';

/** The settings of one fused step (the same as src/training/updateStep.ts `UpdateSettings`). */
export interface SgdStepAttrs {
  lr: number;
  lambda: number;
  momentum: number;
}

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

let installed = false;
let enabled = process.env.NTK_FUSED_SGD !== '0';

/**
 * One parameter's SGD step in one op, on views of the wasm heap, in float32 arithmetic op by op as the tfjs form
 * (src/training/updateStep.ts) computes it, so the results are the same bits: with f = Math.fround and λ, μ, η
 * rounded to float32 as tfjs's scalar tensors are,
 *   g = λ > 0 ? f(∇ + f(θ·λ)) : ∇,   v' = v given ? f(f(v·μ) + g) : g,   θ' = f(θ − f(v'·η)).
 * (A float32 product or sum computed in float64 and rounded once to float32 is the correctly rounded float32
 * result: 53 ≥ 2·24 + 2 bits, so no double-rounding error.) Outputs [θ', v'] (v' only with an input v).
 */
function sgdStep(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { p, g, v } = args.inputs as { p: TensorInfo; g: TensorInfo; v?: TensorInfo };
  const a = args.attrs as unknown as SgdStepAttrs;
  const f = Math.fround;
  const lr = f(a.lr);
  const lambda = f(a.lambda);
  const mu = f(a.momentum);
  const pOut = backend.makeOutput(p.shape, 'float32');
  const vOut = v ? backend.makeOutput(p.shape, 'float32') : null;
  // views taken after makeOutput: allocating may grow (and move) the heap
  const pv = backend.typedArrayFromHeap(p) as Float32Array;
  const gv = backend.typedArrayFromHeap(g) as Float32Array;
  const po = backend.typedArrayFromHeap(pOut) as Float32Array;
  const n = pv.length;
  if (v && vOut) {
    const vv = backend.typedArrayFromHeap(v) as Float32Array;
    const vo = backend.typedArrayFromHeap(vOut) as Float32Array;
    for (let i = 0; i < n; i++) {
      const gi = a.lambda > 0 ? f(gv[i] + f(pv[i] * lambda)) : gv[i];
      const vi = f(f(vv[i] * mu) + gi);
      vo[i] = vi;
      po[i] = f(pv[i] - f(vi * lr));
    }
    return [pOut, vOut];
  }
  for (let i = 0; i < n; i++) {
    const gi = a.lambda > 0 ? f(gv[i] + f(pv[i] * lambda)) : gv[i];
    po[i] = f(pv[i] - f(gi * lr));
  }
  return [pOut];
}

/**
 * Registers `SGD_STEP` for the wasm backend (idempotent; call after the wasm backend is active).
 * @returns what the trainer's SGD step will run, for `ntk info` and results files
 */
export function installWasmSgd(): string {
  const tf = tfRuntime();
  if (!tf.getKernel(SGD_STEP, 'wasm')) tf.registerKernel({ kernelName: SGD_STEP, backendName: 'wasm', kernelFunc: sgdStep as never });
  installed = true;
  return enabled ? 'fused: one op per parameter (float32 steps as the tfjs ops)' : 'tfjs ops (NTK_FUSED_SGD=0)';
}

/**
 * Switches the fused step off (false) or on in this thread, for tests comparing it with the tfjs ops (the
 * environment's NTK_FUSED_SGD=0 switches it off from the start). Returns the previous setting.
 */
export function setFusedSgdEnabled(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

/** Whether `fusedSgdStep` may run now: installed, enabled, the active backend is wasm, and the tensors float32. */
export function fusedSgdUsable(ts: readonly Tensor[]): boolean {
  return enabled && installed && tfRuntime().getBackend() === 'wasm' && ts.every((t) => t.dtype === 'float32');
}

/**
 * One parameter's step θ' (and v' when `v` is given) in one op (see `sgdStep` above for the arithmetic): the same
 * bits as updateStep's tfjs ops. Only when `fusedSgdUsable`.
 */
export function fusedSgdStep(p: Tensor, g: Tensor, v: Tensor | null, s: SgdStepAttrs): Tensor[] {
  const inputs: Record<string, Tensor> = v ? { p, g, v } : { p, g };
  return tfRuntime().engine().runKernel(SGD_STEP, inputs, { lr: s.lr, lambda: s.lambda, momentum: s.momentum }) as unknown as Tensor[];
}
