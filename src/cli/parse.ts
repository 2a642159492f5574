import { existsSync, readFileSync } from 'node:fs';
import { logspace } from '../experiments/lambdaScan.js';
import { readMatrix, readNpy } from '../io/npy.js';
import type { LambdaSchedule } from '../dynamics/schedule.js';
import { checkSchedule } from '../dynamics/schedule.js';
import { InputError } from '../util/errors.js';

/** A finite number from a flag, or an InputError naming the flag. */
export function parseNumber(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new InputError(`${flag} must be a finite number, got "${text}"`);
  return v;
}

export function parseInteger(text: string, flag: string, min = 1): number {
  const v = parseNumber(text, flag);
  if (!Number.isInteger(v) || v < min) throw new InputError(`${flag} must be an integer ≥ ${min}, got "${text}"`);
  return v;
}

/** λ grid: "1e-4:1e-1:13" (log-spaced, inclusive) or "0.1,0.01,0.001". */
export function parseLambdas(text: string): number[] {
  const parts = text.split(':');
  let values: number[];
  if (parts.length === 3) {
    values = logspace(parseNumber(parts[0], '--lambdas start'), parseNumber(parts[1], '--lambdas end'), parseInteger(parts[2], '--lambdas count', 2));
  } else {
    values = text.split(',').map((s) => parseNumber(s, '--lambdas'));
  }
  for (const v of values) if (!(v > 0)) throw new InputError(`--lambdas must all be > 0, got ${v}`);
  return values;
}

/** Output times: a .npy/.csv/.json file of increasing times, "log:A:B:N" or "lin:A:B:N". */
export function parseTimes(text: string): Float64Array {
  const m = /^(log|lin):([^:]+):([^:]+):([^:]+)$/.exec(text);
  if (m) {
    const a = parseNumber(m[2], '--times start');
    const b = parseNumber(m[3], '--times end');
    const n = parseInteger(m[4], '--times count', 2);
    if (m[1] === 'log') return Float64Array.from(logspace(a, b, n));
    if (!(b > a) || a < 0) throw new InputError(`--times lin:A:B:N needs 0 ≤ A < B, got ${a}, ${b}`);
    return Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  }
  if (!existsSync(text)) throw new InputError(`--times: no such file "${text}" (or use log:A:B:N / lin:A:B:N)`);
  if (/\.npy$/i.test(text)) return Float64Array.from(readNpy(text, { name: 'times' }).data);
  return Float64Array.from(readMatrix(text, { name: 'times' }).data);
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
