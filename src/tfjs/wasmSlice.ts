import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { tfRuntime } from './runtime.js';

/**
 * Slice for the wasm backend that reads its input in place. tfjs-backend-wasm 4.22's own Slice copies the WHOLE
 * input out of the wasm heap (`readSync`) before taking the slice, and above 4 axes copies element by element
 * through a TensorBuffer; im2col (the finite conv and avgPool: one slice per filter offset, and the slices of
 * concat's gradient) then costs |filter| full copies of the activations per layer — measured: 2.2 s of a 6.3 s CNN
 * step. This kernel copies only the slice, contiguous runs of the last axes at a time, from a view of the heap.
 * Pure data movement: the results are the stock kernel's, bit for bit.
 */
function sliceInPlace(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const tf = tfRuntime();
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as TensorInfo;
  const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as Parameters<typeof tf.slice_util.parseSliceParams>[0], attrs.begin, attrs.size);
  const out = backend.makeOutput(size, x.dtype);
  const total = size.reduce((p, q) => p * q, 1);
  if (total === 0) return out;
  // views taken after makeOutput: allocating may grow (and move) the heap
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * x.shape[a + 1];
  // merge the trailing axes taken whole into one contiguous run
  let inner = rank - 1;
  let run = size[rank - 1];
  while (inner > 0 && size[inner] === x.shape[inner] && begin[inner] === 0) {
    inner--;
    run *= size[inner];
  }
  const outer = size.slice(0, inner);
  const index = new Array<number>(inner).fill(0);
  let base = begin[inner] * strides[inner];
  for (let a = 0; a < inner; a++) base += begin[a] * strides[a];
  const runs = total / run;
  let offset = base;
  for (let r = 0; r < runs; r++) {
    if (run >= 64) dst.set(src.subarray(offset, offset + run), r * run);
    else for (let e = 0, d = r * run; e < run; e++) dst[d + e] = src[offset + e]; // no view allocated per short run
    // next index of the outer axes (odometer), keeping `offset` in step
    for (let a = inner - 1; a >= 0; a--) {
      index[a]++;
      offset += strides[a];
      if (index[a] < outer[a]) break;
      offset -= index[a] * strides[a];
      index[a] = 0;
    }
  }
  return out;
}

/** SplitV (concat's gradient) by `sliceInPlace`: the stock kernel calls the stock slice directly. */
function splitInPlace(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const tf = tfRuntime();
  const x = args.inputs.x as TensorInfo;
  const attrs = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as Parameters<typeof tf.backend_util.prepareSplitSize>[0], attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const part = sliceInPlace({ inputs: { x }, backend: args.backend, attrs: { begin: [...begin], size } });
    begin[axis] += s;
    return part;
  });
}

/** Unpack (unstack) by `sliceInPlace`, then dropping the axis (a reshape: same data). */
function unpackInPlace(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const x = args.inputs.value as TensorInfo;
  const rank = x.shape.length;
  const axis = ((args.attrs as unknown as { axis: number }).axis + rank) % rank;
  const outShape = x.shape.filter((_, a) => a !== axis);
  const begin = new Array<number>(rank).fill(0);
  const size = [...x.shape];
  size[axis] = 1;
  return Array.from({ length: x.shape[axis] }, (_, i) => {
    begin[axis] = i;
    const part = sliceInPlace({ inputs: { x }, backend: args.backend, attrs: { begin: [...begin], size: [...size] } });
    return { dataId: part.dataId, dtype: part.dtype, shape: outShape };
  });
}

type Kernel = KernelConfig['kernelFunc'] & { ntkInPlace?: boolean };

/** Replaces the wasm backend's kernel `name` by `mine` for tensors in the heap (strings keep the stock kernel). */
function replace(name: string, input: string, mine: (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => TensorInfo | TensorInfo[]): void {
  const tf = tfRuntime();
  const stock = tf.getKernel(name, 'wasm');
  if (!stock || (stock.kernelFunc as Kernel).ntkInPlace) return;
  const kernelFunc: Kernel = ((args: Parameters<KernelConfig['kernelFunc']>[0]) =>
    (args.inputs[input] as TensorInfo).dtype === 'string' ? stock.kernelFunc(args) : mine(args)) as Kernel;
  kernelFunc.ntkInPlace = true;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
}

/**
 * Registers the in-place Slice, SplitV and Unpack as the wasm backend's kernels (replacing the stock ones;
 * idempotent). Strings keep the stock path: they do not live in the heap.
 */
export function installWasmSlice(): void {
  replace('Slice', 'x', sliceInPlace);
  replace('SplitV', 'x', splitInPlace);
  replace('Unpack', 'value', unpackInPlace);
}
