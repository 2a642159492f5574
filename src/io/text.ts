/**
 * Text matrix formats: CSV / whitespace-separated numbers and JSON. Both give a float64 Mat.
 *
 * CSV: values separated by commas (spaces around them allowed) or by whitespace (as np.savetxt writes); blank
 * lines and lines starting with # are skipped; a first row that is not all numbers is taken as a header and
 * skipped; nan / inf / -inf are read as such. Every row must have the same number of values.
 *
 * JSON: a 2-D array of numbers ([[1, 2], [3, 4]]), a 1-D array (read as N×1), or {"data": <one of those>}.
 * JSON has no Inf, so a value that parsed as ±Inf was a literal beyond the float64 range: refused.
 */
import { readFileSync } from 'node:fs';
import type { Mat } from '../linalg/matrix.js';
import { InputError } from '../util/errors.js';
import { ioError } from './atomic.js';

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(nan|inf|infinity)$/i;

function unquote(tok: string): string {
  return tok.length >= 2 && tok[0] === '"' && tok[tok.length - 1] === '"' ? tok.slice(1, -1).trim() : tok;
}

/** The number a CSV token spells, or undefined. Surrounding double quotes are allowed ("1.5"). */
function parseNumber(tok: string): number | undefined {
  tok = unquote(tok);
  if (NUMBER.test(tok)) return Number(tok);
  const m = SPECIAL.exec(tok);
  if (m) return m[2].toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

function tokenize(line: string, comma: boolean): string[] {
  if (!comma) return line.split(/\s+/);
  const toks = line.split(',').map((t) => t.trim());
  if (toks.length > 1 && toks[toks.length - 1] === '') toks.pop(); // tolerate one trailing comma
  return toks;
}

function show(tok: string): string {
  return JSON.stringify(tok.length > 40 ? tok.slice(0, 40) + '…' : tok);
}

/** Parses CSV / whitespace-separated text (see the module comment). `name` prefixes error messages. */
export function parseCsv(text: string, name = 'CSV input'): Mat {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let comma: boolean | undefined; // fixed by the first data row
  let cols = -1;
  let firstDataLine = 0;
  let headerSeen = false;
  let rows = 0;
  let data = new Float64Array(1024);
  let n = 0;
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    lineNo++;
    if (line === '' || line[0] === '#') continue;

    const toks = tokenize(line, comma ?? line.includes(','));
    if (rows === 0 && !headerSeen) {
      const numeric = toks.map((t) => parseNumber(t) !== undefined);
      if (!numeric.some(Boolean)) {
        headerSeen = true; // a first row without a single number is a header
        continue;
      }
      const j = numeric.indexOf(false);
      if (j >= 0) {
        // Numbers and words in one row: a typo in the first data row, not a header (dropping it would lose a point).
        throw new InputError(
          `${name}: line ${lineNo}, field ${j + 1} ${toks[j] === '' ? 'is empty' : `is ${show(toks[j])}, not a number`}; ` +
            'the first row mixes numbers and text (a header row must have no numbers)',
        );
      }
    }
    if (comma === undefined) {
      comma = line.includes(',');
      cols = toks.length;
      firstDataLine = lineNo;
    }
    if (toks.length !== cols) {
      throw new InputError(
        `${name}: line ${lineNo} has ${toks.length} value${toks.length === 1 ? '' : 's'} but line ${firstDataLine} has ${cols}; ` +
          'every row needs the same number of columns',
      );
    }
    if (n + cols > data.length) {
      const grown = new Float64Array(Math.max(2 * data.length, n + cols));
      grown.set(data.subarray(0, n));
      data = grown;
    }
    for (let j = 0; j < cols; j++) {
      const v = parseNumber(toks[j]);
      if (v === undefined) {
        const what = toks[j] === '' ? 'is empty' : `is ${show(toks[j])}, not a number`;
        const hint = toks[j].includes(';') ? ' (separate values with commas or whitespace)' : '';
        throw new InputError(`${name}: line ${lineNo}, field ${j + 1} ${what}${hint}`);
      }
      if (v === Infinity || v === -Infinity) {
        if (!SPECIAL.test(unquote(toks[j]))) throw new InputError(`${name}: line ${lineNo}, field ${j + 1} is ${show(toks[j])}, beyond the float64 range (±1.8e308)`);
      }
      data[n++] = v;
    }
    rows++;
  }
  if (rows === 0) throw new InputError(`${name}: no rows of numbers found`);
  return { rows, cols, data: data.length === n ? data : data.slice(0, n) };
}

/** Parses a JSON matrix (see the module comment). `name` prefixes error messages. */
export function parseJsonMatrix(text: string, name = 'JSON input'): Mat {
  let v: unknown;
  try {
    v = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new InputError(`${name}: invalid JSON (${(e as Error).message})`);
  }
  const expected = 'expected a 2-D array of numbers ([[1, 2], [3, 4]]) or {"data": [[...]]}';
  let where = '';
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    if (!('data' in v)) throw new InputError(`${name}: ${expected}; the object has no "data" field`);
    v = (v as { data: unknown }).data;
    where = 'data';
  }
  if (!Array.isArray(v)) throw new InputError(`${name}: ${expected}, got ${v === null ? 'null' : typeof v}`);
  if (v.length === 0) throw new InputError(`${name}: the array is empty`);
  const at = (i: number, j?: number): string => `${where}[${i}]${j === undefined ? '' : `[${j}]`}`;
  const bad = (x: unknown): string => (typeof x === 'string' ? show(x) : x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x);

  if (!Array.isArray(v[0])) {
    // 1-D: N×1
    const out = new Float64Array(v.length);
    v.forEach((x: unknown, i: number) => {
      if (typeof x !== 'number') throw new InputError(`${name}: ${at(i)} is ${bad(x)}, not a number (${expected})`);
      if (!Number.isFinite(x)) throw new InputError(`${name}: ${at(i)} is beyond the float64 range (±1.8e308)`);
      out[i] = x;
    });
    return { rows: v.length, cols: 1, data: out };
  }
  const rows = v.length;
  const cols = (v[0] as unknown[]).length;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const r: unknown = v[i];
    if (!Array.isArray(r)) throw new InputError(`${name}: ${at(i)} is ${bad(r)}, not a row (${expected})`);
    if (r.length !== cols) {
      throw new InputError(`${name}: ${at(i)} has ${r.length} values but ${at(0)} has ${cols}; every row needs the same number of columns`);
    }
    for (let j = 0; j < cols; j++) {
      const x: unknown = r[j];
      if (typeof x !== 'number') throw new InputError(`${name}: ${at(i, j)} is ${bad(x)}, not a number`);
      if (!Number.isFinite(x)) throw new InputError(`${name}: ${at(i, j)} is beyond the float64 range (±1.8e308)`);
      out[i * cols + j] = x;
    }
  }
  return { rows, cols, data: out };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw ioError(e, 'read', path);
  }
}

/** Reads a CSV / whitespace-separated file. `opts.name` (e.g. "X1") goes in error messages. */
export function readCsv(path: string, opts?: { name?: string }): Mat {
  return parseCsv(readText(path), opts?.name ? `${opts.name} (${path})` : path);
}

/** Reads a JSON matrix file. `opts.name` (e.g. "X1") goes in error messages. */
export function readJsonMatrix(path: string, opts?: { name?: string }): Mat {
  return parseJsonMatrix(readText(path), opts?.name ? `${opts.name} (${path})` : path);
}
