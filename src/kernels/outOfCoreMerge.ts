/**
 * Merging the parts of a kernel computed as independent jobs (`ntk kernel --tile i/n`, src/kernels/outOfCoreKernel.ts)
 * into one .npy: the manifests are checked (all n parts, one kernel identity and tile grid, rows that cover the kernel
 * in order), then each part's data is copied byte for byte, in bounded chunks, into a temporary file that is renamed
 * into place when complete. The result is the one-process kernel bit for bit, since every tile's bits depend only on
 * its inputs (same machine type and libraries).
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ioError } from '../io/atomic.js';
import { npyHeaderBytes, readBytesAt, readNpyLayout } from '../io/npy.js';
import { InputError, quote } from '../util/errors.js';
import { formatBytes } from './memory.js';
import type { Mat } from '../linalg/matrix.js';
import { checkRowRequest, type RowBlockSource } from '../linalg/rowBlocks.js';
import { openNpyRowBlocks } from '../io/npyRowBlocks.js';
import { partPaths, type PartManifest } from './outOfCoreKernel.js';

/** What {@link mergeKernelParts} wrote. */
export interface MergeSummary {
  shape: [number, number];
  dtype: 'float64' | 'float32';
  parts: number;
  kernelId: string;
  /** Part files removed after the merge (empty with keepParts). */
  removed: string[];
}

/** Copy chunk: 64 MiB. */
const CHUNK = 64 * 2 ** 20;

function readManifest(path: string): PartManifest {
  let m: PartManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as PartManifest;
  } catch (e) {
    const io = ioError(e, 'read', path);
    if (io !== e) throw io;
    throw new InputError(`${quote(path)} is not a readable part manifest (${(e as Error).message})`);
  }
  if (m?.tool !== 'ntk-l2' || m.kind !== 'kernel-part') throw new InputError(`${quote(path)} is not an ntk kernel part manifest`);
  return m;
}

/** The manifests of the parts of `target` (K.npy → K.part<i>of<n>.json beside it), checked to form one whole kernel. */
export function findParts(target: string): PartManifest[] {
  const dir = dirname(target);
  const stem = basename(target).replace(/\.npy$/i, '');
  const re = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.part(\\d+)of(\\d+)\\.json$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw ioError(e, 'read', dir);
  }
  const found = names.filter((n) => re.test(n));
  if (found.length === 0) throw new InputError(`no parts of ${quote(target)} found (expected ${quote(basename(partPaths(target, 0, 4).manifest))} and the like beside it, written by ntk kernel --tile i/n)`);
  const manifests = found.map((n) => readManifest(join(dir, n)));
  const counts = new Set(manifests.map((m) => m.count));
  if (counts.size > 1) throw new InputError(`the parts of ${quote(target)} come from different splits (n = ${[...counts].join(', ')}); keep the parts of one split only`);
  const count = manifests[0].count;
  const byIndex = new Map(manifests.map((m) => [m.index, m]));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) throw new InputError(`${missing.length} of ${count} parts of ${quote(target)} are not finished: --tile ${missing.slice(0, 8).map((i) => `${i}/${count}`).join(', ')}${missing.length > 8 ? ', …' : ''}`);
  const first = byIndex.get(0)!;
  const ordered: PartManifest[] = [];
  let row = 0;
  for (let i = 0; i < count; i++) {
    const m = byIndex.get(i)!;
    if (m.kernelId !== first.kernelId || m.dtype !== first.dtype || m.tileRows !== first.tileRows || m.fullShape[0] !== first.fullShape[0] || m.fullShape[1] !== first.fullShape[1]) {
      throw new InputError(`part ${i}/${count} of ${quote(target)} is of a different kernel (network, inputs, dtype or --tile-rows) than part 0/${count}; rerun it with the same command`);
    }
    if (m.rows[0] !== row) throw new InputError(`part ${i}/${count} of ${quote(target)} starts at row ${m.rows[0]}, expected ${row}`);
    row = m.rows[1];
    ordered.push(m);
  }
  if (row !== first.fullShape[0]) throw new InputError(`the parts of ${quote(target)} end at row ${row}, the kernel has ${first.fullShape[0]}`);
  return ordered;
}

/**
 * Merges the parts of `target` into `target` (which the caller has checked with checkOutputFile). Reads at most
 * one 64 MiB chunk at a time. Removes the part files and manifests afterwards unless `keepParts`.
 */
export function mergeKernelParts(target: string, opts: { keepParts?: boolean; onProgress?: (done: number, total: number) => void } = {}): MergeSummary {
  const parts = findParts(target);
  const dir = dirname(target);
  const [n1, n2] = parts[0].fullShape;
  const dtype = parts[0].dtype;
  const itemSize = dtype === 'float64' ? 8 : 4;
  const header = npyHeaderBytes([n1, n2], dtype);
  const total = header.length + n1 * n2 * itemSize;
  let free = Infinity;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    /* not available: the write fails if the disk is full */
  }
  if (total > free) throw new InputError(`the merged ${n1}×${n2} ${dtype} kernel needs ${formatBytes(total)} of disk, but ${quote(dir)} has ${formatBytes(free)} free`);
  const tmp = join(dir, `.${basename(target)}.ntk-merging-${process.pid}`);
  let out: number | undefined;
  const buf = new Uint8Array(CHUNK);
  try {
    out = openSync(tmp, 'wx', 0o666);
    writeAt(out, header, 0);
    ftruncateSync(out, total);
    let pos = header.length;
    for (const m of parts) {
      const path = join(dir, m.file);
      const fd = openSync(path, 'r');
      try {
        const label = `part ${m.index}/${m.count} (${path})`;
        const layout = readNpyLayout(fd, fstatSync(fd).size, label);
        const rows = m.rows[1] - m.rows[0];
        if (layout.shape.length !== 2 || layout.shape[0] !== rows || layout.shape[1] !== n2 || layout.dtype !== dtype || layout.fortranOrder) {
          throw new InputError(`${label}: shape or dtype does not match its manifest (expected (${rows}, ${n2}) ${dtype})`);
        }
        const bytes = rows * n2 * itemSize;
        for (let off = 0; off < bytes; off += CHUNK) {
          const n = Math.min(CHUNK, bytes - off);
          const view = buf.subarray(0, n);
          readBytesAt(fd, view, layout.dataOffset + off, label);
          writeAt(out, view, pos);
          pos += n;
        }
      } finally {
        closeSync(fd);
      }
      opts.onProgress?.(m.rows[1], n1);
    }
    fdatasyncSync(out);
    closeSync(out);
    out = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (out !== undefined) {
      try {
        closeSync(out);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw ioError(e, 'write', target);
  }
  const removed: string[] = [];
  if (!opts.keepParts) {
    for (const m of parts) {
      const { npy, manifest } = partPaths(target, m.index, m.count);
      for (const f of [npy, manifest]) {
        if (existsSync(f)) {
          unlinkSync(f);
          removed.push(f);
        }
      }
    }
  }
  return { shape: [n1, n2], dtype, parts: parts.length, kernelId: parts[0].kernelId, removed };
}

function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  for (let off = 0; off < bytes.length; ) {
    const n = writeSync(fd, bytes, off, bytes.length - off, position + off);
    if (n <= 0) throw new Error(`short write (${off} of ${bytes.length} bytes)`);
    off += n;
  }
}

/**
 * The parts of `target` read as one matrix, without merging them (no second copy on disk): a {@link RowBlockSource}
 * whose blocks may span parts. Blocks are copies in one buffer of `maxBlockRows` rows (default: 64 MiB of rows),
 * valid until the next read; float32 parts are widened to float64.
 */
export function openKernelParts(target: string, opts: { maxBlockRows?: number } = {}): RowBlockSource {
  const parts = findParts(target);
  const [rows, cols] = parts[0].fullShape;
  const maxBlockRows = Math.max(1, Math.min(rows, opts.maxBlockRows ?? Math.floor(CHUNK / (8 * cols))));
  const dir = dirname(target);
  const sources: RowBlockSource[] = [];
  try {
    for (const m of parts) {
      const src = openNpyRowBlocks(join(dir, m.file), { maxBlockRows, name: `part ${m.index}/${m.count}` });
      if (src.rows !== m.rows[1] - m.rows[0] || src.cols !== cols) throw new InputError(`part ${m.index}/${m.count} of ${quote(target)}: shape does not match its manifest`);
      sources.push(src);
    }
  } catch (e) {
    for (const s of sources) s.close();
    throw e;
  }
  const buf = new Float64Array(maxBlockRows * cols);
  let open = true;
  const self: RowBlockSource = {
    rows,
    cols,
    maxBlockRows,
    readRows(start: number, count: number): Mat {
      if (!open) throw new Error(`parts of ${quote(target)}: the source is closed`);
      checkRowRequest(self, start, count);
      for (let p = 0; p < parts.length; p++) {
        const [p0, p1] = parts[p].rows;
        const a = Math.max(start, p0);
        const b = Math.min(start + count, p1);
        if (a >= b) continue;
        buf.set(sources[p].readRows(a - p0, b - a).data, (a - start) * cols);
      }
      return { rows: count, cols, data: buf.subarray(0, count * cols) };
    },
    close(): void {
      if (!open) return;
      open = false;
      for (const s of sources) s.close();
    },
  };
  return self;
}
