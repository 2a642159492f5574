/**
 * `ntk kernel` out of core (--out-of-core, --tile-rows, --tile-memory, --dtype, --tile i/n): the kernel written to
 * disk one row tile at a time (src/kernels/outOfCoreKernel.ts), resumable, and with --tile i/n one part of a kernel
 * split over independent jobs, merged by `ntk kernel-merge` (src/cli/kernelMerge.ts).
 */
import type { NetworkInputs } from '../data/inputs.js';
import { makeParentDir, checkOutputFile } from '../io/outputPath.js';
import { parseBytes } from '../kernels/memory.js';
import { partPaths, writeKernelOutOfCore, writePartManifest, type PartManifest, type TileSource } from '../kernels/outOfCoreKernel.js';
import type { NetworkSpec } from '../layers/types.js';
import type { Linalg } from '../linalg/types.js';
import { InputError, quote } from '../util/errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { progressBar } from './progress.js';

/** The out-of-core options of `ntk kernel`, as given on the command line. */
export interface OutOfCoreCliOptions {
  outOfCore?: boolean;
  tileRows?: string;
  tileMemory?: string;
  dtype?: string;
  tile?: string;
}

/** Whether any out-of-core option was given. */
export function wantsOutOfCore(o: OutOfCoreCliOptions): boolean {
  return o.outOfCore === true || o.tileRows !== undefined || o.tileMemory !== undefined || o.dtype !== undefined || o.tile !== undefined;
}

/** Parses `--tile i/n` (0 ≤ i < n). */
export function parseTileArg(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new InputError(`--tile must be i/n (part i of n, 0 ≤ i < n), e.g. --tile 0/4, got ${quote(text)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new InputError(`--tile must be i/n with 0 ≤ i < n, got ${quote(text)}`);
  return { index, count };
}

/** Checks the out-of-core options before any input is read; returns them parsed. */
export function checkOutOfCoreOptions(o: OutOfCoreCliOptions): { dtype: 'float64' | 'float32'; tileRows?: number; tileMemoryBytes?: number; part?: { index: number; count: number } } {
  const dtype = o.dtype ?? 'float64';
  if (dtype !== 'float64' && dtype !== 'float32') throw new InputError(`--dtype must be float64 or float32, got ${quote(dtype)}`);
  let tileRows: number | undefined;
  if (o.tileRows !== undefined) {
    tileRows = Number(o.tileRows);
    if (!/^\s*\d+\s*$/.test(o.tileRows) || !Number.isSafeInteger(tileRows) || tileRows < 1) throw new InputError(`--tile-rows must be a positive integer, got ${quote(o.tileRows)}`);
  }
  let tileMemoryBytes: number | undefined;
  if (o.tileMemory !== undefined) {
    if (tileRows !== undefined) throw new InputError('give --tile-rows or --tile-memory, not both');
    tileMemoryBytes = parseBytes(o.tileMemory);
    if (tileMemoryBytes <= 0) throw new InputError(`--tile-memory must be positive, got ${quote(o.tileMemory)}`);
  }
  const part = o.tile === undefined ? undefined : parseTileArg(o.tile);
  return { dtype, tileRows, tileMemoryBytes, part };
}

/**
 * Runs `ntk kernel` out of core: the whole kernel to `out`, or with --tile i/n part i to OUT-stem.part<i>of<n>.npy
 * with its manifest. Prints one JSON line on stdout; per-tile lines on stderr when it is not a terminal (batch logs).
 */
export async function kernelOutOfCore(
  o: OutOfCoreCliOptions & { out: string; get: string; force?: boolean; quiet?: boolean },
  spec: NetworkSpec,
  x1: NetworkInputs,
  x2: NetworkInputs | undefined,
  threads: number | undefined,
  linalg: Linalg,
  started: number,
  custom?: { source: TileSource; describe: Record<string, string | number | boolean> },
): Promise<void> {
  const parsed = checkOutOfCoreOptions(o);
  const get = o.get as 'ntk' | 'nngp';
  const finalPath = checkOutputFile(o.out, { force: o.force });
  let target = finalPath;
  let manifestPath: string | undefined;
  if (parsed.part) {
    const p = partPaths(finalPath, parsed.part.index, parsed.part.count);
    manifestPath = p.manifest;
    target = p.npy;
    const m = existsSync(p.manifest) && existsSync(p.npy) && !o.force ? readPartManifest(p.manifest) : null;
    if (m) {
      // a finished part: rerunning it (a requeued array task) does nothing
      process.stdout.write(JSON.stringify({ out: p.npy, manifest: p.manifest, kernel: m.kernel, rows: m.rows, fullShape: m.fullShape, dtype: m.dtype, alreadyComplete: true }) + '\n');
      return;
    }
    checkOutputFile(p.npy, { force: o.force, flag: '--out (part file)' });
  }
  makeParentDir(target, o.out);
  const bar = progressBar(`${get.toUpperCase()} rows to disk`, o.quiet);
  const log = !o.quiet && !process.stderr.isTTY;
  try {
    const s = await writeKernelOutOfCore(spec, x1, x2, target, {
      get,
      dtype: parsed.dtype,
      tileRows: parsed.tileRows,
      tileMemoryBytes: parsed.tileMemoryBytes,
      part: parsed.part,
      threads,
      linalg,
      force: o.force,
      tiles: custom?.source,
      onProgress: bar.update,
      onTile: log
        ? ({ tile, tiles, r0, r1, resumed }) =>
            process.stderr.write(`ntk: tile ${tile + 1}/${tiles} (rows ${r0}–${r1 - 1}) ${resumed ? 'already on disk' : 'written'}, ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
        : undefined,
    });
    bar.stop();
    if (manifestPath && parsed.part) {
      writePartManifest(manifestPath, {
        tool: 'ntk-l2',
        kind: 'kernel-part',
        file: basename(target),
        index: parsed.part.index,
        count: parsed.part.count,
        rows: s.rows,
        fullShape: s.fullShape,
        dtype: s.dtype,
        tileRows: s.tileRows,
        kernel: get,
        kernelId: s.kernelId,
      });
    }
    process.stdout.write(
      JSON.stringify({
        out: manifestPath ? target : o.out,
        ...(manifestPath ? { manifest: manifestPath, part: parsed.part, rows: s.rows } : {}),
        kernel: get,
        ...(custom?.describe ?? {}),
        shape: s.shape,
        fullShape: s.fullShape,
        dtype: s.dtype,
        tileRows: s.tileRows,
        tiles: s.tiles,
        resumedTiles: s.resumedTiles,
        kernelId: s.kernelId,
        parameterization: spec.parameterization,
        seconds: (Date.now() - started) / 1000,
      }) + '\n',
    );
  } finally {
    bar.stop();
  }
}

/** A part's manifest if it is ntk's and readable, else null (the part then counts as unfinished). */
function readPartManifest(path: string): PartManifest | null {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as PartManifest;
    return m?.tool === 'ntk-l2' && m.kind === 'kernel-part' ? m : null;
  } catch {
    return null;
  }
}
