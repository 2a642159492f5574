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

/** Which rows a worker computes; see `computeRows`. */
export interface RowTask {
  /** First and one-past-last row. */
  readonly r0: number;
  readonly r1: number;
  /**
   * Symmetric case (X2 = X1): rows are processed in TILE×TILE tiles on and above the diagonal; each tile is
   * written to both (I, J) and (J, I), and the diagonal comes from the exact θ = 0 formulas. r0 and r1 are
   * then multiples of TILE (or n).
   */
  readonly symmetric: boolean;
}

/** Tile edge for the symmetric case: a 64×64 float64 tile (32 KiB) and its transpose stay in cache. */
export const TILE = 64;

/**
 * Computes rows [r0, r1) of the N1×N2 kernel in place in `k` (holding the input covariance on entry) and `t`
 * (zeros on entry, or null for NNGP only). Work goes in small pieces so progress can be reported.
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
  if (task.symmetric) {
    computeSymmetricTiles(transforms, chain1, diag, n2, k, t, task, onRows);
    return;
  }
  const chunk = Math.max(1, Math.floor(65536 / Math.max(1, n2)));
  for (let r = task.r0; r < task.r1; r += chunk) {
    const nr = Math.min(chunk, task.r1 - r);
    const off = r * n2;
    const c1 = chain1.map((c) => c.subarray(r, r + nr));
    crossBlock(transforms, c1, chain2, nr, n2, k.subarray(off, off + nr * n2), t ? t.subarray(off, off + nr * n2) : null);
    onRows?.(nr);
  }
}

function computeSymmetricTiles(
  transforms: readonly KernelTransform[],
  chain: readonly Float64Array[],
  diag: { nngp: Float64Array; ntk: Float64Array } | null,
  n: number,
  k: Float64Array,
  t: Float64Array | null,
  task: RowTask,
  onRows?: (rows: number) => void,
): void {
  const kTile = new Float64Array(TILE * TILE);
  const tTile = t ? new Float64Array(TILE * TILE) : null;
  for (let i0 = task.r0; i0 < task.r1; i0 += TILE) {
    const nr = Math.min(TILE, n - i0);
    const c1 = chain.map((c) => c.subarray(i0, i0 + nr));
    for (let j0 = i0; j0 < n; j0 += TILE) {
      const nc = Math.min(TILE, n - j0);
      // gather the (I, J) tile contiguously
      for (let r = 0; r < nr; r++) {
        const src = (i0 + r) * n + j0;
        for (let c = 0; c < nc; c++) kTile[r * nc + c] = k[src + c];
      }
      if (tTile) tTile.fill(0, 0, nr * nc);
      const c2 = chain.map((c) => c.subarray(j0, j0 + nc));
      crossBlock(transforms, c1, c2, nr, nc, kTile, tTile);
      // scatter to (I, J) and its transpose (J, I); the recursion is symmetric in its two arguments,
      // so a diagonal tile computed in full is already exactly symmetric
      for (let r = 0; r < nr; r++) {
        const dst = (i0 + r) * n + j0;
        for (let c = 0; c < nc; c++) {
          const v = kTile[r * nc + c];
          k[dst + c] = v;
          k[(j0 + c) * n + i0 + r] = v;
        }
        if (t && tTile) {
          for (let c = 0; c < nc; c++) {
            const v = tTile[r * nc + c];
            t[dst + c] = v;
            t[(j0 + c) * n + i0 + r] = v;
          }
        }
      }
    }
    // the diagonal from the θ = 0 formulas: acos of a cosine that rounds near 1 loses half the digits
    if (diag) {
      for (let r = i0; r < i0 + nr; r++) {
        k[r * n + r] = diag.nngp[r];
        if (t) t[r * n + r] = diag.ntk[r];
      }
    }
    onRows?.(nr);
  }
}

/**
 * Splits rows among `parts` workers with equal work: equal rows in general; when symmetric, whole tile rows
 * with equal numbers of tiles on or above the diagonal.
 */
export function splitRows(n1: number, parts: number, symmetric: boolean): RowTask[] {
  const tasks: RowTask[] = [];
  if (!symmetric) {
    const p = Math.max(1, Math.min(parts, n1));
    for (let i = 0; i < p; i++) {
      const r0 = Math.floor((i * n1) / p);
      const r1 = Math.floor(((i + 1) * n1) / p);
      if (r1 > r0) tasks.push({ r0, r1, symmetric });
    }
    return tasks;
  }
  const nb = Math.ceil(n1 / TILE);
  const p = Math.max(1, Math.min(parts, nb));
  const total = (nb * (nb + 1)) / 2;
  let b0 = 0;
  let acc = 0;
  for (let b = 0; b < nb && tasks.length < p - 1; b++) {
    acc += nb - b;
    if (acc >= (total * (tasks.length + 1)) / p) {
      tasks.push({ r0: b0 * TILE, r1: Math.min(n1, (b + 1) * TILE), symmetric });
      b0 = b + 1;
    }
  }
  if (b0 < nb) tasks.push({ r0: b0 * TILE, r1: n1, symmetric });
  return tasks;
}
