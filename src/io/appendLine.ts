import { closeSync, fstatSync, ftruncateSync, openSync, truncateSync, writeSync } from 'node:fs';
import { ioError } from './atomic.js';

/**
 * Appends `text` (one or more complete lines) to `file`, all or nothing. If the write fails part-way (disk
 * full, I/O error, file system turned read-only) the file is cut back to its previous length, so a log never
 * ends in a partial line, and the error is thrown as a one-line InputError naming the file and the cause
 * (see ioError; other errors are rethrown as they are).
 */
export function appendLine(file: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let fd: number | undefined;
  let before = -1;
  try {
    fd = openSync(file, 'a');
    before = fstatSync(fd).size;
    for (let off = 0; off < bytes.length; ) {
      const n = writeSync(fd, bytes, off, bytes.length - off);
      if (n <= 0) throw new Error(`short write to ${file} (${off} of ${bytes.length} bytes)`);
      off += n;
    }
    const open = fd;
    fd = undefined;
    closeSync(open); // a delayed write error (e.g. on NFS) shows up here
  } catch (e) {
    if (before >= 0) cutBack(file, fd, before);
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    throw ioError(e, 'write', file);
  }
}

/** Best effort: restores the length the file had before the append (a reader trusts only complete lines anyway). */
function cutBack(file: string, fd: number | undefined, length: number): void {
  try {
    if (fd !== undefined) ftruncateSync(fd, length);
    else truncateSync(file, length);
  } catch {
    /* the disk refuses even this: the caller's error says what happened */
  }
}
