import { formatFloat32 } from './float32.js';

/**
 * A CSV table of `rows` with the columns `keys`, in that order. The header is the keys themselves: the same
 * camelCase names as the JSON files and the library's objects (docs/cli-conventions.md), so one name means one
 * quantity everywhere. Numbers print as JSON prints them (NaN/Inf as empty cells); `float32` prints exact
 * float32 values at float32 precision (formatFloat32), for tables of TensorFlow.js results.
 */
export function csvTable<T extends object>(rows: readonly T[], keys: readonly (keyof T & string)[], opts: { float32?: boolean } = {}): string {
  const cell = (v: unknown): string => {
    if (typeof v === 'number') return Number.isFinite(v) ? (opts.float32 ? formatFloat32(v) : String(v)) : '';
    if (typeof v === 'boolean') return String(v);
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}
