import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { tfRuntime } from './runtime.js';

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };
type Kernel = KernelConfig['kernelFunc'] & { ntkConcat?: boolean };

/** Runs shorter than this many elements are copied by a plain loop: `subarray` + `set` costs an allocation each. */
const SHORT_RUN = 64;

/**
 * Concat for the wasm backend without an allocation per copied run. tfjs-backend-wasm 4.22's Concat copies, for
 * every index of the axes before `axis` and every input, one run with `subarray(...)` + `set(...)`; im2col (a
 * concat of |filter| window slices along the channel axis, src/layers/patches.ts) makes that N·H·W·|filter| runs
 * of C elements each — measured: 11% of a 'cnn' (width 16) training run's main thread. Same loop, short runs copied
 * element by element. Pure data movement: the stock kernel's results, bit for bit. Strings and single non-empty
 * inputs keep the stock path.
 */
function concatRuns(args: KernelArgs, stock: KernelConfig['kernelFunc']): TensorInfo {
  const tf = tfRuntime();
  const backend = args.backend as BackendWasm;
  const inputs = Object.values(args.inputs) as TensorInfo[];
  const nonEmpty = inputs.filter((t) => t.shape.reduce((p, q) => p * q, 1) > 0);
  if (nonEmpty.length < 2 || inputs[0].dtype === 'string') return stock(args as Parameters<KernelConfig['kernelFunc']>[0]) as TensorInfo;
  const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number | number[] }).axis, inputs[0].shape)[0];
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  // views taken after makeOutput: allocating may grow (and move) the heap
  const src = nonEmpty.map((t) => backend.typedArrayFromHeap(t));
  const dst = backend.typedArrayFromHeap(out);
  const runs = nonEmpty.map((t) => t.shape.slice(axis).reduce((p, q) => p * q, 1));
  const rowLength = runs.reduce((p, q) => p + q, 0);
  const rows = nonEmpty[0].shape.slice(0, axis).reduce((p, q) => p * q, 1);
  let colOffset = 0;
  for (let i = 0; i < src.length; i++) {
    const run = runs[i];
    const from = src[i];
    if (run >= SHORT_RUN) {
      for (let r = 0; r < rows; r++) dst.set(from.subarray(r * run, (r + 1) * run), r * rowLength + colOffset);
    } else {
      for (let r = 0; r < rows; r++) {
        const s = r * run;
        const d = r * rowLength + colOffset;
        for (let e = 0; e < run; e++) dst[d + e] = from[s + e];
      }
    }
    colOffset += run;
  }
  return out;
}

/**
 * Identity for the wasm backend that shares its input's data (reference counted, as the wasm Reshape already does)
 * instead of copying it. tfjs-core clones every tensor a gradient saves (Engine.saveTensorsForBackwardMode) through
 * Identity, and the stock wasm kernel copies the whole tensor each time — measured: 6% of a 'cnn' (width 16)
 * training run's main thread. No wasm kernel writes into its inputs, so sharing is safe. Strings keep the stock path.
 */
function identityShared(args: KernelArgs, stock: KernelConfig['kernelFunc']): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  if (x.dtype === 'string') return stock(args as Parameters<KernelConfig['kernelFunc']>[0]) as TensorInfo;
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function replace(name: string, mine: (args: KernelArgs, stock: KernelConfig['kernelFunc']) => TensorInfo): void {
  const tf = tfRuntime();
  const stock = tf.getKernel(name, 'wasm');
  if (!stock || (stock.kernelFunc as Kernel).ntkConcat) return;
  const kernelFunc: Kernel = ((args: KernelArgs) => mine(args, stock.kernelFunc)) as Kernel;
  kernelFunc.ntkConcat = true;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
}

/**
 * Registers the allocation-free Concat and the data-sharing Identity as the wasm backend's kernels (replacing the
 * stock ones; idempotent). Call after the wasm backend is active.
 */
export function installWasmConcat(): void {
  replace('Concat', concatRuns);
  replace('Identity', identityShared);
}
