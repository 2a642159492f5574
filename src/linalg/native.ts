// The native backend: OpenBLAS (CBLAS) + LAPACKE through the N-API addon built from
// native/src/linalg.c by scripts/build-native.mjs. Loading is lazy and failure-tolerant:
// loadNativeLinalg() returns null (with a reason) when the addon was not built or does not load.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import type { Mat } from './matrix.js';
import { NotPositiveDefiniteError, type Linalg } from './types.js';
import { checkCholesky, checkCholeskySolve, checkEigh, checkGemm, checkSyrk } from './validate.js';

/** The raw addon (see native/src/linalg.c for the contract of each function). */
export interface NativeAddon {
  dgemm(
    a: Float64Array, aRows: number, aCols: number,
    b: Float64Array, bRows: number, bCols: number,
    transA: boolean, transB: boolean, alpha: number, beta: number, c?: Float64Array,
  ): Float64Array;
  /**
   * float32 batched product in place: C_i = op(A_i)·op(B_i) for i < batch, op(A_i) m×k, op(B_i) k×n, C_i m×n
   * (overwritten); A_i starts strideA floats after A_{i−1} (0: one A for every product), likewise B_i; the C_i are
   * consecutive. Any Float32Array view works (views into a wasm heap included); c must not overlap a or b.
   * `maxThreads` (> 0) caps OpenBLAS's threads for this call: the process-wide count is lowered and put back under
   * a lock that the addon's other BLAS calls (in any thread) wait on, so none of them runs on the lowered count (an
   * addon built before it ignores it). `parts` = 2 cuts the work in two halves computed at once on two threads
   * (each on one OpenBLAS thread) while OpenBLAS has ≥ 2 threads; otherwise one part. Optional: an addon built
   * before sgemm was added lacks it.
   */
  sgemm?(
    a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, maxThreads?: number, parts?: number,
  ): void;
  /**
   * alpha·A·Aᵀ (or alpha·AᵀA with trans), the full n×n matrix; with `c` (n×n, not overlapping a) written there and
   * c returned, and with lowerOnly its lower triangle (j ≤ i) alone, the strict upper one left as it was.
   * (An addon built before `c` was added ignores it: check that the returned array is c.)
   */
  dsyrk(a: Float64Array, rows: number, cols: number, trans: boolean, alpha: number, c?: Float64Array | null, lowerOnly?: boolean): Float64Array;
  /**
   * A dense layer's share of the structured empirical NTK, in place: acc (n1×n2 float64) += scale·(gramScale·X1·X2ᵀ +
   * gramBias) ⊙ Σ_c D1_c·D2_cᵀ, X1 n1×fanIn, X2 n2×fanIn, D1 [k, n1, width], D2 [k, n2, width] (float32; any views,
   * the wasm heap's included). x2 = d2 = null: the same points (n2 = n1), both products by ssyrk. Float32 products,
   * float64 sums. Optional: an addon built before it was added lacks it.
   */
  structuredShare?(
    acc: Float64Array, x1: Float32Array, x2: Float32Array | null, d1: Float32Array, d2: Float32Array | null,
    n1: number, n2: number, fanIn: number, width: number, k: number, gramScale: number, gramBias: number, scale: number,
  ): void;
  dsyevd(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array };
  dpotrf(a: Float64Array, n: number): Float64Array;
  dposv(a: Float64Array, n: number, b: Float64Array, nrhs: number): Float64Array;
  /**
   * sgemm's float32 products from now on, process-wide: "auto" (the default: the addon's own fused-multiply-add
   * product, native/src/sgemmFma.c, on this CPU's widest kernel, AVX-512 or AVX2+FMA, or OpenBLAS on a CPU with
   * neither), "avx512", "avx2", "portable" (that kernel of the own product: the same bits) or "openblas". Returns the
   * previous choice, a name this function accepts (so passing it back restores it); throws a RangeError for a kernel this CPU cannot run. Absent in builds older than it.
   */
  setSgemmKernel?(name: SgemmKernel): SgemmKernel;
  info(): {
    config: string; corename: string; parallel: string; numThreads: number; numProcs: number;
    helperJobs?: number; helperWakes?: number;
    /** What sgemm runs (see setSgemmKernel); absent in builds older than it. */
    sgemmKernel?: SgemmKernel;
  };
  /**
   * The helper thread's handle for the kernels addon's `useTwoThreads` (an opaque external): the same thread that
   * runs sgemm's second half runs theirs, while OpenBLAS has ≥ 2 threads. Absent in builds older than it.
   */
  twoThreadsHandle?(): unknown;
  /** openblas_set_num_threads (process-wide); returns the previous count. */
  setNumThreads(n: number): number;
}

/**
 * What computes the addon's float32 products: its own product (native/src/sgemmFma.c: every output one chain of
 * fused multiply-adds over k in order, so the same bits on every kernel, thread count and cut into parts) on one of
 * its kernels, or OpenBLAS's cblas_sgemm; "auto" (to set only) picks the CPU's widest kernel.
 */
export type SgemmKernel = 'auto' | 'avx512' | 'avx2' | 'portable' | 'openblas';

/**
 * Where the addon lives. This module sits one directory below the package root both as
 * src/linalg/native.ts (vitest, tsx) and as dist/linalg/native.js (after `tsc -p tsconfig.build.json`),
 * so ../../native/ is the same folder in both cases.
 */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/ntk_linalg.node', import.meta.url));

export interface NativeLoadResult {
  addon: NativeAddon | null;
  /** Why the addon is unavailable (null when it loaded). */
  error: string | null;
}

let loaded: NativeLoadResult | undefined;

/** Loads the addon once per thread (it is context-aware, so worker_threads may load it too). */
export function loadNativeAddon(): NativeLoadResult {
  if (loaded) return loaded;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    loaded = { addon: null, error: 'native/build/Release/ntk_linalg.node not found' };
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(NATIVE_ADDON_PATH) as NativeAddon;
    if (typeof addon?.dgemm !== 'function' || typeof addon.dsyevd !== 'function') {
      throw new Error('it does not export the expected functions (stale build?)');
    }
    loaded = { addon, error: null };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    loaded = { addon: null, error: `ntk_linalg.node failed to load: ${msg}` };
  }
  return loaded;
}

/** Re-throws the addon's "not positive definite" RangeError as a NotPositiveDefiniteError. */
function rethrow(op: string, e: unknown): never {
  if (e instanceof Error && (e as { code?: unknown }).code === 'NTK_NOT_POSITIVE_DEFINITE') {
    const k = Number((e as { leadingMinor?: unknown }).leadingMinor);
    throw new NotPositiveDefiniteError(op, k, { cause: e });
  }
  throw e;
}

function makeNativeLinalg(addon: NativeAddon): Linalg {
  return Object.freeze({
    name: 'native' as const,

    gemm(a: Mat, b: Mat, opts?: { transA?: boolean; transB?: boolean; alpha?: number }): Mat {
      const { m, n, transA, transB, alpha } = checkGemm(a, b, opts);
      // BLAS defines alpha = 0 as "do not read A, B"; some OpenBLAS kernels (seen on Cooper Lake) still multiply,
      // turning Inf/NaN inputs into NaN, so the reference semantics are applied here
      if (alpha === 0) return { rows: m, cols: n, data: new Float64Array(m * n) };
      const data = addon.dgemm(a.data, a.rows, a.cols, b.data, b.rows, b.cols, transA, transB, alpha, 0);
      return { rows: m, cols: n, data };
    },

    syrk(a: Mat, opts?: { trans?: boolean; alpha?: number }): Mat {
      const { trans, alpha } = checkSyrk(a, opts);
      const n = trans ? a.cols : a.rows;
      if (alpha === 0) return { rows: n, cols: n, data: new Float64Array(n * n) }; // as in gemm above
      return { rows: n, cols: n, data: addon.dsyrk(a.data, a.rows, a.cols, trans, alpha) };
    },

    eigh(a: Mat): { values: Float64Array; vectors: Mat } {
      checkEigh(a);
      const n = a.rows;
      const { values, vectors } = addon.dsyevd(a.data, n);
      return { values, vectors: { rows: n, cols: n, data: vectors } };
    },

    cholesky(a: Mat): Mat {
      checkCholesky(a);
      try {
        return { rows: a.rows, cols: a.cols, data: addon.dpotrf(a.data, a.rows) };
      } catch (e) {
        rethrow('cholesky', e);
      }
    },

    choleskySolve(a: Mat, b: Mat): Mat {
      checkCholeskySolve(a, b);
      try {
        return { rows: b.rows, cols: b.cols, data: addon.dposv(a.data, a.rows, b.data, b.cols) };
      } catch (e) {
        rethrow('choleskySolve', e);
      }
    },
  });
}

let backend: Linalg | null | undefined;

/** The native backend, or null when the addon is absent or does not load (see loadNativeAddon().error). */
export function loadNativeLinalg(): Linalg | null {
  if (backend === undefined) {
    const { addon } = loadNativeAddon();
    backend = addon ? makeNativeLinalg(addon) : null;
  }
  return backend;
}
