/**
 * A kernel on disk opened for streaming, whatever form `ntk kernel` left it in: one .npy file (merged, or written in
 * one process), the unmerged parts of `--tile i/n` beside a target name (K.npy → K.part<i>of<n>.npy), or a folder
 * holding the parts of one kernel. The matrix is never loaded whole: see {@link RowBlockSource}.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openNpyRowBlocks } from '../io/npyRowBlocks.js';
import type { RowBlockSource } from '../linalg/rowBlocks.js';
import { InputError, quote } from '../util/errors.js';
import { findParts, openKernelParts } from './outOfCoreMerge.js';

/** An opened on-disk kernel. */
export interface KernelSource {
  /** The rows, streamed (blocks are float64 whatever the stored dtype). */
  source: RowBlockSource;
  /** The stored dtype. */
  dtype: 'float64' | 'float32';
  /** Bytes held by the read buffers (float64 block, float32 staging, one per part file). */
  bufferBytes: number;
  /** What was opened, for results files: the file, or the parts and their number. */
  description: string;
}

/** Read buffer of one source: 64 MiB, as openNpyRowBlocks and openKernelParts default to. */
const BUFFER = 64 * 2 ** 20;

/**
 * Opens the kernel at `path` (see the module comment). A missing file without parts, a folder without parts or with
 * the parts of several kernels, or a file that is not a 2-D float .npy is a one-line InputError.
 * @param path - K.npy, a target whose parts lie beside it, or a folder of parts
 * @param name - names the kernel in messages, e.g. "the train kernel (--kernel)"
 */
export function openKernelSource(path: string, name: string): KernelSource {
  if (path === '') throw new InputError(`${name}: the path is empty`);
  let target = path;
  if (existsSync(path) && statSync(path).isDirectory()) {
    const stems = new Set<string>();
    for (const f of readdirSync(path)) {
      const m = /^(.*)\.part\d+of\d+\.json$/.exec(f);
      if (m) stems.add(m[1]);
    }
    if (stems.size === 0) throw new InputError(`${name}: the folder ${quote(path)} holds no kernel parts (K.part<i>of<n>.json and .npy, written by ntk kernel --tile i/n)`);
    if (stems.size > 1) throw new InputError(`${name}: the folder ${quote(path)} holds the parts of ${stems.size} kernels (${[...stems].sort().join(', ')}); name one, e.g. ${quote(join(path, [...stems].sort()[0] + '.npy'))}`);
    target = join(path, [...stems][0] + '.npy');
  } else if (existsSync(path)) {
    const src = openNpyRowBlocks(path, { name, maxBufferBytes: BUFFER });
    const bufferBytes = src.maxBlockRows * src.cols * (8 + (src.dtype === 'float32' ? 4 : 0));
    return { source: src, dtype: src.dtype, bufferBytes, description: `${path} (${src.dtype}, ${src.rows}×${src.cols})` };
  }
  let parts;
  try {
    parts = findParts(target);
  } catch (e) {
    if (target === path && e instanceof InputError && /^no parts of/.test(e.message)) {
      throw new InputError(`${name}: cannot read ${quote(path)}: no such file, and no parts of it (K.part<i>of<n>.npy) beside it`);
    }
    throw e instanceof InputError ? new InputError(`${name}: ${e.message}`) : e;
  }
  const source = openKernelParts(target);
  const dtype = parts[0].dtype;
  const perPart = source.maxBlockRows * source.cols * (8 + (dtype === 'float32' ? 4 : 0));
  return {
    source,
    dtype,
    bufferBytes: source.maxBlockRows * source.cols * 8 + parts.length * perPart,
    description: `${parts.length} unmerged parts of ${target} (${dtype}, ${source.rows}×${source.cols})`,
  };
}
