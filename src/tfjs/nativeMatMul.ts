import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { loadNativeAddon, type NativeAddon } from '../linalg/native.js';
import { tfRuntime } from './runtime.js';

/**
 * Products m·n·k below this many multiply-adds keep the stock XNNPACK kernel: for them the call into OpenBLAS
 * (thread hand-off, packing) costs more than the product (measured with bench/matMulThreshold.ts, see
 * BENCHMARKS.md "Training throughput").
 */
export const NATIVE_MATMUL_MIN_FLOPS = 32 * 32 * 32;

type Sgemm = NonNullable<NativeAddon['sgemm']>;
type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };
type Kernel = KernelConfig['kernelFunc'] & { ntkNativeMatMul?: boolean };

/** Whether the OpenBLAS kernel is installed on the wasm backend, and why (not). */
export interface NativeMatMulState {
  /** True when BatchMatMul runs on OpenBLAS sgemm. */
  active: boolean;
  /** One line for `ntk info` and logs. */
  reason: string;
}

/** Each installed kernel's stock kernel (for `uninstallNativeMatMul`). */
const stockOf = new WeakMap<KernelConfig['kernelFunc'], KernelConfig['kernelFunc']>();

let state: NativeMatMulState = { active: false, reason: 'not installed (backend is not wasm)' };

/** The state of the native matMul in this thread (see `installNativeMatMul`). */
export function nativeMatMulState(): NativeMatMulState {
  return state;
}

/** The sizes of one BatchMatMul: op(A) m×k, op(B) k×n, batch products with A/B strides (0 = broadcast). */
interface Plan {
  m: number;
  n: number;
  k: number;
  batch: number;
  strideA: number;
  strideB: number;
  outShape: number[];
}

/**
 * How to run a·b as sgemm calls, or null for the cases left to the stock kernel: non-float32 data, tiny
 * products, and batch dimensions that broadcast other than "equal" or "one side has a single matrix".
 */
function plan(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): Plan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // the stock kernel states the error
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((p, q) => p * q, 1);
  const batchB = outerB.reduce((p, q) => p * q, 1);
  const tf = tfRuntime();
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  const batch = outer.reduce((p, q) => p * q, 1);
  const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!sameOuter && batchA !== 1 && batchB !== 1) return null;
  if (batch === 0 || m === 0 || n === 0 || m * n * k < NATIVE_MATMUL_MIN_FLOPS) return null;
  return {
    m, n, k, batch,
    strideA: batchA === 1 ? 0 : m * k,
    strideB: batchB === 1 ? 0 : k * n,
    outShape: [...outer, m, n],
  };
}

/** BatchMatMul on OpenBLAS: op(A) and op(B) read in place from the heap, the transposes passed to cblas_sgemm. */
function makeKernel(sgemm: Sgemm, stock: KernelConfig['kernelFunc']): Kernel {
  const kernel: Kernel = ((args: KernelArgs) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const p = plan(a, b, transposeA, transposeB);
    if (!p) return stock(args as Parameters<KernelConfig['kernelFunc']>[0]);
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(p.outShape, 'float32');
    // views taken after makeOutput: allocating may grow (and move) the heap
    const av = backend.typedArrayFromHeap(a) as Float32Array;
    const bv = backend.typedArrayFromHeap(b) as Float32Array;
    const cv = backend.typedArrayFromHeap(out) as Float32Array;
    sgemm(av, bv, cv, p.batch, p.m, p.n, p.k, transposeA, transposeB, p.strideA, p.strideB);
    return out;
  }) as Kernel;
  kernel.ntkNativeMatMul = true;
  stockOf.set(kernel, stock);
  return kernel;
}

/**
 * Runs the wasm backend's BatchMatMul (what tf.matMul and its gradients call; our layers do not use
 * _FusedMatMul) on OpenBLAS's multi-threaded cblas_sgemm from the native addon (native/src/linalg.c), in place on
 * the wasm heap. The stock XNNPACK kernel stays for products under `NATIVE_MATMUL_MIN_FLOPS`, for non-float32
 * data and for batch shapes other than equal or single-sided batches. Call after the wasm backend is active
 * (idempotent). Does nothing when the addon is absent (or lacks sgemm: a stale build) or NTK_NATIVE_MATMUL=0.
 * OpenBLAS's thread count is process-wide: `setLinalgThreads` (src/linalg/index.ts) sets it; runPool gives each
 * of `jobs` workers cores/jobs.
 * Results differ from XNNPACK's by float32 rounding order only; one thread count gives one result run to run.
 * @returns whether the kernel is active, and why (not)
 */
export function installNativeMatMul(): NativeMatMulState {
  const tf = tfRuntime();
  if (process.env.NTK_NATIVE_MATMUL === '0') return (state = { active: false, reason: 'disabled by NTK_NATIVE_MATMUL=0 (stock XNNPACK matMul)' });
  const { addon, error } = loadNativeAddon();
  if (!addon) return (state = { active: false, reason: `native addon unavailable (${error}); stock XNNPACK matMul` });
  if (typeof addon.sgemm !== 'function') return (state = { active: false, reason: 'native addon has no sgemm (stale build: run `node scripts/build-native.mjs`); stock XNNPACK matMul' });
  const stock = tf.getKernel('BatchMatMul', 'wasm');
  if (!stock) return (state = { active: false, reason: 'the wasm backend has no BatchMatMul kernel' });
  const threads = addon.info().numThreads;
  state = { active: true, reason: `OpenBLAS sgemm (${addon.info().corename}, ${threads} thread${threads === 1 ? '' : 's'}) for products of ≥ ${NATIVE_MATMUL_MIN_FLOPS} multiply-adds` };
  if ((stock.kernelFunc as Kernel).ntkNativeMatMul) return state;
  const sgemm = addon.sgemm.bind(addon) as Sgemm;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...stock, kernelFunc: makeKernel(sgemm, stock.kernelFunc) });
  return state;
}

/**
 * Removes the OpenBLAS kernel again (the stock XNNPACK BatchMatMul returns); for tests and benchmarks that compare
 * the two in one process. No-op when it is not installed.
 */
export function uninstallNativeMatMul(): void {
  const tf = tfRuntime();
  const cur = tf.getKernel('BatchMatMul', 'wasm');
  if (!cur || !(cur.kernelFunc as Kernel).ntkNativeMatMul) return;
  const stock = stockOf.get(cur.kernelFunc);
  if (!stock) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...cur, kernelFunc: stock });
  state = { active: false, reason: 'uninstalled (stock XNNPACK matMul)' };
}
