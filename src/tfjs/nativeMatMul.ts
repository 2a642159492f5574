import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { loadNativeAddon, type NativeAddon, type SgemmKernel } from '../linalg/native.js';
import { tfRuntime } from './runtime.js';

/**
 * Products m·n·k below this many multiply-adds keep the stock XNNPACK kernel, where the call into OpenBLAS (thread
 * hand-off, packing) may cost more than the product. bench/matMulThreshold.ts found OpenBLAS faster from
 * 128×48×48 on; below that its timings on the shared box were noise (BENCHMARKS.md "Training throughput").
 */
export const NATIVE_MATMUL_MIN_FLOPS = 32 * 32 * 32;

/**
 * Products of fewer multiply-adds than this run on one OpenBLAS thread even when the process has more (a single run
 * outside a pool; pooled runs already use one, src/experiments/pooledBlasThreads.ts). 0: off, every product on all
 * of OpenBLAS's threads. Off by default because no size helped every network: measured on 2 cores (BENCHMARKS.md,
 * "Another machine…"), a cap at 2^24–2^25 multiply-adds gained up to 7% on the cnn setup at width 16 and 9–15% on the
 * WRN, and lost 9–24% on MLPs of width 256–512. NTK_SGEMM_ONE_THREAD_BELOW sets it for a machine where it helps.
 */
export const SGEMM_ONE_THREAD_BELOW = 0;

/** A size (multiply-adds, ≥ 0) from the environment variable `name`, or `fallback` when unset or invalid. */
function sizeFromEnv(name: string, fallback: number): number {
  const text = (process.env[name] ?? '').trim();
  if (text === '') return fallback;
  const v = Number(text);
  if (Number.isFinite(v) && v >= 0) return v;
  // a tuning switch read at load: say once that it is ignored rather than fail every command
  process.stderr.write(`ntk: ${name} must be a number ≥ 0, got "${text}"; ignored (${fallback})\n`);
  return fallback;
}

/** The values NTK_SGEMM takes (see `SgemmKernel`). */
const SGEMM_KERNELS: readonly SgemmKernel[] = ['auto', 'avx512', 'avx2', 'portable', 'openblas'];

/** Whether a bad NTK_SGEMM was reported in this thread (once is enough). */
let sgemmEnvWarned = false;

/**
 * Applies NTK_SGEMM (auto | avx512 | avx2 | portable | openblas) to the addon, once per thread; an unknown value or a
 * kernel this CPU lacks is said once on stderr and ignored (the default, auto, runs), like the other tuning switches.
 */
function applySgemmKernelFromEnv(addon: NativeAddon): void {
  const text = (process.env.NTK_SGEMM ?? '').trim();
  if (text === '' || typeof addon.setSgemmKernel !== 'function') return;
  const known = (SGEMM_KERNELS as readonly string[]).includes(text);
  try {
    if (!known) throw new RangeError('unknown');
    addon.setSgemmKernel(text as SgemmKernel);
  } catch {
    if (!sgemmEnvWarned) {
      sgemmEnvWarned = true;
      const why = known ? 'is not a kernel this CPU runs' : `must be one of ${SGEMM_KERNELS.join(', ')}`;
      process.stderr.write(`ntk: NTK_SGEMM ${why}, got "${text}"; ignored (auto)\n`);
    }
  }
}


let oneThreadBelow = sizeFromEnv('NTK_SGEMM_ONE_THREAD_BELOW', SGEMM_ONE_THREAD_BELOW);

/**
 * Products of at least this many multiply-adds (all of a batch together) are cut in two halves computed at once,
 * one in the calling thread and one on the addon's helper thread (on OpenBLAS's products, each on one OpenBLAS
 * thread; the own product gives the same bits cut or whole), while OpenBLAS has
 * two threads or more (a single run; a run pool's workers have one and keep one part). Smaller products run on
 * one OpenBLAS thread then, so OpenBLAS's own threads stay asleep: on the 2-core box its threads gained 0–40% on the
 * convolutions' products (many rows, 8–64 columns) and slowed the work between products, while the halves ran
 * 1.7–2.0× faster than one thread from 2^20 multiply-adds on (BENCHMARKS.md, "Two halves on two threads").
 * 0: off, every product on OpenBLAS's thread count as before. NTK_SGEMM_SPLIT_FROM sets it.
 */
export const SGEMM_SPLIT_FROM = 2 ** 20;

let splitFrom = sizeFromEnv('NTK_SGEMM_SPLIT_FROM', SGEMM_SPLIT_FROM);

/**
 * Sets the size from which a product is cut in two halves on two threads (0: never), in this thread (benchmarks and
 * tests; NTK_SGEMM_SPLIT_FROM sets it from the start). Returns the previous value.
 */
export function setSgemmSplitFrom(multiplyAdds: number): number {
  if (!(multiplyAdds >= 0)) throw new RangeError(`setSgemmSplitFrom: expected a size ≥ 0, got ${multiplyAdds}`);
  const before = splitFrom;
  splitFrom = multiplyAdds;
  return before;
}

/**
 * Sets the size under which a product runs on one OpenBLAS thread, in this thread (for benchmarks and tests; the
 * environment's NTK_SGEMM_ONE_THREAD_BELOW sets it from the start). Returns the previous value.
 */
export function setSgemmOneThreadBelow(multiplyAdds: number): number {
  if (!(multiplyAdds >= 0)) throw new RangeError(`setSgemmOneThreadBelow: expected a size ≥ 0, got ${multiplyAdds}`);
  const before = oneThreadBelow;
  oneThreadBelow = multiplyAdds;
  return before;
}

type Sgemm = NonNullable<NativeAddon['sgemm']>;
type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };
type Kernel = KernelConfig['kernelFunc'] & { ntkNativeMatMul?: boolean };

/** Whether the native matMul (the addon's sgemm) is installed on the wasm backend, and why (not). */
export interface NativeMatMulState {
  /** True when BatchMatMul runs on the native addon's sgemm. */
  active: boolean;
  /** One line for `ntk info` and logs. */
  reason: string;
}

/** Each installed kernel's stock kernel (for `uninstallNativeMatMul`). */
const stockOf = new WeakMap<KernelConfig['kernelFunc'], KernelConfig['kernelFunc']>();

let calls = 0;

/** How many products the OpenBLAS kernel has computed in this thread (the rest went to the stock kernel). */
export function nativeMatMulCalls(): number {
  return calls;
}

let state: NativeMatMulState = { active: false, reason: 'not installed (backend is not wasm)' };

/** The state of the native matMul in this thread (see `installNativeMatMul`). */
export function nativeMatMulState(): NativeMatMulState {
  return state;
}

/**
 * The sizes of one BatchMatMul: op(A) m×k, op(B) k×n, `batch` products with A/B strides (0 = broadcast), or, for
 * batch dims that broadcast on both sides, the operands' batch index of every product (`pairs`: a0, b0, a1, b1, …).
 */
interface Plan {
  m: number;
  n: number;
  k: number;
  batch: number;
  strideA: number;
  strideB: number;
  pairs: Int32Array | null;
  outShape: number[];
}

/** For each output batch index (C order over `outer`), the batch index of a and of b under numpy broadcasting. */
function broadcastPairs(outerA: number[], outerB: number[], outer: number[]): Int32Array {
  const rank = outer.length;
  const pa = [...new Array<number>(rank - outerA.length).fill(1), ...outerA];
  const pb = [...new Array<number>(rank - outerB.length).fill(1), ...outerB];
  const batch = outer.reduce((p, q) => p * q, 1);
  const pairs = new Int32Array(2 * batch);
  for (let t = 0; t < batch; t++) {
    let rest = t;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let ax = rank - 1; ax >= 0; ax--) {
      const idx = rest % outer[ax];
      rest = Math.floor(rest / outer[ax]);
      if (pa[ax] !== 1) ia += idx * sa;
      if (pb[ax] !== 1) ib += idx * sb;
      sa *= pa[ax];
      sb *= pb[ax];
    }
    pairs[2 * t] = ia;
    pairs[2 * t + 1] = ib;
  }
  return pairs;
}

/**
 * How to run a·b as sgemm calls, or null for the cases left to the stock kernel: non-float32 data and tiny
 * products. Batch dims that broadcast on both sides (e.g. [2,1] against [1,3]) always take this kernel: tfjs 4.22's
 * stock wasm (and cpu) BatchMatMul compute only max(batchA, batchB) products for them, which is wrong.
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
  let outer: number[];
  try {
    outer = tfRuntime().broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null; // the stock kernel states the error
  }
  const batch = outer.reduce((p, q) => p * q, 1);
  const simple = batchA === 1 || batchB === 1 || (outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]));
  if (simple && m * n * k < NATIVE_MATMUL_MIN_FLOPS) return null;
  return {
    m, n, k, batch,
    strideA: batchA === 1 ? 0 : m * k,
    strideB: batchB === 1 ? 0 : k * n,
    pairs: simple ? null : broadcastPairs(outerA, outerB, outer),
    outShape: [...outer, m, n],
  };
}

/** BatchMatMul on the addon's sgemm: op(A) and op(B) read in place from the heap, the transposes passed along. */
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
    calls++;
    if (p.batch === 0 || p.m === 0 || p.n === 0) return out;
    // large products in two halves on two threads (SGEMM_SPLIT_FROM), the rest on one OpenBLAS thread then;
    // with the split off, small products on one thread only below SGEMM_ONE_THREAD_BELOW
    const size = p.m * p.n * p.k;
    const total = p.pairs ? size : size * p.batch;
    const parts = splitFrom > 0 && total >= splitFrom ? 2 : 0;
    const maxThreads = size < oneThreadBelow || (splitFrom > 0 && parts === 0) ? 1 : 0;
    if (!p.pairs) {
      sgemm(av, bv, cv, p.batch, p.m, p.n, p.k, transposeA, transposeB, p.strideA, p.strideB, maxThreads, parts);
      return out;
    }
    const mk = p.m * p.k;
    const kn = p.k * p.n;
    const mn = p.m * p.n;
    for (let t = 0; t < p.batch; t++) {
      const ia = p.pairs[2 * t] * mk;
      const ib = p.pairs[2 * t + 1] * kn;
      sgemm(av.subarray(ia, ia + mk), bv.subarray(ib, ib + kn), cv.subarray(t * mn, (t + 1) * mn), 1, p.m, p.n, p.k, transposeA, transposeB, 0, 0, maxThreads, parts);
    }
    return out;
  }) as Kernel;
  kernel.ntkNativeMatMul = true;
  stockOf.set(kernel, stock);
  return kernel;
}

/**
 * Runs the wasm backend's BatchMatMul (what tf.matMul and its gradients call; our layers do not use
 * _FusedMatMul) on the native addon's `sgemm` (native/src/linalg.c), in place on the wasm heap: by default on the
 * addon's own fused-multiply-add product (native/src/sgemmFma.c; AVX-512 or AVX2+FMA), whose bits depend on the
 * inputs only (not on the thread count, the two-halves cut or the CPU's vector width), else on OpenBLAS's
 * cblas_sgemm (`NTK_SGEMM=openblas`, or a CPU without those instructions). The stock XNNPACK kernel stays for
 * products under `NATIVE_MATMUL_MIN_FLOPS` and for non-float32 data. Batch dims broadcast as numpy does (the stock
 * kernels get two-sided broadcasts wrong, see `plan`). Call after the wasm backend is active (idempotent). Does
 * nothing when the addon is absent (or lacks sgemm: a stale build) or NTK_NATIVE_MATMUL=0.
 * OpenBLAS's thread count is process-wide (`setLinalgThreads` in src/linalg/index.ts, OPENBLAS_NUM_THREADS; default
 * all cores for a single run, one while a run pool trains: src/experiments/pooledBlasThreads.ts). On OpenBLAS's
 * products 1 and 2 threads give different last bits, so the pool's one thread keeps `--jobs` from changing a run's
 * numbers (test/experiments/runPool.test.ts); on the own product a single run and a pooled run give the same bits
 * (test/experiments/pooledBlasThreads.test.ts). Results differ from XNNPACK's by float32 rounding order only.
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
  applySgemmKernelFromEnv(addon);
  const info = addon.info();
  const threads = info.numThreads;
  const kernel = info.sgemmKernel ?? 'openblas';
  const own = kernel !== 'openblas';
  const split = splitFrom > 0 && threads >= 2 ? `; from ${splitFrom} multiply-adds in two halves on two threads${own ? '' : ' (one OpenBLAS thread each)'}, smaller ones on one` : '';
  const what = own
    ? `the addon's own fused-multiply-add sgemm (${kernel} kernel; the same bits at any thread count)`
    : `OpenBLAS sgemm (${info.corename}, ${threads} thread${threads === 1 ? '' : 's'})`;
  state = { active: true, reason: `${what} for products of ≥ ${NATIVE_MATMUL_MIN_FLOPS} multiply-adds${split}` };
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

