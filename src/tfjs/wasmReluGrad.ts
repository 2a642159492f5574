import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { GradConfig, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '../linalg/nativeKernels.js';
import { tfRuntime } from './runtime.js';

/** The fused kernel of relu's gradient on the wasm backend: dy·step(x) in one op. */
export const RELU_GRAD = 'NtkReluGrad';

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };
type ReluGrad = NonNullable<NativeKernels['reluGrad']>;

let installed = false;
let enabled = true;

function makeKernel(reluGrad: ReluGrad) {
  return (args: KernelArgs): TensorInfo => {
    const backend = args.backend as BackendWasm;
    const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
    const out = backend.makeOutput(x.shape, 'float32');
    // views taken after makeOutput: allocating may grow (and move) the heap
    reluGrad(backend.typedArrayFromHeap(dy) as Float32Array, backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  };
}

/** Whether the fused kernel may run now for these tensors: installed, enabled, wasm active, float32 of one shape. */
function usable(dy: Tensor, x: Tensor): boolean {
  return enabled && installed && tfRuntime().getBackend() === 'wasm' && dy.dtype === 'float32' && x.dtype === 'float32' && dy.size === x.size;
}

/**
 * Registers `RELU_GRAD` for the wasm backend (native/src/kernels.c reluGrad) and makes it relu's gradient there.
 * tfjs's own gradient of Relu is dy·cast(step(x)): three kernels and three passes over the activation (the cast of
 * a float32 step is a copy), about 5% of a step of the `cnn` setup at width 16. The fused kernel gives the same
 * bits: tfjs-wasm's step (NaN for NaN, 1 for x > 0, else 0) and one float32 multiply. Other backends, other
 * dtypes, a missing addon (or one that predates reluGrad) and NTK_NATIVE_RELU_GRAD=0 keep tfjs's gradient.
 * Idempotent; call after the wasm backend is active.
 * @returns one line for `ntk info`: what relu's gradient runs
 */
export function installWasmReluGrad(): string {
  const tf = tfRuntime();
  if (process.env.NTK_NATIVE_RELU_GRAD === '0') return 'tfjs ops (NTK_NATIVE_RELU_GRAD=0)';
  const { kernels, error } = loadNativeKernels();
  if (!kernels) return `tfjs ops (native kernels addon unavailable: ${error})`;
  if (typeof kernels.reluGrad !== 'function') return 'tfjs ops (native kernels addon has no reluGrad: stale build, run `node scripts/build-native.mjs`)';
  const line = 'fused: dy·step(x) in one native op (the bits of tfjs\'s Step, Cast and Mul)';
  if (installed) return line;
  if (!tf.getKernel(RELU_GRAD, 'wasm')) tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: makeKernel(kernels.reluGrad.bind(kernels)) as never });
  const stock = tf.getGradient('Relu');
  if (!stock) return 'tfjs ops (tfjs has no gradient for Relu)';
  const run = (dy: Tensor, x: Tensor): Tensor => tf.engine().runKernel(RELU_GRAD, { dy, x }) as Tensor;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (!usable(dy as Tensor, x)) return stock.gradFunc(dy, saved, attrs);
      return { x: () => run(dy as Tensor, x) };
    },
  } as GradConfig);
  // linear in dy with the same mask; step(x) has a zero gradient: second derivatives as tfjs's own form gives them
  if (!tf.getGradient(RELU_GRAD)) {
    tf.registerGradient({ kernelName: RELU_GRAD, inputsToSave: ['x'], gradFunc: (ddy, saved) => ({ dy: () => run(ddy as Tensor, saved[0]), x: () => tf.zerosLike(saved[0]) }) } as GradConfig);
  }
  installed = true;
  return line;
}

/**
 * Switches the fused gradient off (false) or back on in this thread, for tests and benchmarks comparing it with
 * tfjs's ops. Returns the previous setting.
 */
export function setFusedReluGradEnabled(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}
