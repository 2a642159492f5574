import { readFileSync, statSync, type Stats } from 'node:fs';
import { quote } from '../util/errors.js';
import { MAX_SPEC_CHARS } from './limits.js';
import { SpecError } from './specError.js';

/**
 * The text of an architecture file, or a one-line SpecError: a missing or unreadable path, a folder or device
 * (never read: /dev/zero would not end), an empty or oversized file, and binary content (NUL bytes, invalid
 * UTF-8), which is shown as a short escaped excerpt, never as raw bytes on the terminal. A UTF-8 BOM is dropped.
 */
export function readSpecFile(path: string): string {
  const shown = `architecture file ${quote(path, 80)}`;
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException | null)?.code === 'ENOENT') throw new SpecError(`architecture file not found: ${quote(path, 80)}`);
    throw new SpecError(`${shown}: ${fsReason(e)}`);
  }
  if (stats.isDirectory()) throw new SpecError(`${shown} is a folder: give a .json file, a JSON string or the one-line form`);
  if (!stats.isFile()) throw new SpecError(`${shown} is not a regular file`);
  if (stats.size > MAX_SPEC_CHARS) throw new SpecError(`${shown} is ${stats.size} bytes; an architecture file is at most ${MAX_SPEC_CHARS}`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SpecError(`${shown}: ${fsReason(e)}`);
  }
  // The first bytes, decoded (bad bytes become \ufffd) and escaped: a hint at what the file is, never raw bytes.
  const excerpt = (): string => quote(bytes.subarray(0, 24).toString('utf8'), 24) + (bytes.length > 24 ? '…' : '');
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new SpecError(`${shown} is not a text file (a NUL byte at byte ${nul}; it starts ${excerpt()})`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SpecError(`${shown} is not UTF-8 text (it starts ${excerpt()})`);
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  if (text.trim() === '') throw new SpecError(`${shown} is empty`);
  return text;
}

/** A short reason for a failed file system call, from its code (the Node message repeats the whole path). */
function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'not found (it went away while being read)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'EISDIR':
      return 'is a folder';
    default:
      return `cannot read it (${code ?? 'unknown error'})`;
  }
}
