/**
 * Peak memory of a Krylov λ scan (krylovBasis.ts, krylovFlow.ts, lambdaScan.ts krylovLambdaScan) whose kernels are
 * streamed (RowBlockSource), without Θ itself: what `ntk scan --kernel` checks against --max-memory before it reads
 * a byte of the kernel files.
 */

/** Shape of a streamed Krylov scan, for {@link krylovScanMemoryBytes}. */
export interface KrylovScanSize {
  /** Training points (Θ is n×n, never held). */
  n: number;
  /** Test points (Θ* is m×n, never held). */
  m: number;
  /** Outputs (the block size of the basis: one vector per column of Y). */
  k: number;
  /** Largest basis size the solver may reach (its maxSize). */
  maxBasis: number;
  /** Output times per λ. */
  times: number;
  /** Number of λ values. */
  lambdas: number;
  /** Bytes of the read buffers of the kernel sources (reported by the caller, which opened them). */
  readBufferBytes: number;
}

/** The capacity sequence of krylovBasis' doubling arrays: the last capacity and the one before it (both live while copying). */
function doubledCapacity(start: number, need: number, limit: number): { cap: number; prev: number } {
  let cap = Math.min(limit, start);
  let prev = 0;
  while (cap < need && cap < limit) {
    prev = cap;
    cap = Math.min(limit, cap * 2);
  }
  return { cap, prev };
}

/**
 * Estimated peak bytes of a streamed Krylov scan with a basis of at most `maxBasis` vectors, float64. The basis can
 * overshoot maxBasis by one block of k and keeps a pending block beside it, so it is sized for s = maxBasis + 2k rows:
 * - basis Q (s×n) and the test projection Θ*Q/n (s×m), in arrays that grow by doubling (old and new copy live
 *   together while growing): (cap + previous cap)·(n + m);
 * - T = QᵀΘQ/n (cap², both copies while growing), its copy, eigenvectors and LAPACK work (3s²), and the quadratic
 *   forms of the MSE curves (3s²);
 * - one block's product Θ·Q_j and its projections (3kn), Y and Y* with their start-block copy (2(n + m)k), the Ritz
 *   test weights (2ms);
 * - per λ the test outputs on the time grid (3·times·m·k) and the mode responses (4·s·times); the kept curves
 *   (4 curves of `times` values per λ, counted at 32 bytes each: the float and its JSON text);
 * - the read buffers of the kernel files.
 * @param s - problem size and the read-buffer bytes of the sources
 * @returns estimated peak bytes (an estimate from the allocations above, not a measurement)
 */
export function krylovScanMemoryBytes(s: KrylovScanSize): number {
  const { n, m, k, times: T } = s;
  const rows = Math.min(n, s.maxBasis + 2 * k);
  const q = doubledCapacity(Math.max(64, 4 * k), rows, n);
  const t = doubledCapacity(Math.max(64, 4 * k), Math.min(n, s.maxBasis + k), n);
  const sz = Math.min(n, s.maxBasis + k);
  const floats =
    (q.cap + q.prev) * (n + m) +
    t.cap * t.cap +
    t.prev * t.prev +
    6 * sz * sz +
    3 * k * n +
    2 * (n + m) * k +
    2 * m * sz +
    3 * T * m * k +
    4 * sz * T;
  return 8 * floats + s.lambdas * 4 * T * 32 + s.readBufferBytes;
}
