import type { KernelBlock, KernelFn, SpatialMode } from '../layers/types.js';
import { isList } from '../layers/values.js';
import type { Images } from '../data/images.js';

/**
 * The engine of the analytic kernels on images (N×H×W×C float64, channels last; sequences N×L×C alike): tiles of point pairs whose input
 * record holds, per spatial pair (s, t), K(x_s, x'_t) = Σ_c x[s, c]·x'[t, c]/C ('diagonal' mode: s = t only),
 * self parts likewise, passed through the network's KernelFn, which ends flat. Tiles shrink as the entries per
 * pair P grow (S in 'diagonal' mode, S² in 'full'), so a tile's arrays stay within a few MB (up to 32 MB in 'full'
 * mode, to keep at least 64 pairs per tile). Tiles are computed alone, so threads may share them out (strips of
 * tile rows from a shared counter, src/kernels/kernelWorker.ts) and give the same numbers as one thread.
 */

/** Entries per array of a tile (8 bytes each: 4 MiB). */
const TILE_ENTRIES = 1 << 19;

/** Up to this many entries per array (32 MiB) a tile is allowed to grow to reach MIN_TILE_PAIRS pairs. */
const MAX_TILE_ENTRIES = 1 << 22;

/**
 * Pairs a tile should hold at least: every tile recomputes the self parts of its nr + nc points beside its nr·nc
 * pairs, (nr + nc)/(nr·nc) of the pair work (25 % at 8×8), which matters in 'full' mode where P = S² is large.
 */
const MIN_TILE_PAIRS = 64;

/** Entries per pair of the input record: S = H·W in 'diagonal' mode, S² in 'full'. */
export function inputEntriesPerPair(x: Images, mode: SpatialMode): number {
  const s = positions(x);
  return mode === 'full' ? s * s : s;
}

/** Rows and columns of a tile for P entries per pair: nr·nc·P ≤ TILE_ENTRIES, or ≤ MAX_TILE_ENTRIES to reach MIN_TILE_PAIRS (at least one pair). */
export function imageTile(n1: number, n2: number, p: number): { rows: number; cols: number } {
  const pairs = Math.max(1, Math.floor(TILE_ENTRIES / p), Math.min(MIN_TILE_PAIRS, Math.floor(MAX_TILE_ENTRIES / p)));
  const rows = Math.min(n1, Math.max(1, Math.floor(Math.sqrt(pairs))));
  const cols = Math.min(n2, Math.max(1, Math.floor(pairs / rows)));
  return { rows, cols };
}

/**
 * Peak bytes of an image kernel call: the N1×N2 outputs and, per thread, the largest tile (pair and self arrays,
 * NNGP and NTK) counted four times over (layers that change the extent make new arrays while the old ones are
 * alive), plus as much again, up to 64 MiB, for arrays that are dead but not yet collected (V8 frees them when its
 * garbage collector runs). Grows like 8·N1·N2·matrices + threads·128·(nr·nc + nr + nc)·P bytes, P = H·W in
 * 'diagonal' mode (flatten readouts) and (H·W)² in 'full' mode (pooling). Measured peaks (RSS over the process
 * before the call, one thread): 148 MiB for an estimate of 251 MiB (full, 14×14, 8×8 tiles), 43 MiB for 67 MiB
 * (diagonal, 28×28, 25×25 tiles).
 */
export function imageKernelMemoryBytes(n1: number, n2: number, p: number, matrices: number, threads = 1): number {
  const { rows, cols } = imageTile(n1, n2, p);
  const tile = 8 * 4 * 2 * (rows * cols + rows + cols) * p;
  return 8 * n1 * n2 * matrices + threads * (tile + Math.min(tile, 64 * 2 ** 20));
}

/** Spatial positions per example S (H·W for N×H×W×C, L for sequences N×L×C). */
function positions(x: Images): number {
  return x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
}

/** Channels per position C (the last axis). */
function channels(x: Images): number {
  return x.shape[x.shape.length - 1];
}

/** Σ_c a[ia + c]·b[ib + c] / C. */
function dot(a: Float64Array, ia: number, b: Float64Array, ib: number, C: number): number {
  let s = 0;
  for (let c = 0; c < C; c++) s += a[ia + c] * b[ib + c];
  return s / C;
}

/** The covariances of points [i0, i0 + ni) of x with points [j0, j0 + nj) of y, [ni][nj][P]. */
function covariances(x: Images, i0: number, ni: number, y: Images, j0: number, nj: number, mode: SpatialMode): Float64Array {
  const S = positions(x);
  const C = channels(x);
  const P = mode === 'full' ? S * S : S;
  const out = new Float64Array(ni * nj * P);
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      const at = (i * nj + j) * P;
      const xa = (i0 + i) * S * C;
      const ya = (j0 + j) * S * C;
      if (mode === 'full') {
        for (let s = 0; s < S; s++) for (let t = 0; t < S; t++) out[at + s * S + t] = dot(x.data, xa + s * C, y.data, ya + t * C, C);
      } else {
        for (let s = 0; s < S; s++) out[at + s] = dot(x.data, xa + s * C, y.data, ya + s * C, C);
      }
    }
  }
  return out;
}

/** The self parts of points [i0, i0 + n) of x: [n][P]. */
function selfCovariances(x: Images, i0: number, n: number, mode: SpatialMode): Float64Array {
  const S = positions(x);
  const P = mode === 'full' ? S * S : S;
  const out = new Float64Array(n * P);
  for (let i = 0; i < n; i++) out.set(covariances(x, i0 + i, 1, x, i0 + i, 1, mode), i * P);
  return out;
}

/** The input record of the tile rows [i0, i0 + nr) of x1 × columns [j0, j0 + nc) of x2 (Θ = 0). */
export function imageInputBlock(x1: Images, i0: number, nr: number, x2: Images, j0: number, nc: number, mode: SpatialMode, wantNtk: boolean): KernelBlock {
  const S = positions(x1);
  const P = mode === 'full' ? S * S : S;
  return {
    nr,
    nc,
    spatial: x1.shape.slice(1, -1),
    mode,
    nngp: covariances(x1, i0, nr, x2, j0, nc, mode),
    ntk: wantNtk ? new Float64Array(nr * nc * P) : null,
    cov1: selfCovariances(x1, i0, nr, mode),
    ntk1: wantNtk ? new Float64Array(nr * P) : null,
    cov2: selfCovariances(x2, j0, nc, mode),
    ntk2: wantNtk ? new Float64Array(nc * P) : null,
  };
}

function run(fn: KernelFn, block: KernelBlock): KernelBlock {
  const out = fn(block);
  if (isList(out)) throw new Error('internal: the network ends with a list');
  if (out.spatial.length > 0) throw new Error('internal: the network ends with spatial values');
  return out;
}

/** What every thread needs to compute tiles of an image kernel (all but the network's KernelFn). */
export interface ImageJob {
  /** The spatial mode of the network's input record. */
  readonly inputMode: SpatialMode;
  readonly x1: Images;
  /** null: X2 = X1 (square tiles on and above the diagonal, mirrored). */
  readonly x2: Images | null;
  readonly wantNtk: boolean;
}

/** The tiling of a job: `rows`×`cols` pairs per tile, `strips` strips of tile rows. Deterministic, so every thread agrees. */
export function imageTiling(job: ImageJob): { rows: number; cols: number; strips: number } {
  const n1 = job.x1.shape[0];
  const n2 = (job.x2 ?? job.x1).shape[0];
  const tile = imageTile(n1, n2, inputEntriesPerPair(job.x1, job.inputMode));
  const rows = job.x2 === null ? Math.min(tile.rows, tile.cols) : tile.rows;
  const cols = job.x2 === null ? rows : tile.cols;
  return { rows, cols, strips: Math.ceil(n1 / rows) };
}

/**
 * Computes strips of tile rows of the N1×N2 kernel into `k` and `t` (row-major, N2 columns), taking strip numbers
 * from `next` until it returns one ≥ the number of strips (a shared counter when threads split the work; strip 0
 * first: with X2 = X1 the first strips hold the most tiles). Each tile is computed alone, so the numbers do not
 * depend on which thread computed it.
 */
export function computeImageStrips(
  fn: KernelFn,
  job: ImageJob,
  k: Float64Array,
  t: Float64Array | null,
  next: () => number,
  onRows?: (rows: number) => void,
): void {
  const { inputMode, x1, wantNtk } = job;
  const y = job.x2 ?? x1;
  const n1 = x1.shape[0];
  const n2 = y.shape[0];
  // X2 = X1: square tiles on and above the diagonal, each written to (I, J) and (J, I): half the work, and an
  // exactly symmetric result
  const symmetric = job.x2 === null;
  const { rows, cols, strips } = imageTiling(job);
  for (let strip = next(); strip < strips; strip = next()) {
    const i0 = strip * rows;
    const nr = Math.min(rows, n1 - i0);
    for (let j0 = symmetric ? i0 : 0; j0 < n2; j0 += cols) {
      const nc = Math.min(cols, n2 - j0);
      const out = run(fn, imageInputBlock(x1, i0, nr, y, j0, nc, inputMode, wantNtk && t !== null));
      for (let r = 0; r < nr; r++) {
        for (let c = 0; c < nc; c++) {
          const i = i0 + r;
          const j = j0 + c;
          if (symmetric && j < i) continue; // the lower part of a diagonal tile: mirrored from its upper part
          const same = symmetric && i === j;
          const kv = same ? out.cov1[r] : out.nngp[r * nc + c];
          k[i * n2 + j] = kv;
          if (symmetric) k[j * n2 + i] = kv;
          if (t && out.ntk && out.ntk1) {
            const tv = same ? out.ntk1[r] : out.ntk[r * nc + c];
            t[i * n2 + j] = tv;
            if (symmetric) t[j * n2 + i] = tv;
          }
        }
      }
    }
    onRows?.(nr);
  }
}

/**
 * The N1×N2 NNGP (and NTK when `wantNtk`) of images x1 against x2 (null: x1 itself, then the diagonal comes from
 * the self parts: the exact θ = 0 formulas), row-major float64, on the calling thread. `inputMode` is what the
 * network's first layer needs.
 */
export function computeImageKernel(
  fn: KernelFn,
  inputMode: SpatialMode,
  x1: Images,
  x2: Images | null,
  wantNtk: boolean,
  onRows?: (rows: number) => void,
): { k: Float64Array; t: Float64Array | null } {
  const n1 = x1.shape[0];
  const n2 = (x2 ?? x1).shape[0];
  const k = new Float64Array(n1 * n2);
  const t = wantNtk ? new Float64Array(n1 * n2) : null;
  let strip = 0;
  computeImageStrips(fn, { inputMode, x1, x2, wantNtk }, k, t, () => strip++, onRows);
  return { k, t };
}
