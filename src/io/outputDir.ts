import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';
import { encodeNpy, type NdArrayLike } from './npy.js';

export type OutputFile = string | { npy: NdArrayLike };

/**
 * Writes a results folder all at once: the files go to a hidden temporary folder next to `dir`, which is
 * renamed to `dir` only when every file is written, so a failed or killed run leaves no partial folder.
 * An existing non-empty `dir` is replaced only with `force`.
 */
export function writeOutputDir(dir: string, files: Record<string, OutputFile>, opts: { force?: boolean } = {}): void {
  checkOutputDir(dir, opts.force);
  const target = resolve(dir);
  const parent = dirname(target);
  if (!existsSync(parent)) mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(tmp, name);
      if (typeof content === 'string') writeFileAtomic(path, content);
      else writeFileAtomic(path, encodeNpy(content.npy));
    }
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Refuses early (before any long computation) when `dir` would be refused by writeOutputDir. */
export function checkOutputDir(dir: string, force = false): void {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0 && !force) {
    throw new InputError(`output folder "${dir}" exists and is not empty; choose another --out or pass --force to replace it`);
  }
}
