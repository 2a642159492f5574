import type { KernelBlock, KernelFn } from '../layers/types.js';
import { isList } from '../layers/values.js';

/**
 * The tiled engine of the analytic kernels, shared by the main thread and the worker threads. Each tile is a
 * KernelBlock of the input covariances (x·x'/d with the self parts |x|²/d, Θ = 0), passed through the network's
 * KernelFn; the self parts travel with the tile, so nothing is precomputed per layer. Float64, allocation-light:
 * the hot loops live in the layer modules.
 */

/** Runs a record through the network's kernel, which must end with a single record. */
function run(fn: KernelFn, block: KernelBlock): KernelBlock {
  const out = fn(block);
  if (isList(out)) throw new Error('internal: the network ends with a list');
  return out;
}

/** The input record of a tile: pair part `nngp` as given (the input covariance), self parts |x|²/d, Θ = 0. */
function inputBlock(
  nr: number,
  nc: number,
  nngp: Float64Array,
  ntk: Float64Array | null,
  norms1: Float64Array,
  r0: number,
  norms2: Float64Array,
  c0: number,
  inputDim: number,
): KernelBlock {
  const cov1 = new Float64Array(nr);
  for (let r = 0; r < nr; r++) cov1[r] = norms1[r0 + r] / inputDim;
  const cov2 = new Float64Array(nc);
  for (let c = 0; c < nc; c++) cov2[c] = norms2[c0 + c] / inputDim;
  const wantNtk = ntk !== null;
  return {
    nr,
    nc,
    spatial: [],
    mode: 'diagonal',
    nngp,
    ntk,
    cov1,
    ntk1: wantNtk ? new Float64Array(nr) : null,
    cov2,
    ntk2: wantNtk ? new Float64Array(nc) : null,
  };
}

/**
 * The self parts alone (K(x, x), Θ(x, x) of every point: a record with no columns), the same engine as the
 * tiles. `sqNorms[i]` = |x_i|²; the input covariance is |x|²/d.
 */
export function selfParts(fn: KernelFn, sqNorms: Float64Array, inputDim: number): { nngp: Float64Array; ntk: Float64Array } {
  const out = run(fn, inputBlock(sqNorms.length, 0, new Float64Array(0), new Float64Array(0), sqNorms, 0, new Float64Array(0), 0, inputDim));
  return { nngp: out.cov1, ntk: out.ntk1 as Float64Array };
}

/** Which rows a worker computes; see `computeRows`. */
export interface RowTask {
  /** First and one-past-last row. */
  readonly r0: number;
  readonly r1: number;
  /**
   * Symmetric case (X2 = X1): rows are processed in TILE×TILE tiles on and above the diagonal; each tile is
   * written to both (I, J) and (J, I), and the diagonal comes from the self parts (the exact θ = 0 formulas).
   * r0 and r1 are then multiples of TILE (or n). The input covariance is read from the lower triangle only.
   */
  readonly symmetric: boolean;
  /**
   * Whether the NNGP is written back to `k` (default true). False when only the NTK is asked for: the symmetric
   * case then leaves `k` as the input covariance (the general case computes in place and overwrites it either way).
   */
  readonly writeNngp?: boolean;
}

/** Tile edge for the symmetric case: a 64×64 float64 tile (32 KiB) and its transpose stay in cache. */
export const TILE = 64;

/** Entries per tile in the general case (TILE rows × up to 1024 columns, 512 KiB per array). */
const TILE_ENTRIES = 65536;

/** What the engine reads: the network's kernel and the inputs' squared norms. */
export interface EngineInput {
  readonly fn: KernelFn;
  readonly norms1: Float64Array;
  readonly norms2: Float64Array;
  readonly inputDim: number;
}

/**
 * Computes rows [r0, r1) of the N1×N2 kernel in place in `k` (holding the input covariance on entry) and `t`
 * (zeros on entry, or null for NNGP only), tile by tile. Progress is reported per strip of rows.
 */
export function computeRows(
  input: EngineInput,
  n2: number,
  k: Float64Array,
  t: Float64Array | null,
  task: RowTask,
  onRows?: (rows: number) => void,
): void {
  if (task.symmetric) {
    computeSymmetricTiles(input, n2, k, t, task, onRows);
    return;
  }
  // General case: tiles of TILE rows; the self parts cost (nr + nc)/(nr·nc) of the pair work per tile.
  const rows = Math.min(TILE, task.r1 - task.r0);
  const cols = Math.min(n2, Math.max(TILE, Math.floor(TILE_ENTRIES / Math.max(1, rows))));
  const kTile = new Float64Array(rows * cols);
  const tTile = t ? new Float64Array(rows * cols) : null;
  for (let i0 = task.r0; i0 < task.r1; i0 += TILE) {
    const nr = Math.min(TILE, task.r1 - i0);
    for (let j0 = 0; j0 < n2; j0 += cols) {
      const nc = Math.min(cols, n2 - j0);
      const m = nr * nc;
      // a tile spanning whole rows is contiguous: computed in place, no copies
      const inPlace = nc === n2;
      let kb: Float64Array;
      let tb: Float64Array | null;
      if (inPlace) {
        kb = k.subarray(i0 * n2, i0 * n2 + m);
        tb = t ? t.subarray(i0 * n2, i0 * n2 + m) : null;
      } else {
        kb = kTile.subarray(0, m);
        tb = tTile ? tTile.subarray(0, m) : null;
        for (let r = 0; r < nr; r++) {
          const src = (i0 + r) * n2 + j0;
          for (let c = 0; c < nc; c++) kb[r * nc + c] = k[src + c];
        }
        tb?.fill(0);
      }
      const out = run(input.fn, inputBlock(nr, nc, kb, tb, input.norms1, i0, input.norms2, j0, input.inputDim));
      if (!inPlace || out.nngp !== kb || out.ntk !== tb) {
        for (let r = 0; r < nr; r++) {
          const dst = (i0 + r) * n2 + j0;
          for (let c = 0; c < nc; c++) k[dst + c] = out.nngp[r * nc + c];
          if (t && out.ntk) for (let c = 0; c < nc; c++) t[dst + c] = out.ntk[r * nc + c];
        }
      }
    }
    onRows?.(nr);
  }
}

function computeSymmetricTiles(
  input: EngineInput,
  n: number,
  k: Float64Array,
  t: Float64Array | null,
  task: RowTask,
  onRows?: (rows: number) => void,
): void {
  const kTile = new Float64Array(TILE * TILE);
  const tTile = t ? new Float64Array(TILE * TILE) : null;
  const writeK = task.writeNngp !== false;
  for (let i0 = task.r0; i0 < task.r1; i0 += TILE) {
    const nr = Math.min(TILE, n - i0);
    for (let j0 = i0; j0 < n; j0 += TILE) {
      const nc = Math.min(TILE, n - j0);
      const m = nr * nc;
      const kb = kTile.subarray(0, m);
      const tb = tTile ? tTile.subarray(0, m) : null;
      // gather the (I, J) tile from the lower triangle, the only one the input covariance needs (src/kernels/inputGram.ts):
      // entry (r, c) is k[j0 + c, i0 + r], read along rows of k (contiguous) into the tile's columns
      if (j0 === i0) {
        for (let r = 0; r < nr; r++) {
          for (let c = 0; c <= r; c++) {
            const v = k[(i0 + r) * n + i0 + c];
            kb[r * nc + c] = v;
            kb[c * nc + r] = v;
          }
        }
      } else {
        for (let c = 0; c < nc; c++) {
          const src = (j0 + c) * n + i0;
          for (let r = 0; r < nr; r++) kb[r * nc + c] = k[src + r];
        }
      }
      tb?.fill(0);
      const out = run(input.fn, inputBlock(nr, nc, kb, tb, input.norms1, i0, input.norms2, j0, input.inputDim));
      // scatter to (I, J) and its transpose (J, I), both along rows of the output (the tile is read across in cache);
      // the recursion is symmetric in its two arguments, so a diagonal tile computed in full is already exactly symmetric
      if (writeK) scatterTile(out.nngp, k, n, i0, j0, nr, nc);
      if (t && out.ntk) scatterTile(out.ntk, t, n, i0, j0, nr, nc);
      // the diagonal from the self parts (θ = 0 formulas): acos of a cosine that rounds near 1 loses half the digits
      if (j0 === i0) {
        for (let r = 0; r < nr; r++) {
          if (writeK) k[(i0 + r) * n + i0 + r] = out.cov1[r];
          if (t && out.ntk1) t[(i0 + r) * n + i0 + r] = out.ntk1[r];
        }
      }
    }
    onRows?.(nr);
  }
}

/** Writes an nr×nc tile to rows i0… columns j0… of the n×n `dst` and its transpose to rows j0… columns i0…, both row by row. */
function scatterTile(tile: Float64Array, dst: Float64Array, n: number, i0: number, j0: number, nr: number, nc: number): void {
  for (let r = 0; r < nr; r++) {
    const at = (i0 + r) * n + j0;
    for (let c = 0; c < nc; c++) dst[at + c] = tile[r * nc + c];
  }
  for (let c = 0; c < nc; c++) {
    const at = (j0 + c) * n + i0;
    for (let r = 0; r < nr; r++) dst[at + r] = tile[r * nc + c];
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
