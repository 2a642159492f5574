// The native loops of the analytic kernels: the N-API addon built from native/src/kernels.c by
// scripts/build-native.mjs (native/build/Release/ntk_kernels.node). Loading is lazy, once per thread (worker
// threads load it too: the addon is context-aware and keeps no global state), and failure-tolerant:
// `nativeKernels()` returns null when the addon is missing, does not load, or is switched off, and the layer
// modules then run their pure-TypeScript loops.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The raw addon; see native/src/kernels.c for the contract of each function. Arrays are updated in place. */
export interface NativeKernels {
  /**
   * The arc-cosine update of φ(x) = a·min(x, 0) + b·max(x, 0) (s2 = a² + b², ab2 = 2ab) on nr×nc pairs of S
   * positions: entry (r·nc + c)·S + s with variances k11[r·S + s], k22[c·S + s]; t (or null) is multiplied by the
   * derivative kernel.
   */
  abreluCross(
    k: Float64Array, t: Float64Array | null, k11: Float64Array, k22: Float64Array,
    nr: number, nc: number, S: number, s2: number, ab2: number,
  ): void;
  /**
   * Asks for transparent huge pages (Linux madvise MADV_HUGEPAGE) behind the whole pages of `a`, before they are
   * first touched; true if the advice was taken. Values are unchanged. Optional: an addon built before it lacks it.
   */
  adviseHugePages?(a: Float64Array): boolean;
  /** conv's offset-mean step over runs: geom [F, Si, So], coef [w2, b2, ntkParam (0/1), fanIn, biasTerm]. */
  convRuns(
    k: Float64Array, t: Float64Array | null, kOut: Float64Array, tOut: Float64Array | null, n: number, full: boolean,
    geom: Int32Array, idx: Int32Array, runs: Int32Array, runOff: Int32Array, coef: Float64Array,
  ): void;
  /** The separable 2-D conv step: geom [Hi, Wi, Ho, Wo, fh, fw], the row and column window tables and runs. */
  convSeparable(
    k: Float64Array, t: Float64Array | null, kOut: Float64Array, tOut: Float64Array | null, n: number, full: boolean,
    geom: Int32Array, rowIdx: Int32Array, colIdx: Int32Array, rowRuns: Int32Array, rowOff: Int32Array,
    colRuns: Int32Array, colOff: Int32Array, coef: Float64Array,
  ): void;
  /**
   * im2col over a window table, float32, in place (any views, e.g. of the wasm heap): x [n][Si][C], idx [So][F]
   * (input position of output q and offset o, −1 = zero padding). sum false: out [n][So][F][C] (copies, zeros
   * for padding); sum true: out [n][So][C], the sum over o in order (avgPool's window sum), times scale[q] when
   * `scale` (So entries) is given. Absent in builds older than the native patch kernels.
   */
  patchGather?(x: Float32Array, out: Float32Array, n: number, Si: number, C: number, idx: Int32Array, F: number, sum: boolean, scale: Float32Array | null): void;
  /**
   * The adjoint of `patchGather` (col2im): dx [n][Si][C] set to Σ over (q, o) with idx[q][o] = s of d[i][q][o][c]
   * (sum true: d [n][So][C], times scale[q] first when given), added for i, q, o ascending; padding entries dropped.
   */
  patchScatter?(d: Float32Array, dx: Float32Array, n: number, Si: number, C: number, idx: Int32Array, F: number, sum: boolean, scale: Float32Array | null): void;
  /**
   * relu's gradient, float32, any views of one length: out[i] = dy[i]·step(x[i]) with tfjs-wasm's step (NaN for NaN,
   * 1 for x > 0, else 0) and one float32 multiply. Absent in builds older than it.
   */
  reluGrad?(dy: Float32Array, x: Float32Array, out: Float32Array): void;
  /**
   * Batch normalization in training mode over x [M][C] float32: y = (x − μ)/√(σ² + ε) with the channel's mean and
   * biased variance summed in double, invStd = 1/√(σ² + ε), and the running statistics newMean = runMean·m +
   * μ·(1 − m) (newVar likewise) in float32. Absent in builds older than it.
   */
  batchNormTrain?(
    x: Float32Array, runMean: Float32Array, runVar: Float32Array, y: Float32Array, invStd: Float32Array,
    newMean: Float32Array, newVar: Float32Array, M: number, C: number, epsilon: number, momentum: number,
  ): void;
  /** Its input gradient: dx = invStd·(dy − mean(dy) − y·mean(dy·y)), channel means over the M rows in double. */
  batchNormTrainGrad?(dy: Float32Array, y: Float32Array, invStd: Float32Array, dx: Float32Array, M: number, C: number): void;
  /**
   * Lets the float32 loops (patchGather, patchScatter, reluGrad, scale, batchNormTrain and its gradient) run their two
   * halves at once on the linalg addon's helper thread: `handle` from its `twoThreadsHandle()`, or null to run them
   * in the calling thread again. The halves split examples, rows or channels, so the results are the same bits.
   * Absent in builds older than it.
   */
  useTwoThreads?(handle: unknown): void;
  /** out[i] = x[i]·s in float32 (s a float32 value), any views of one length. Absent in builds older than it. */
  scale?(x: Float32Array, s: number, out: Float32Array): void;
}

/** Where the addon lives (one directory below the package root, from src/linalg/ and from dist/linalg/ alike). */
export const NATIVE_KERNELS_PATH = fileURLToPath(new URL('../../native/build/Release/ntk_kernels.node', import.meta.url));

/** The addon, or null with the reason it is unavailable. */
export interface NativeKernelsLoad {
  readonly kernels: NativeKernels | null;
  readonly error: string | null;
}

let loaded: NativeKernelsLoad | undefined;

/**
 * Whether the native loops are used: on unless the environment sets NTK_NATIVE_KERNELS=0 (worker threads inherit
 * it), or `setNativeKernelsEnabled(false)` was called in this thread.
 */
let enabled = process.env.NTK_NATIVE_KERNELS !== '0';

/** Loads the addon once per thread (the outcome, with the reason when it is unavailable). */
export function loadNativeKernels(): NativeKernelsLoad {
  if (loaded) return loaded;
  if (!existsSync(NATIVE_KERNELS_PATH)) {
    loaded = { kernels: null, error: 'native/build/Release/ntk_kernels.node not found' };
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(NATIVE_KERNELS_PATH) as NativeKernels;
    if (typeof addon?.abreluCross !== 'function' || typeof addon.convRuns !== 'function' || typeof addon.convSeparable !== 'function') {
      throw new Error('it does not export the expected functions (stale build?)');
    }
    loaded = { kernels: addon, error: null };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    loaded = { kernels: null, error: `ntk_kernels.node failed to load: ${msg}` };
  }
  return loaded;
}

/** The native loops, or null (addon unavailable or switched off): the caller then runs its TypeScript loop. */
export function nativeKernels(): NativeKernels | null {
  return enabled ? loadNativeKernels().kernels : null;
}

/**
 * Switches the native loops on or off in this thread (tests compare both paths; worker threads follow
 * NTK_NATIVE_KERNELS instead). Returns the previous setting.
 */
export function setNativeKernelsEnabled(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}
