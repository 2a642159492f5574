import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, quote } from '../util/errors.js';

/** errno codes that mean "the user pointed us at a bad place", not a bug in ntk-l2. */
const USER_FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EIO: 'input/output error (the disk or the file system failed)',
  EFBIG: 'file too large',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links',
};

/**
 * Turns a Node fs error into a one-line InputError (`cannot read "x.npy": no such file or directory`) when
 * its code says the path or the disk is at fault; any other error is returned unchanged.
 */
export function ioError(e: unknown, verb: 'read' | 'write', path: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && code in USER_FS_ERRORS) return new InputError(`cannot ${verb} "${path}": ${USER_FS_ERRORS[code]}`);
  return e;
}

/**
 * One line for a file-system error that carries its own path (a Node errno error such as ENOSPC or EISDIR
 * raised where no caller wrapped it): `cannot access "PATH": no space left on device`; null for any other error.
 */
export function describeFsError(e: unknown): string | null {
  const err = e as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const code = err?.code;
  if (!code || !(code in USER_FS_ERRORS)) return null;
  const path = err.path ?? err.dest;
  return path ? `cannot access ${quote(path, 120)}: ${USER_FS_ERRORS[code]}` : `file-system error: ${USER_FS_ERRORS[code]}`;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  const CHUNK = 1 << 30; // writeSync takes at most 2 GiB − 1 per call
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
    if (n <= 0) throw new Error(`short write (${off} of ${bytes.length} bytes)`);
    off += n;
  }
}

/**
 * Writes `content` to `path` atomically: the bytes go to a temporary file in the same directory, which is
 * fsync'ed and then renamed over `path`, so readers see either the old file or the complete new one, never a
 * partial write. On failure the temporary file is removed and `path` is left untouched. `content` may be a
 * string (written as UTF-8), bytes, or a list of byte chunks written back to back (no concatenation copy).
 * Errors caused by the path or the disk (missing directory, permission, disk full) are thrown as InputError.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array | readonly Uint8Array[]): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const chunks: readonly Uint8Array[] =
    typeof content === 'string' ? [Buffer.from(content, 'utf8')] : content instanceof Uint8Array ? [content] : content;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o666);
    for (const c of chunks) writeAll(fd, c);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* the temp file may never have been created */
    }
    throw ioError(e, 'write', path);
  }
  syncDir(dir);
}

/** Best effort: make the rename itself durable. Not supported everywhere (e.g. Windows), so errors are ignored. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* ignore */
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* ignore */
      }
    }
  }
}
