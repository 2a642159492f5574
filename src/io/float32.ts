/**
 * JSON for results computed in float32 (TensorFlow.js training): a float32 value is printed with the fewest
 * significant digits that read back to the same float32 (0.384, not its float64 expansion 0.3840000033378601),
 * as numpy prints a float32. Only numbers that are exactly float32 values get the short form; safe integers
 * (counts, steps) are printed whole, anything else (a float64 input such as λ = 1e-3) as JSON.stringify prints it.
 */

/** The shortest decimal text of `x` that reads back to the same float32 (x must be a float32 value). */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x) || Number.isSafeInteger(x) || Math.fround(x) !== x) return JSON.stringify(x);
  for (let p = 1; p <= 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return String(v);
  }
  return String(x); // unreachable: 9 significant digits identify every float32
}

/** JSON.stringify for plain data (objects, arrays, strings, numbers, booleans, null), numbers by formatFloat32. */
export function float32Json(value: unknown): string {
  if (typeof value === 'number') return formatFloat32(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : float32Json(v))).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${float32Json(v)}`);
  }
  return `{${parts.join(',')}}`;
}
