import type { KernelTransform } from '../layers/types.js';

/**
 * The scalar recursions of the analytic kernels, shared by the main thread and the worker threads.
 * Everything here is float64 and allocation-light: the hot loops live in the layer modules.
 */

/**
 * Runs the diagonal through the network. `sqNorms[i]` = |x_i|²; the input covariance is |x|²/d.
 * Returns the NNGP diagonal before each layer (`before[l]`, l = 0..depth-1) and the final NNGP/NTK diagonals.
 */
export function diagonalChain(
  transforms: readonly KernelTransform[],
  sqNorms: Float64Array,
  inputDim: number,
): { before: Float64Array[]; nngp: Float64Array; ntk: Float64Array } {
  const n = sqNorms.length;
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) k[i] = sqNorms[i] / inputDim;
  const t = new Float64Array(n); // Θ = 0 before the first layer with parameters
  const before: Float64Array[] = [];
  for (const tr of transforms) {
    before.push(k.slice());
    tr.diag({ n, k, t });
  }
  return { before, nngp: k, ntk: t };
}

/**
 * Applies the layers to one block of cross entries in place. On entry `k` holds the input covariance
 * x_i·x'_j/d and `t` zeros; on exit the NNGP and NTK. `chain1[l]`, `chain2[l]` are the diagonals before
 * layer l, already offset to the block's first row / column.
 */
export function crossBlock(
  transforms: readonly KernelTransform[],
  chain1: readonly Float64Array[],
  chain2: readonly Float64Array[],
  nr: number,
  nc: number,
  k: Float64Array,
  t: Float64Array | null,
): void {
  for (let l = 0; l < transforms.length; l++) {
    transforms[l].cross({ nr, nc, k, t, k11: chain1[l], k22: chain2[l] });
  }
}

/** Which rows and columns a worker computes; see `computeRows`. */
export interface RowTask {
  /** First and one-past-last row. */
  readonly r0: number;
  readonly r1: number;
  /** Symmetric case (X2 = X1): only columns j ≥ i are computed, then mirrored, and the diagonal is exact. */
  readonly symmetric: boolean;
}

/**
 * Computes rows [r0, r1) of the N1×N2 kernel in place in `k` (holding the input covariance on entry) and `t`
 * (zeros on entry, or null for NNGP only). Rows go in small chunks so progress can be reported.
 */
export function computeRows(
  transforms: readonly KernelTransform[],
  chain1: readonly Float64Array[],
  chain2: readonly Float64Array[],
  diag: { nngp: Float64Array; ntk: Float64Array } | null,
  n2: number,
  k: Float64Array,
  t: Float64Array | null,
  task: RowTask,
  onRows?: (rows: number) => void,
): void {
  const chunk = Math.max(1, Math.floor(65536 / Math.max(1, n2)));
  for (let r = task.r0; r < task.r1; r += task.symmetric ? 1 : chunk) {
    if (task.symmetric) {
      // Row r, columns r..n2-1: a 1×(n2 − r) block.
      const nc = n2 - r;
      const off = r * n2 + r;
      const c1 = chain1.map((c) => c.subarray(r, r + 1));
      const c2 = chain2.map((c) => c.subarray(r));
      crossBlock(transforms, c1, c2, 1, nc, k.subarray(off, off + nc), t ? t.subarray(off, off + nc) : null);
      // The diagonal from the θ = 0 formulas (acos near 1 loses half the digits), then mirror the row.
      if (diag) {
        k[r * n2 + r] = diag.nngp[r];
        if (t) t[r * n2 + r] = diag.ntk[r];
      }
      for (let c = r + 1; c < n2; c++) {
        k[c * n2 + r] = k[r * n2 + c];
        if (t) t[c * n2 + r] = t[r * n2 + c];
      }
      if (onRows && (r - task.r0) % 16 === 15) onRows(16);
    } else {
      const nr = Math.min(chunk, task.r1 - r);
      const off = r * n2;
      const c1 = chain1.map((c) => c.subarray(r, r + nr));
      crossBlock(transforms, c1, chain2, nr, n2, k.subarray(off, off + nr * n2), t ? t.subarray(off, off + nr * n2) : null);
      onRows?.(nr);
    }
  }
  if (onRows && task.symmetric) onRows((task.r1 - task.r0) % 16);
}

/**
 * Splits rows among `parts` workers with equal work: equal rows in general, equal triangle areas
 * (Σ over rows of n − i) when symmetric.
 */
export function splitRows(n1: number, parts: number, symmetric: boolean): RowTask[] {
  const tasks: RowTask[] = [];
  const p = Math.max(1, Math.min(parts, n1));
  if (!symmetric) {
    for (let i = 0; i < p; i++) {
      const r0 = Math.floor((i * n1) / p);
      const r1 = Math.floor(((i + 1) * n1) / p);
      if (r1 > r0) tasks.push({ r0, r1, symmetric });
    }
    return tasks;
  }
  const total = (n1 * (n1 + 1)) / 2;
  let r0 = 0;
  let acc = 0;
  for (let r = 0; r < n1 && tasks.length < p - 1; r++) {
    acc += n1 - r;
    if (acc >= (total * (tasks.length + 1)) / p) {
      tasks.push({ r0, r1: r + 1, symmetric });
      r0 = r + 1;
    }
  }
  if (r0 < n1) tasks.push({ r0, r1: n1, symmetric });
  return tasks;
}
