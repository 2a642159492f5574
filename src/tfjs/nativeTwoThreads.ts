import { loadNativeAddon } from '../linalg/native.js';
import { loadNativeKernels } from '../linalg/nativeKernels.js';

let connected = false;

/**
 * Lets the native float32 loops of a training step (im2col/col2im, relu's gradient, the fused batchNorm) run their
 * two halves at once: the kernels addon gets the linalg addon's helper thread, the one that runs the second half of
 * large products (src/tfjs/nativeMatMul.ts, SGEMM_SPLIT_FROM). One helper for both keeps a single thread polling
 * the spare core. The halves split examples, rows or channels, so every result has the same bits as on one thread;
 * a run pool's workers (OpenBLAS on one thread) keep one. Off with NTK_NATIVE_TWO_THREADS=0, or when either addon
 * is missing or predates it. Idempotent.
 * @returns one line for `ntk info`
 */
export function installNativeTwoThreads(): string {
  if (process.env.NTK_NATIVE_TWO_THREADS === '0') return 'one thread (NTK_NATIVE_TWO_THREADS=0)';
  const { kernels, error } = loadNativeKernels();
  if (!kernels) return `one thread (native kernels addon unavailable: ${error})`;
  const { addon, error: linalgError } = loadNativeAddon();
  if (!addon) return `one thread (native linalg addon unavailable: ${linalgError})`;
  if (typeof kernels.useTwoThreads !== 'function' || typeof addon.twoThreadsHandle !== 'function') {
    return 'one thread (native addons predate the shared helper: stale build, run `node scripts/build-native.mjs`)';
  }
  if (!connected) kernels.useTwoThreads(addon.twoThreadsHandle());
  connected = true;
  return 'two halves at once on the linalg addon\'s helper thread while OpenBLAS has ≥ 2 threads (same bits as one)';
}

/**
 * Connects (true) or disconnects (false) the helper for the native float32 loops in this process, for tests and
 * benchmarks comparing both. Returns whether it was connected.
 */
export function setNativeTwoThreads(on: boolean): boolean {
  const before = connected;
  const { kernels } = loadNativeKernels();
  const { addon } = loadNativeAddon();
  if (!kernels?.useTwoThreads || !addon?.twoThreadsHandle) return before;
  kernels.useTwoThreads(on ? addon.twoThreadsHandle() : null);
  connected = on;
  return before;
}
