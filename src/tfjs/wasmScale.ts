import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '../linalg/nativeKernels.js';
import { tfRuntime } from './runtime.js';

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };
type Kernel = KernelConfig['kernelFunc'] & { ntkScale?: boolean };
type Scale = NonNullable<NativeKernels['scale']>;

/** Below this many elements the stock kernel keeps the product (the native call and the helper cost more). */
export const NATIVE_SCALE_MIN = 32768;

let calls = 0;

/** How many tensor-times-scalar products the native kernel has computed in this thread. */
export function wasmScaleCalls(): number {
  return calls;
}

const size = (shape: readonly number[]): number => shape.reduce((p, q) => p * q, 1);

/**
 * Multiply where one float32 operand holds a single value and the other at least `NATIVE_SCALE_MIN`: the NTK
 * parameterization's σ/√fanIn on every conv and dense output, and the same factor on their gradients (about 10 such
 * products per step of the `cnn` setup). One float32 multiply per element, as the stock kernel: the same bits.
 * Anything else keeps the stock kernel.
 */
function multiply(args: KernelArgs, stock: KernelConfig['kernelFunc'], scale: Scale): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const useStock = (): TensorInfo => stock(args as Parameters<KernelConfig['kernelFunc']>[0]) as TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return useStock();
  const [big, one] = size(b.shape) === 1 ? [a, b] : size(a.shape) === 1 ? [b, a] : [null, null];
  if (!big || !one || size(big.shape) < NATIVE_SCALE_MIN || one.shape.length > big.shape.length) return useStock();
  const out = backend.makeOutput(big.shape, 'float32');
  calls++;
  // views taken after makeOutput: allocating may grow (and move) the heap
  const s = (backend.typedArrayFromHeap(one) as Float32Array)[0];
  scale(backend.typedArrayFromHeap(big) as Float32Array, s, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

/**
 * Registers the tensor-times-scalar Multiply (native/src/kernels.c scale: in halves on two threads in a single run,
 * src/tfjs/nativeTwoThreads.ts) in place of the stock wasm kernel for those operands; every other Multiply goes to
 * the stock kernel. Idempotent; call after the wasm backend is active. Not installed without the kernels addon (or
 * with one that predates it) or with NTK_NATIVE_SCALE=0.
 * @returns one line for `ntk info`
 */
export function installWasmScale(): string {
  const tf = tfRuntime();
  if (process.env.NTK_NATIVE_SCALE === '0') return 'stock Multiply (NTK_NATIVE_SCALE=0)';
  const { kernels, error } = loadNativeKernels();
  if (!kernels) return `stock Multiply (native kernels addon unavailable: ${error})`;
  if (typeof kernels.scale !== 'function') return 'stock Multiply (native kernels addon has no scale: stale build, run `node scripts/build-native.mjs`)';
  const line = `native: a tensor of ≥ ${NATIVE_SCALE_MIN} floats times a scalar (the same bits as the stock Multiply)`;
  const stock = tf.getKernel('Multiply', 'wasm');
  if (!stock) return 'stock Multiply (the wasm backend has none)';
  if ((stock.kernelFunc as Kernel).ntkScale) return line;
  const fn = kernels.scale.bind(kernels);
  const kernelFunc: Kernel = ((args: KernelArgs) => multiply(args, stock.kernelFunc, fn)) as Kernel;
  kernelFunc.ntkScale = true;
  tf.unregisterKernel('Multiply', 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
  return line;
}
