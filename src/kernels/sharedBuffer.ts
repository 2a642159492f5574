/**
 * The kernel outputs the worker threads share: N1×N2 float64 over a SharedArrayBuffer. A fresh buffer of 128 MiB
 * (N = 4096) is faulted in page by page when first written; with 4 KiB pages that cost about 0.25 s of system time
 * per buffer on the development VM, so the native addon, where present, asks Linux for transparent huge pages behind
 * it first (madvise MADV_HUGEPAGE, what numpy does for its arrays of 4 MiB and more). The values are the same either way.
 */
import { nativeKernels } from '../linalg/nativeKernels.js';

/** Below this many bytes the advice is not worth a call (a huge page is 2 MiB). */
const ADVISE_BYTES = 4 << 20;

/**
 * A zero-filled Float64Array of `length` entries over a new SharedArrayBuffer, backed by huge pages where the
 * native addon can ask for them (otherwise an ordinary shared buffer).
 * @param length - number of float64 entries
 * @returns the shared, zeroed array
 */
export function sharedFloat64(length: number): Float64Array {
  const a = new Float64Array(new SharedArrayBuffer(8 * length));
  if (8 * length >= ADVISE_BYTES) nativeKernels()?.adviseHugePages?.(a);
  return a;
}
