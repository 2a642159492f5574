import { accessSync, closeSync, constants, openSync, readSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import { InputError, quote } from '../util/errors.js';
import { ioError, writeFileAtomic } from './atomic.js';
import { encodeNpy, type NdArrayLike } from './npy.js';
import { processAlive } from '../util/processAlive.js';

/**
 * Every folder ntk creates carries this file. It is how ntk tells its own folders from the user's: a folder
 * without it is never written into once it has content, and never replaced or cleaned, whatever the flags.
 */
export const OUTPUT_MARKER = '.ntk-output';

/** What the marker says: who made the folder, for which command, and (for folders written whole) which files. */
export interface OutputMarker {
  tool: 'ntk-l2';
  /** The kind of folder ("flow", "scan", "run", "sweep", "figures", …): one kind is never reused as another. */
  kind: string;
  /** Folders written whole: the files ntk put there (what `--force` may remove). Absent for growing folders. */
  files?: string[];
}

/** One file of a folder written whole: text, or an array written as .npy. */
export type OutputFile = string | { npy: NdArrayLike };

function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/**
 * Resolves an output path given by the user and refuses the places no output may go: an empty path, the
 * current folder or one that contains it, the home folder or one that contains it, the file-system root, a
 * symbolic link, a path below an existing file, and a place the user cannot write to.
 */
export function resolveOutputPath(path: string, flag = '--out'): string {
  if (typeof path !== 'string' || path.trim() === '') throw new InputError(`${flag} must name a new or ntk-made folder or file, got ${quote(path ?? '')}`);
  if (path.includes('\0')) throw new InputError(`${flag} ${quote(path)} contains a NUL byte`);
  const target = resolve(path);
  const cwd = process.cwd();
  if (isWithin(cwd, target)) throw new InputError(`${flag} ${quote(path)} is the current folder or contains it; name a folder of its own (e.g. ${flag} results)`);
  const home = homedir();
  if (home && isWithin(home, target)) throw new InputError(`${flag} ${quote(path)} is the home folder or contains it; name a folder of its own`);
  if (target === parse(target).root) throw new InputError(`${flag} ${quote(path)} is the file-system root`);
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw ioError(e, 'write', path);
  }
  if (st?.isSymbolicLink()) throw new InputError(`${flag} ${quote(path)} is a symbolic link; give the real path`);
  // the nearest existing ancestor must be a folder we can write to
  let up = st ? (st.isDirectory() ? target : dirname(target)) : dirname(target);
  for (;;) {
    let ust: ReturnType<typeof lstatSync> | undefined;
    try {
      ust = lstatSync(up);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw ioError(e, 'write', path);
    }
    if (ust) {
      if (!ust.isDirectory() && !ust.isSymbolicLink()) throw new InputError(`${flag} ${quote(path)}: ${quote(up)} is a file, not a folder`);
      try {
        accessSync(up, constants.W_OK | constants.X_OK);
      } catch (e) {
        throw ioError(e, 'write', up);
      }
      return target;
    }
    const parent = dirname(up);
    if (parent === up) return target;
    up = parent;
  }
}

/** The marker of `dir`, or null when it has none (or it is not ntk's). */
export function readOutputMarker(dir: string): OutputMarker | null {
  const file = join(dir, OUTPUT_MARKER);
  if (!existsSync(file)) return null;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Partial<OutputMarker>;
    if (m?.tool !== 'ntk-l2' || typeof m.kind !== 'string') return null;
    if (m.files !== undefined && !(Array.isArray(m.files) && m.files.every((f) => typeof f === 'string' && !f.includes('/') && !f.includes('\\') && f !== '..' && f !== '.'))) return null;
    return m as OutputMarker;
  } catch {
    return null;
  }
}

function markerText(kind: string, files?: string[]): string {
  const m: OutputMarker = { tool: 'ntk-l2', kind, ...(files ? { files } : {}) };
  return JSON.stringify(m) + '\n';
}

function entriesOf(dir: string, path: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw ioError(e, 'read', path);
  }
}

/**
 * Folders written whole (flow, scan): validates `dir` before any work. It may be missing or empty; an
 * ntk-made folder of the same kind is replaced only with `force`, and only when it holds nothing but the
 * files ntk wrote there. Returns the resolved path.
 */
export function checkOutputDir(dir: string, kind: string, force = false, flag = '--out'): string {
  const target = resolveOutputPath(dir, flag);
  if (!existsSync(target)) return target;
  if (!lstatSync(target).isDirectory()) throw new InputError(`${flag} ${quote(dir)} exists and is a file; name a folder`);
  const entries = entriesOf(target, dir);
  if (entries.length === 0) return target;
  const marker = readOutputMarker(target);
  if (!marker) throw new InputError(`${flag} ${quote(dir)} is a folder ntk did not create and it is not empty; ntk never writes into or replaces such a folder (choose a new --out)`);
  if (marker.kind !== kind || !marker.files) throw new InputError(`${flag} ${quote(dir)} holds the output of ntk ${marker.kind}, not ${kind}; choose another ${flag}`);
  if (!force) throw new InputError(`${flag} ${quote(dir)} holds an earlier ntk ${kind} result; pass --force to replace it, or choose another ${flag}`);
  const own = new Set([...marker.files, OUTPUT_MARKER]);
  const foreign = entries.find((e) => !own.has(e));
  if (foreign !== undefined) throw new InputError(`${flag} ${quote(dir)} holds ${quote(foreign)}, which ntk did not write there; --force replaces only ntk's own files: move it away first`);
  return target;
}

/**
 * Writes a results folder all at once: the files (and the marker) go to a hidden temporary folder beside
 * `dir`, which is renamed into place only when every file is written, so a failed or killed run leaves no
 * partial folder; the folder it replaces (see checkOutputDir) is removed only after that.
 */
export function writeOutputDir(dir: string, kind: string, files: Record<string, OutputFile>, opts: { force?: boolean; flag?: string } = {}): void {
  const target = checkOutputDir(dir, kind, opts.force, opts.flag);
  const parent = dirname(target);
  let tmp: string | undefined;
  try {
    mkdirSync(parent, { recursive: true });
    tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
    for (const [name, content] of Object.entries(files)) {
      writeFileAtomic(join(tmp, name), typeof content === 'string' ? content : encodeNpy(content.npy));
    }
    writeFileAtomic(join(tmp, OUTPUT_MARKER), markerText(kind, Object.keys(files)));
    if (existsSync(target)) {
      if (entriesOf(target, dir).length === 0) rmdirSync(target);
      else {
        const old = mkdtempSync(join(parent, `.${basename(target)}.old-`));
        renameSync(target, join(old, 'previous'));
        renameSync(tmp, target);
        tmp = undefined;
        rmSync(old, { recursive: true, force: true }); // holds only what checkOutputDir found to be ntk's own files
        return;
      }
    }
    renameSync(tmp, target);
    tmp = undefined;
  } catch (e) {
    throw ioError(e, 'write', dir);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The temporary file of the marker's atomic write (writeFileAtomic: ".NAME.PID.HEX.tmp"). A process killed between
 * creating a folder and renaming the marker into it leaves this file alone in the folder; the folder is still
 * ntk's, about to be marked, and is opened (and marked) again rather than refused as foreign.
 */
const MARKER_TMP = new RegExp(`^\\.${OUTPUT_MARKER.replace(/\./g, '\\.')}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);


/**
 * Folders that grow (a training run, a sweep, the figures): validates `dir` without creating it. It may be
 * missing, empty (but for a leftover temporary file of its marker: see MARKER_TMP), or an ntk-made folder of the
 * same kind (to resume or add to). Returns the resolved path.
 */
export function checkWorkDir(dir: string, kind: string, flag = '--out'): string {
  const target = resolveOutputPath(dir, flag);
  if (!existsSync(target)) return target;
  if (!lstatSync(target).isDirectory()) throw new InputError(`${flag} ${quote(dir)} exists and is a file; name a folder`);
  const marker = readOutputMarker(target);
  if (marker) {
    if (marker.kind !== kind) throw new InputError(`${flag} ${quote(dir)} is an ntk ${marker.kind} folder, not a ${kind} folder; choose another ${flag}`);
    return target;
  }
  if (entriesOf(target, dir).some((e) => !MARKER_TMP.test(e))) throw new InputError(`${flag} ${quote(dir)} is a folder ntk did not create and it is not empty; ntk never writes into such a folder (choose a new ${flag})`);
  return target;
}

/**
 * checkWorkDir, then creates the folder (and marks it as ntk's) if needed; a temporary marker file left by a
 * killed process (MARKER_TMP, whose process is gone) is removed once the marker is written. Returns the resolved path.
 */
export function openWorkDir(dir: string, kind: string, flag = '--out'): string {
  const target = checkWorkDir(dir, kind, flag);
  try {
    mkdirSync(target, { recursive: true });
    if (!readOutputMarker(target)) {
      writeFileAtomic(join(target, OUTPUT_MARKER), markerText(kind));
      for (const e of readdirSync(target)) {
        const m = MARKER_TMP.exec(e);
        if (m && !processAlive(Number(m[1]))) rmSync(join(target, e), { force: true });
      }
    }
  } catch (e) {
    throw ioError(e, 'write', dir);
  }
  return target;
}

/**
 * A single output file (e.g. `ntk kernel --out K.npy`): validates it before any work. An existing file is
 * replaced only with `force`, and only when it is an .npy file (ntk writes nothing else there); a folder is
 * never replaced. Returns the resolved path.
 */
export function checkOutputFile(path: string, opts: { force?: boolean; flag?: string; npy?: boolean } = {}): string {
  const flag = opts.flag ?? '--out';
  const target = resolveOutputPath(path, flag);
  if (!existsSync(target)) return target;
  const st = lstatSync(target);
  if (st.isDirectory()) throw new InputError(`${flag} ${quote(path)} is a folder; name a file`);
  if (!st.isFile()) throw new InputError(`${flag} ${quote(path)} exists and is not a regular file`);
  if (!opts.force) throw new InputError(`${flag} ${quote(path)} exists; pass --force to replace it, or choose another ${flag}`);
  if (opts.npy !== false && !isNpyFile(target)) throw new InputError(`${flag} ${quote(path)} exists and is not an .npy file; ntk replaces only .npy files it could have written`);
  return target;
}

function isNpyFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(6);
    return readSync(fd, head, 0, 6, 0) === 6 && head[0] === 0x93 && head.subarray(1).toString('latin1') === 'NUMPY';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Creates the parent folders of an output file checked by checkOutputFile. */
export function makeParentDir(target: string, path: string): void {
  try {
    mkdirSync(dirname(target), { recursive: true });
  } catch (e) {
    throw ioError(e, 'write', path);
  }
}
