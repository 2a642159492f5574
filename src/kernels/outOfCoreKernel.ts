/**
 * Out-of-core analytic kernels: an N1×N2 NTK or NNGP larger than memory written straight to a .npy file, one row
 * tile at a time, resumable after the process is killed.
 *
 * Layout. The tiles are a fixed grid of `tileRows` rows over the whole kernel ([k·B, (k+1)·B), the last one shorter),
 * each computed by the in-memory engine (analyticKernel) on that block of X1 against all of X2, so memory is bounded
 * by one tile whatever N1 is. Each entry depends only on its tile's inputs, so the same grid gives the same bits in
 * one process, in a resumed process, or split over jobs (`part`, see planRows); with X2 = X1 the diagonal is replaced
 * by the self parts (the exact θ = 0 formulas), as the in-memory symmetric kernel does. Another tile computation
 * can be given (`opts.tiles`, a TileSource: the empirical kernels of src/kernels/outOfCoreEmpirical.ts); its settings
 * then enter the run's identity.
 *
 * Files. The output goes to a hidden temporary file ntk owns beside it (".NAME.ntk-partial"), preallocated to its
 * final size with the .npy header written first; a journal (".NAME.ntk-journal", JSON lines) records the run's
 * identity (a hash of the network, the inputs and the grid) and then one line per finished tile, written after the
 * tile's bytes are flushed (fdatasync). A rerun with the same identity skips the finished tiles; when every tile is
 * done the file is flushed and renamed to NAME and the journal removed. The caller checks NAME itself
 * (src/io/outputPath.ts checkOutputFile): this module never touches an existing NAME except by that final rename.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, renameSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { NetworkInputs } from '../data/inputs.js';
import { isShaped } from '../data/inputs.js';
import { appendLine } from '../io/appendLine.js';
import { ioError, writeFileAtomic } from '../io/atomic.js';
import { npyHeaderBytes } from '../io/npy.js';
import { specToJson } from '../layers/json.js';
import type { NetworkSpec } from '../layers/types.js';
import type { Linalg } from '../linalg/types.js';
import type { Mat } from '../linalg/matrix.js';
import { InputError, quote } from '../util/errors.js';
import { analyticKernel, kernelDiagonal } from './analytic.js';
import { imageKernelMemoryBytes } from './spatialEngine.js';
import { flatTileEngine } from './outOfCoreTiles.js';
import { formatBytes, kernelMemoryBytes } from './memory.js';

/** Options of {@link writeKernelOutOfCore}. */
export interface OutOfCoreOptions {
  /** Which kernel (default 'ntk'). */
  get?: 'ntk' | 'nngp';
  /** Stored dtype (default 'float64'); float32 halves the file (values rounded once, from float64). */
  dtype?: 'float64' | 'float32';
  /** Rows per tile; default: as many as fit in `tileMemoryBytes`. Must be the same for every part of one kernel. */
  tileRows?: number;
  /** Working memory of one tile in bytes, used when `tileRows` is not given (default 1 GiB: fixed, so every machine picks the same grid). */
  tileMemoryBytes?: number;
  /** This job's share of the tiles: part `index` (0-based) of `count` (default: the whole kernel). */
  part?: { index: number; count: number };
  /** Worker threads per tile (default: all cores; the bits do not depend on it). */
  threads?: number;
  /** Linear-algebra backend for the tiles' input Gram matrices. */
  linalg?: Linalg;
  /** Start over when an unfinished run of a different kernel left its temporary files (default: refuse). */
  force?: boolean;
  /** Called with (rows done, rows of this job), resumed rows included, after every tile. */
  onProgress?: (done: number, total: number) => void;
  /** Called after each tile is on disk: its index, the number of tiles of this job, its rows, and whether it was resumed (skipped). */
  onTile?: (info: { tile: number; tiles: number; r0: number; r1: number; resumed: boolean }) => void;
  /** Computes the tiles instead of the analytic engine (default: the analytic kernel; e.g. outOfCoreEmpirical.ts). */
  tiles?: TileSource;
}

/**
 * A tile computation other than the analytic default: rows [r0, r1) of X1 against all of X2 (or of X1) as a float64
 * (r1−r0)×N2 array, its memory estimate, and what besides the network, inputs, kernel, dtype and grid decides its bits.
 */
export interface TileSource {
  /** Settings hashed into the kernel identity (e.g. width, seeds, seed, method), so a resume never mixes kernels. */
  identity: Record<string, string | number | boolean>;
  /** Peak working bytes of one tile of `rows` rows against `n2` columns (the float32 copy to disk is added by the writer). */
  memoryBytes(rows: number, n2: number): number;
  /** Rows [r0, r1) of the kernel, row-major float64. */
  tile(r0: number, r1: number): Promise<Float64Array>;
}

/** What {@link writeKernelOutOfCore} wrote. */
export interface OutOfCoreSummary {
  /** Shape of the file: [rows of this job, N2]. */
  shape: [number, number];
  /** Rows [r0, r1) of the full N1×N2 kernel that the file holds. */
  rows: [number, number];
  /** The full kernel's shape. */
  fullShape: [number, number];
  dtype: 'float64' | 'float32';
  tileRows: number;
  /** Tiles of this job, and how many of them an earlier run had finished. */
  tiles: number;
  resumedTiles: number;
  /** Identity of the kernel (network, kernel, dtype, inputs, grid): equal for every part of one kernel. */
  kernelId: string;
}

/** Default working memory of one tile: 1 GiB. */
export const DEFAULT_TILE_MEMORY = 2 ** 30;

/** The temporary files of an out-of-core write of `target`: the partial data and the journal. */
export function partialPaths(target: string): { partial: string; journal: string } {
  const dir = dirname(target);
  const base = basename(target);
  return { partial: join(dir, `.${base}.ntk-partial`), journal: join(dir, `.${base}.ntk-journal`) };
}

/** Rows of X (an N×d matrix or a shaped batch), as views: no copy. */
export function sliceInputs(x: NetworkInputs, r0: number, r1: number): NetworkInputs {
  if (isShaped(x)) {
    const per = x.data.length / x.shape[0];
    return { shape: [r1 - r0, ...x.shape.slice(1)], data: x.data.subarray(r0 * per, r1 * per), dtype: 'float64' };
  }
  return { rows: r1 - r0, cols: x.cols, data: x.data.subarray(r0 * x.cols, r1 * x.cols) };
}

function pointsOf(x: NetworkInputs): number {
  return isShaped(x) ? x.shape[0] : x.rows;
}

/**
 * Peak working bytes of one tile of `rows` rows against N2 columns: the engine's own estimate (src/kernels/memory.ts
 * for flat inputs, spatialEngine.ts for images) plus the float32 copy written to disk.
 */
export function tileMemoryBytes(spec: NetworkSpec, x2: NetworkInputs, rows: number, n2: number, get: 'ntk' | 'nngp', dtype: 'float64' | 'float32', threads: number): number {
  const out = dtype === 'float32' ? 4 * rows * n2 : 0;
  if (isShaped(x2)) {
    const s = x2.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    // 'full' spatial covariances are the worst case the engine may pick (pooling); the estimate stays an upper bound
    const p = s * s;
    return imageKernelMemoryBytes(rows, n2, p, get === 'nngp' ? 1 : 2, threads) + out;
  }
  return kernelMemoryBytes(rows, n2, x2.cols, spec.layers.length, get) + out;
}

/** Rows per tile for a memory budget: the most rows whose tile fits (at least 1). */
export function tileRowsFor(spec: NetworkSpec, x2: NetworkInputs, n1: number, get: 'ntk' | 'nngp', dtype: 'float64' | 'float32', budget: number, threads: number): number {
  const n2 = pointsOf(x2);
  return rowsWithin(n1, n2, budget, (rows) => tileMemoryBytes(spec, x2, rows, n2, get, dtype, threads));
}

/** The most rows (1..n1) whose tile's estimate `bytesOf(rows)` (nondecreasing) fits in `budget`; refuses when one row does not. */
export function rowsWithin(n1: number, n2: number, budget: number, bytesOf: (rows: number) => number): number {
  let lo = 1;
  let hi = n1;
  if (bytesOf(1) > budget) {
    throw new InputError(`one kernel row (${n2} columns) needs about ${formatBytes(bytesOf(1))}, over the tile memory of ${formatBytes(budget)}; raise --tile-memory`);
  }
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (bytesOf(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The tiles of a job: the global grid of `tileRows` over N1 rows, and the contiguous run of tiles part `index` of `count` gets. */
export function planRows(n1: number, tileRows: number, part?: { index: number; count: number }): { r0: number; r1: number; tiles: Array<[number, number]> } {
  const total = Math.ceil(n1 / tileRows);
  let t0 = 0;
  let t1 = total;
  if (part) {
    const { index, count } = part;
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new InputError(`--tile must be i/n with 0 ≤ i < n, got ${index}/${count}`);
    }
    if (count > total) {
      throw new InputError(`--tile ${index}/${count}: the kernel has only ${total} tile${total === 1 ? '' : 's'} of ${tileRows} rows; use n ≤ ${total} or fewer --tile-rows`);
    }
    t0 = Math.floor((index * total) / count);
    t1 = Math.floor(((index + 1) * total) / count);
  }
  const tiles: Array<[number, number]> = [];
  for (let t = t0; t < t1; t++) tiles.push([t * tileRows, Math.min(n1, (t + 1) * tileRows)]);
  return { r0: tiles[0][0], r1: tiles[tiles.length - 1][1], tiles };
}

/** A hash of the inputs' values and shape. */
function inputsHash(x: NetworkInputs): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(isShaped(x) ? x.shape : [x.rows, x.cols]));
  h.update(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
  return h.digest('hex');
}

/**
 * Identity of a kernel on disk: everything that decides its bits (network, kernel, dtype, inputs, tile grid, and a
 * tile source's own settings: `extra`, absent for the analytic kernel, whose identities are as before).
 */
export function kernelIdentity(
  spec: NetworkSpec,
  x1: NetworkInputs,
  x2: NetworkInputs | undefined,
  get: string,
  dtype: string,
  tileRows: number,
  extra?: Record<string, string | number | boolean>,
): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ spec: specToJson(spec), get, dtype, tileRows, symmetric: x2 === undefined }));
  h.update(inputsHash(x1));
  if (x2 !== undefined) h.update(inputsHash(x2));
  if (extra !== undefined) h.update(JSON.stringify(Object.entries(extra).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return h.digest('hex').slice(0, 32);
}

/** The first line of a journal. */
interface JournalHead {
  tool: 'ntk-l2';
  kind: 'kernel-journal';
  kernelId: string;
  rows: [number, number];
  cols: number;
  dtype: 'float64' | 'float32';
  tileRows: number;
}

/** The journal's head and finished tiles (by first row), or null when it is not ntk's. Only complete lines count. */
function readJournal(path: string): { head: JournalHead; done: Set<number> } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw ioError(e, 'read', path);
  }
  const lines = text.split('\n');
  lines.pop(); // the part after the last newline is incomplete (or empty)
  if (lines.length === 0) return null;
  let head: JournalHead;
  try {
    head = JSON.parse(lines[0]) as JournalHead;
  } catch {
    return null;
  }
  if (head?.tool !== 'ntk-l2' || head.kind !== 'kernel-journal') return null;
  const done = new Set<number>();
  for (const line of lines.slice(1)) {
    try {
      const r0 = (JSON.parse(line) as { r0?: unknown }).r0;
      if (typeof r0 === 'number') done.add(r0);
    } catch {
      /* a damaged line: its tile is recomputed */
    }
  }
  return { head, done };
}

function sameHead(a: JournalHead, b: JournalHead): boolean {
  return a.kernelId === b.kernelId && a.rows[0] === b.rows[0] && a.rows[1] === b.rows[1] && a.cols === b.cols && a.dtype === b.dtype && a.tileRows === b.tileRows;
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'write', path);
  }
}

function writeAllAt(fd: number, bytes: Uint8Array, position: number): void {
  const CHUNK = 1 << 30;
  for (let off = 0; off < bytes.length; ) {
    const n = writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off), position + off);
    if (n <= 0) throw new Error(`short write (${off} of ${bytes.length} bytes)`);
    off += n;
  }
}

/** Free bytes of the file system holding `dir`, or Infinity when it cannot be asked. */
function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

/**
 * Writes the kernel (rows of X1 × rows of X2, or X1 × X1 without `x2`) to `target` out of core (see the module
 * comment); with `opts.part`, only that part's rows, as a [rows of the part, N2] .npy. `target`'s folder must exist.
 * Inputs stay in memory (N·d floats); the kernel never does (one tile of `tileRows` rows at a time).
 */
export async function writeKernelOutOfCore(spec: NetworkSpec, x1: NetworkInputs, x2: NetworkInputs | undefined, target: string, opts: OutOfCoreOptions = {}): Promise<OutOfCoreSummary> {
  const get = opts.get ?? 'ntk';
  const dtype = opts.dtype ?? 'float64';
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const other = x2 ?? x1;
  const n1 = pointsOf(x1);
  const n2 = pointsOf(other);
  if (n1 === 0 || n2 === 0) throw new InputError(`the inputs are empty (${n1}×${n2} kernel)`);
  let tileRows: number;
  if (opts.tileRows !== undefined) {
    if (!Number.isInteger(opts.tileRows) || opts.tileRows < 1) throw new InputError(`--tile-rows must be a positive integer, got ${opts.tileRows}`);
    tileRows = Math.min(opts.tileRows, n1);
  } else if (opts.tiles) {
    const src = opts.tiles;
    tileRows = rowsWithin(n1, n2, opts.tileMemoryBytes ?? DEFAULT_TILE_MEMORY, (rows) => src.memoryBytes(rows, n2) + (dtype === 'float32' ? 4 * rows * n2 : 0));
  } else {
    tileRows = tileRowsFor(spec, other, n1, get, dtype, opts.tileMemoryBytes ?? DEFAULT_TILE_MEMORY, threads);
  }
  const plan = planRows(n1, tileRows, opts.part);
  const kernelId = kernelIdentity(spec, x1, x2, get, dtype, tileRows, opts.tiles?.identity);
  const itemSize = dtype === 'float64' ? 8 : 4;
  const rowsHere = plan.r1 - plan.r0;
  const header = npyHeaderBytes([rowsHere, n2], dtype);
  const rowBytes = n2 * itemSize;
  const fileBytes = header.length + rowsHere * rowBytes;
  const head: JournalHead = { tool: 'ntk-l2', kind: 'kernel-journal', kernelId, rows: [plan.r0, plan.r1], cols: n2, dtype, tileRows };
  const { partial, journal } = partialPaths(target);

  // Resume, start over, or refuse.
  let done = new Set<number>();
  const journalExists = existsSync(journal);
  const partialExists = existsSync(partial);
  if (journalExists) {
    const j = readJournal(journal);
    if (!j) throw new InputError(`${quote(journal)} is not an ntk journal; ntk never overwrites files it did not create: move it away`);
    const sizeOk = partialExists && lstatSync(partial).isFile() && lstatSync(partial).size === fileBytes;
    if (sameHead(j.head, head) && sizeOk) done = j.done;
    else if (!sameHead(j.head, head) && !opts.force) {
      throw new InputError(`an unfinished out-of-core run of a different kernel (or tile grid) left ${quote(partial)}; rerun that command to finish it, or pass --force to start over`);
    } else {
      removeIfPresent(partial);
      removeIfPresent(journal);
    }
  } else if (partialExists) {
    throw new InputError(`${quote(partial)} exists without its journal; ntk cannot tell what it holds: remove it to start over`);
  }

  let fd: number | undefined;
  try {
    if (!existsSync(journal)) {
      const need = fileBytes;
      const free = freeBytes(dirname(target));
      if (need > free) throw new InputError(`the ${rowsHere}×${n2} ${dtype} kernel needs ${formatBytes(need)} of disk, but ${quote(dirname(target))} has ${formatBytes(free)} free`);
      appendLine(journal, JSON.stringify(head) + '\n');
      fd = openSync(partial, 'wx', 0o666);
      writeAllAt(fd, header, 0);
      ftruncateSync(fd, fileBytes); // the final size at once: sparse until the tiles arrive
      fdatasyncSync(fd);
    } else {
      fd = openSync(partial, 'r+');
      if (fstatSync(fd).size !== fileBytes) throw new Error('internal: partial file changed size');
    }
    // flat inputs: one engine whose buffers serve every tile; images: the in-memory engine per tile
    const engine = opts.tiles || isShaped(x1) || (x2 !== undefined && isShaped(x2)) ? null : flatTileEngine(spec, x1 as Mat, x2 as Mat | undefined, get, tileRows, { threads, linalg: opts.linalg });
    const f32 = dtype === 'float32' ? new Float32Array(Math.min(tileRows, rowsHere) * n2) : null;
    let rowsDone = 0;
    let resumed = 0;
    for (const [r0] of plan.tiles) if (done.has(r0)) rowsDone += Math.min(n1, r0 + tileRows) - r0;
    opts.onProgress?.(rowsDone, rowsHere);
    for (let t = 0; t < plan.tiles.length; t++) {
      const [r0, r1] = plan.tiles[t];
      if (done.has(r0)) {
        resumed++;
        opts.onTile?.({ tile: t, tiles: plan.tiles.length, r0, r1, resumed: true });
        continue;
      }
      const block = opts.tiles ? await opts.tiles.tile(r0, r1) : engine ? await engine.tile(r0, r1) : await kernelTile(spec, x1, x2, r0, r1, get, threads, opts.linalg);
      if (block.length !== (r1 - r0) * n2) throw new Error(`internal: tile ${r0}–${r1} has ${block.length} entries, not ${(r1 - r0) * n2}`);
      let bytes: Uint8Array;
      if (f32) {
        const narrow = f32.subarray(0, block.length);
        narrow.set(block);
        bytes = new Uint8Array(narrow.buffer, narrow.byteOffset, narrow.byteLength);
      } else {
        bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
      }
      writeAllAt(fd, bytes, header.length + (r0 - plan.r0) * rowBytes);
      fdatasyncSync(fd);
      appendLine(journal, JSON.stringify({ r0, r1 }) + '\n');
      rowsDone += r1 - r0;
      opts.onProgress?.(rowsDone, rowsHere);
      opts.onTile?.({ tile: t, tiles: plan.tiles.length, r0, r1, resumed: false });
    }
    closeSync(fd);
    fd = undefined;
    renameSync(partial, target);
    removeIfPresent(journal);
    return { shape: [rowsHere, n2], rows: [plan.r0, plan.r1], fullShape: [n1, n2], dtype, tileRows, tiles: plan.tiles.length, resumedTiles: resumed, kernelId };
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    throw ioError(e, 'write', target);
  }
}

/**
 * Rows [r0, r1) of the kernel as a float64 (r1−r0)×N2 array (the image path; flat inputs use src/kernels/outOfCoreTiles.ts): the in-memory engine on that block of X1 against X2
 * (against all of X1 when x2 is undefined, with the diagonal entries replaced by the self parts).
 */
export async function kernelTile(
  spec: NetworkSpec,
  x1: NetworkInputs,
  x2: NetworkInputs | undefined,
  r0: number,
  r1: number,
  get: 'ntk' | 'nngp',
  threads: number,
  linalg?: Linalg,
): Promise<Float64Array> {
  const block = sliceInputs(x1, r0, r1);
  const res = await analyticKernel(spec, block, x2 ?? x1, { get, threads, maxMemoryBytes: Number.MAX_SAFE_INTEGER, ...(linalg ? { linalg } : {}) });
  const k = (get === 'ntk' ? res.ntk : res.nngp)!;
  if (x2 === undefined) {
    const diag = kernelDiagonal(spec, block, { maxMemoryBytes: Number.MAX_SAFE_INTEGER });
    const d = get === 'ntk' ? diag.ntk : diag.nngp;
    const n2 = k.cols;
    for (let i = 0; i < r1 - r0; i++) k.data[i * n2 + r0 + i] = d[i];
  }
  return k.data;
}

/** A manifest beside a part file (`ntk kernel --tile i/n`): what `ntk kernel-merge` needs to put the parts together. */
export interface PartManifest {
  tool: 'ntk-l2';
  kind: 'kernel-part';
  /** The part file's name (in the manifest's folder). */
  file: string;
  /** 0-based part index and the number of parts. */
  index: number;
  count: number;
  /** Rows [r0, r1) of the full kernel that the part holds. */
  rows: [number, number];
  fullShape: [number, number];
  dtype: 'float64' | 'float32';
  tileRows: number;
  kernel: 'ntk' | 'nngp';
  kernelId: string;
}

/** Names of part `index` of `count` of the kernel that will be merged into `target` (K.npy → K.part1of4.npy, K.part1of4.json). */
export function partPaths(target: string, index: number, count: number): { npy: string; manifest: string } {
  const stem = target.replace(/\.npy$/i, '');
  return { npy: `${stem}.part${index}of${count}.npy`, manifest: `${stem}.part${index}of${count}.json` };
}

/** Writes a part's manifest atomically (its presence says the part is complete). */
export function writePartManifest(path: string, m: PartManifest): void {
  writeFileAtomic(path, JSON.stringify(m, null, 2) + '\n');
}
