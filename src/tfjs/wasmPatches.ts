import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '../linalg/nativeKernels.js';
import { tfRuntime } from './runtime.js';

/** The kernel that gathers window patches (im2col, or with `sum` the window sum) in one op. */
export const PATCH_GATHER = 'NtkPatchGather';
/** Its adjoint (col2im, or the window sum's gradient) in one op. */
export const PATCH_SCATTER = 'NtkPatchScatter';

/**
 * The geometry of a patch op, as a window table: `idx[q·F + o]` is the input position (C order over `inSpatial`)
 * that output position q reads at window offset o, −1 for zero padding (src/layers/window.ts `windowTable`).
 */
export interface PatchGeometry {
  /** The window table, So·F entries. */
  idx: Int32Array;
  /** Offsets per window. */
  F: number;
  /** Input spatial extent. */
  inSpatial: readonly number[];
  /** Output spatial extent (its product is So). */
  outSpatial: readonly number[];
  /** false: patches [N, out…, F, C]; true: their sum over the F offsets [N, out…, C]. */
  sum: boolean;
  /** With `sum`: a factor per output position (So entries) applied to each sum (avgPool's 1/count), or null. */
  scale: Float32Array | null;
}

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };
type Gather = NonNullable<NativeKernels['patchGather']>;
type Scatter = NonNullable<NativeKernels['patchScatter']>;

/** Whether the native patch kernels are installed on the wasm backend, and why (not). */
export interface WasmPatchesState {
  /** True when `PATCH_GATHER` / `PATCH_SCATTER` are registered for 'wasm'. */
  active: boolean;
  /** One line for logs and benchmarks. */
  reason: string;
}

let state: WasmPatchesState = { active: false, reason: 'not installed (backend is not wasm)' };
let enabled = true;
let calls = 0;

/** How many patch ops (either direction) the native kernels have run in this thread. */
export function wasmPatchCalls(): number {
  return calls;
}

const prod = (a: readonly number[]): number => a.reduce((p, q) => p * q, 1);

function geometry(attrs: NamedAttrMap | undefined): PatchGeometry {
  return attrs as unknown as PatchGeometry;
}

/**
 * A patch kernel: `fn` (the addon's patchGather or patchScatter, same arguments) from input `input` into a new
 * float32 tensor of shape `outShape(n, c, g)`. Both directions share everything but the input's name and the shape.
 */
function makePatchKernel(name: string, input: 'x' | 'dy', fn: Gather | Scatter, outShape: (n: number, c: number, g: PatchGeometry) => number[]): KernelConfig['kernelFunc'] {
  return ((args: KernelArgs): TensorInfo => {
    const backend = args.backend as BackendWasm;
    const x = args.inputs[input] as TensorInfo;
    const g = geometry(args.attrs);
    if (x.dtype !== 'float32') throw new Error(`${name}: float32 input expected, got ${x.dtype}`);
    const n = x.shape[0];
    const c = x.shape[x.shape.length - 1];
    const shape = outShape(n, c, g);
    const out = backend.makeOutput(shape, 'float32');
    calls++;
    if (prod(shape) === 0) return out;
    // views taken after makeOutput: allocating may grow (and move) the heap
    fn(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, n, prod(g.inSpatial), c, g.idx, g.F, g.sum, g.scale);
    return out;
  }) as KernelConfig['kernelFunc'];
}

/**
 * Registers `PATCH_GATHER` (im2col over a window table, or its window sum) and `PATCH_SCATTER` (their adjoint,
 * col2im) as wasm kernels running the C loops of the native kernels addon (native/src/kernels.c patchGather /
 * patchScatter) on views of the wasm heap, each the other's gradient. One op replaces the pad, the |window|
 * slices (three per offset with strides), the concat and the reshape of src/layers/patches.ts's tfjs form, and in
 * the backward pass one op replaces a full-size Pad per slice and their sum. Idempotent; call after the wasm
 * backend is active. Not installed when the addon is absent or predates these functions, or NTK_NATIVE_PATCHES=0
 * (src/layers/patches.ts then keeps its tfjs ops).
 * @returns whether the kernels are active, and why (not)
 */
export function installWasmPatches(): WasmPatchesState {
  const tf = tfRuntime();
  if (process.env.NTK_NATIVE_PATCHES === '0') return (state = { active: false, reason: 'disabled by NTK_NATIVE_PATCHES=0 (tfjs slices and concat)' });
  const { kernels, error } = loadNativeKernels();
  if (!kernels) return (state = { active: false, reason: `native kernels addon unavailable (${error}); tfjs slices and concat` });
  if (typeof kernels.patchGather !== 'function' || typeof kernels.patchScatter !== 'function') {
    return (state = { active: false, reason: 'native kernels addon has no patchGather (stale build: run `node scripts/build-native.mjs`); tfjs slices and concat' });
  }
  state = { active: true, reason: 'native im2col/col2im (ntk_kernels patchGather/patchScatter)' };
  if (tf.getKernel(PATCH_GATHER, 'wasm')) return state;
  const gatherShape = (n: number, c: number, g: PatchGeometry): number[] => (g.sum ? [n, ...g.outSpatial, c] : [n, ...g.outSpatial, g.F, c]);
  tf.registerKernel({ kernelName: PATCH_GATHER, backendName: 'wasm', kernelFunc: makePatchKernel(PATCH_GATHER, 'x', kernels.patchGather.bind(kernels), gatherShape) });
  tf.registerKernel({ kernelName: PATCH_SCATTER, backendName: 'wasm', kernelFunc: makePatchKernel(PATCH_SCATTER, 'dy', kernels.patchScatter.bind(kernels), (n, c, g) => [n, ...g.inSpatial, c]) });
  if (!tf.getGradient(PATCH_GATHER)) {
    // each is the other's adjoint (linear maps), so second derivatives exist too
    tf.registerGradient({ kernelName: PATCH_GATHER, gradFunc: (dy, _saved, attrs) => ({ x: () => tf.engine().runKernel(PATCH_SCATTER, { dy: dy as Tensor }, attrs) as Tensor }) });
    tf.registerGradient({ kernelName: PATCH_SCATTER, gradFunc: (dy, _saved, attrs) => ({ dy: () => tf.engine().runKernel(PATCH_GATHER, { x: dy as Tensor }, attrs) as Tensor }) });
  }
  return state;
}

/** The state of the native patch kernels in this thread (see `installWasmPatches`). */
export function wasmPatchesState(): WasmPatchesState {
  return state;
}

/**
 * Switches the native patch kernels off (false) or back on in this thread, for tests and benchmarks that compare
 * both forms in one process. Returns the previous setting.
 */
export function setWasmPatchesEnabled(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

/** Whether `patchOp` may run now: the kernels are installed, enabled, and the active backend is wasm. */
export function wasmPatchesUsable(): boolean {
  return enabled && state.active && tfRuntime().getBackend() === 'wasm';
}

/**
 * Patches (or window sums) of x [N, inSpatial…, C] float32 in one op: [N, out…, F, C] (sum: [N, out…, C]), with
 * the gradient `PATCH_SCATTER`. Only when `wasmPatchesUsable()`.
 */
export function patchOp(x: Tensor, g: PatchGeometry): Tensor {
  const tf = tfRuntime();
  return tf.engine().runKernel(PATCH_GATHER, { x }, g as unknown as NamedAttrMap) as Tensor;
}
