import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { GradConfig, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '../linalg/nativeKernels.js';
import { tfRuntime } from './runtime.js';

/** Batch normalization in training mode as one wasm op: outputs y, invStd, the new running mean and variance. */
export const BATCH_NORM_TRAIN = 'NtkBatchNormTrain';
/** Its input gradient as one wasm op. */
export const BATCH_NORM_TRAIN_GRAD = 'NtkBatchNormTrainGrad';

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };
type Forward = NonNullable<NativeKernels['batchNormTrain']>;
type Backward = NonNullable<NativeKernels['batchNormTrainGrad']>;

/** The attributes of `BATCH_NORM_TRAIN`. */
interface BatchNormAttrs {
  epsilon: number;
  momentum: number;
}

let installed = false;
let enabled = true;
let calls = 0;

/** How many fused batch-normalization ops (forward or gradient) have run in this thread. */
export function wasmBatchNormCalls(): number {
  return calls;
}

/** Rows (every axis but the last) and channels of a tensor. */
function rowsAndChannels(shape: readonly number[]): [number, number] {
  const c = shape[shape.length - 1];
  return [shape.reduce((p, q) => p * q, 1) / c, c];
}

function forwardKernel(fn: Forward) {
  return (args: KernelArgs): TensorInfo[] => {
    const backend = args.backend as BackendWasm;
    const { x, runMean, runVar } = args.inputs as { x: TensorInfo; runMean: TensorInfo; runVar: TensorInfo };
    const { epsilon, momentum } = args.attrs as unknown as BatchNormAttrs;
    const [m, c] = rowsAndChannels(x.shape);
    const y = backend.makeOutput(x.shape, 'float32');
    const invStd = backend.makeOutput([c], 'float32');
    const newMean = backend.makeOutput([c], 'float32');
    const newVar = backend.makeOutput([c], 'float32');
    calls++;
    // views taken after the last makeOutput: allocating may grow (and move) the heap
    const view = (t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    fn(view(x), view(runMean), view(runVar), view(y), view(invStd), view(newMean), view(newVar), m, c, epsilon, momentum);
    return [y, invStd, newMean, newVar];
  };
}

function backwardKernel(fn: Backward) {
  return (args: KernelArgs): TensorInfo => {
    const backend = args.backend as BackendWasm;
    const { dy, y, invStd } = args.inputs as { dy: TensorInfo; y: TensorInfo; invStd: TensorInfo };
    const [m, c] = rowsAndChannels(y.shape);
    const dx = backend.makeOutput(y.shape, 'float32');
    calls++;
    const view = (t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    fn(view(dy), view(y), view(invStd), view(dx), m, c);
    return dx;
  };
}

/**
 * Registers `BATCH_NORM_TRAIN` and its gradient for the wasm backend (native/src/kernels.c batchNormTrain,
 * batchNormTrainGrad). tfjs's form of a training-mode batchNorm (mean, centred square, mean, add, sqrt, divide, and
 * the running-statistics update) and its autodiff ran about 40 small kernels per layer: 17.7 of the 45 ms of a `wrn`
 * step at width 8 (BENCHMARKS.md). The fused op makes two passes over x forward and two backward, with the channel
 * sums in double (tfjs sums in float32), so its last bits differ from the tfjs form's (test/tfjs/wasmBatchNorm.test.ts
 * bounds the difference). Other backends, a missing addon (or one that predates it) and NTK_NATIVE_BATCH_NORM=0 keep
 * the tfjs ops. Idempotent; call after the wasm backend is active.
 * @returns one line for `ntk info`: what a training-mode batchNorm runs
 */
export function installWasmBatchNorm(): string {
  const tf = tfRuntime();
  if (process.env.NTK_NATIVE_BATCH_NORM === '0') return 'tfjs ops (NTK_NATIVE_BATCH_NORM=0)';
  const { kernels, error } = loadNativeKernels();
  if (!kernels) return `tfjs ops (native kernels addon unavailable: ${error})`;
  if (typeof kernels.batchNormTrain !== 'function' || typeof kernels.batchNormTrainGrad !== 'function') {
    return 'tfjs ops (native kernels addon has no batchNormTrain: stale build, run `node scripts/build-native.mjs`)';
  }
  const line = 'fused: training-mode statistics, normalisation and gradient in one native op each (sums in double)';
  if (installed) return line;
  if (!tf.getKernel(BATCH_NORM_TRAIN, 'wasm')) {
    tf.registerKernel({ kernelName: BATCH_NORM_TRAIN, backendName: 'wasm', kernelFunc: forwardKernel(kernels.batchNormTrain.bind(kernels)) as never });
    tf.registerKernel({ kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'wasm', kernelFunc: backwardKernel(kernels.batchNormTrainGrad.bind(kernels)) as never });
  }
  if (!tf.getGradient(BATCH_NORM_TRAIN)) {
    // only y carries a gradient back (the running statistics are state, not part of the loss)
    tf.registerGradient({
      kernelName: BATCH_NORM_TRAIN,
      outputsToSave: [true, true, false, false],
      gradFunc: (dys, saved) => {
        const [y, invStd] = saved;
        const dy = (dys as Tensor[])[0];
        return {
          x: () => tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, y, invStd }) as Tensor,
          runMean: () => tf.zerosLike(invStd),
          runVar: () => tf.zerosLike(invStd),
        };
      },
    } as GradConfig);
  }
  installed = true;
  return line;
}

/**
 * Whether `batchNormTrainOp` may run now for x: the fused op is installed and enabled, the active backend is wasm,
 * and x is float32 with at least one row and one channel.
 */
export function wasmBatchNormUsable(x: Tensor): boolean {
  return enabled && installed && tfRuntime().getBackend() === 'wasm' && x.dtype === 'float32' && x.rank >= 1 && x.size > 0;
}

/**
 * A training-mode batch normalization of x [..., C] in one op (only when `wasmBatchNormUsable(x)`): the normalized
 * y (differentiable in x; first derivatives only) and the running statistics after this batch.
 */
export function batchNormTrainOp(x: Tensor, runMean: Tensor, runVar: Tensor, epsilon: number, momentum: number): { y: Tensor; runMean: Tensor; runVar: Tensor } {
  const attrs: BatchNormAttrs = { epsilon, momentum };
  const [y, , newMean, newVar] = tfRuntime().engine().runKernel(BATCH_NORM_TRAIN, { x, runMean, runVar }, attrs as unknown as NamedAttrMap) as Tensor[];
  return { y, runMean: newMean, runVar: newVar };
}

/**
 * Switches the fused op off (false) or back on in this thread, for tests and benchmarks comparing it with tfjs's
 * ops. Returns the previous setting.
 */
export function setFusedBatchNormEnabled(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}
