import { existsSync, readFileSync } from 'node:fs';
import { logspace } from '../experiments/lambdaScan.js';
import { readMatrix, readNpy } from '../io/npy.js';
import type { LambdaSchedule } from '../dynamics/schedule.js';
import { checkSchedule } from '../dynamics/schedule.js';
import { checkTimes } from '../dynamics/problem.js';
import type { Mat } from '../linalg/matrix.js';
import { InputError, quote } from '../util/errors.js';

/** A finite number from a flag, or an InputError naming the flag. */
export function parseNumber(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new InputError(`${flag} must be a finite number, got "${text}"`);
  return v;
}

/**
 * An integer from a flag, at least `min`. Only integers a double holds exactly (|v| ≤ 2^53 − 1) are accepted:
 * 9007199254740993 would silently become …992, a different seed.
 */
export function parseInteger(text: string, flag: string, min = 1): number {
  const v = parseNumber(text, flag);
  if (!Number.isSafeInteger(v) || v < min) throw new InputError(`${flag} must be an integer ≥ ${min} (at most 2^53 − 1), got ${quote(text)}`);
  return v;
}

/** Most λ values a scan accepts: each costs a full closed-form flow, so more is a typo, not a plan. */
export const MAX_LAMBDAS = 10_000;
/** Most output times a flow accepts: f_train alone is T·n·k floats. */
export const MAX_TIMES = 1_000_000;

/** A grid count "N" from "A:B:N", refused above `max` before anything is allocated. */
function parseCount(text: string, flag: string, max: number): number {
  const n = parseInteger(text, flag, 2);
  if (n > max) throw new InputError(`${flag} is ${n}, over the limit of ${max}`);
  return n;
}

/** λ grid: "1e-4:1e-1:13" (log-spaced, inclusive) or "0.1,0.01,0.001"; at most MAX_LAMBDAS values. */
export function parseLambdas(text: string): number[] {
  const parts = text.split(':');
  let values: number[];
  if (parts.length === 3) {
    const count = parseCount(parts[2], '--lambdas count', MAX_LAMBDAS);
    values = logspace(parseNumber(parts[0], '--lambdas start'), parseNumber(parts[1], '--lambdas end'), count);
  } else {
    const items = text.split(',');
    if (items.length > MAX_LAMBDAS) throw new InputError(`--lambdas has ${items.length} values, over the limit of ${MAX_LAMBDAS}`);
    values = items.map((s) => parseNumber(s, '--lambdas'));
  }
  for (const v of values) if (!(v > 0)) throw new InputError(`--lambdas must all be > 0, got ${v}`);
  return values;
}

/**
 * Output times: a file of increasing times (.npy/.csv/.json; a 1-D array or a single row or column — never a
 * matrix flattened), "log:A:B:N" or "lin:A:B:N". At most MAX_TIMES; finite, ≥ 0 and strictly increasing.
 */
export function parseTimes(text: string): Float64Array {
  const times = readTimes(text);
  if (times.length > MAX_TIMES) throw new InputError(`--times has ${times.length} values, over the limit of ${MAX_TIMES}`);
  checkTimes(times);
  return times;
}

function readTimes(text: string): Float64Array {
  const m = /^(log|lin):([^:]+):([^:]+):([^:]+)$/.exec(text);
  if (m) {
    const a = parseNumber(m[2], '--times start');
    const b = parseNumber(m[3], '--times end');
    const n = parseCount(m[4], '--times count', MAX_TIMES);
    if (m[1] === 'log') return Float64Array.from(logspace(a, b, n));
    if (!(b > a) || a < 0) throw new InputError(`--times lin:A:B:N needs 0 ≤ A < B, got ${a}, ${b}`);
    return Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  }
  if (!existsSync(text)) throw new InputError(`--times: no such file ${quote(text, 200)} (or use log:A:B:N / lin:A:B:N)`);
  const shape = /\.npy$/i.test(text) ? readNpy(text, { name: 'times' }) : matShape(readMatrix(text, { name: 'times' }));
  const dims = shape.shape;
  if (dims.length > 2 || (dims.length === 2 && dims[0] !== 1 && dims[1] !== 1)) {
    throw new InputError(`--times ${quote(text, 200)} has shape (${dims.join(', ')}); give a 1-D array or a single row or column of times`);
  }
  return Float64Array.from(shape.data);
}

function matShape(m: Mat): { shape: number[]; data: ArrayLike<number> } {
  return { shape: [m.rows, m.cols], data: m.data };
}

/** A piecewise-constant λ(t) from JSON: {"starts":[0,100],"values":[0.01,0.001]}. */
export function readSchedule(path: string): LambdaSchedule {
  if (!existsSync(path)) throw new InputError(`schedule file not found: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`schedule ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const obj = raw as { starts?: unknown; values?: unknown };
  if (typeof raw !== 'object' || raw === null || !Array.isArray(obj.starts) || !Array.isArray(obj.values)) {
    throw new InputError(`schedule ${path} must look like {"starts":[0, 100], "values":[0.01, 0.001]}`);
  }
  return checkSchedule({ starts: obj.starts as number[], values: obj.values as number[] });
}
