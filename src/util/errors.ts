/**
 * Bad input from the user (a file, a flag, a spec): the CLI prints the one-line message and exits 2.
 * Library callers can catch it to tell their own mistakes from internal errors.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * Throws InputError "`what` contains NaN or Inf at row i, column j" at the first non-finite entry.
 * Takes a row-major matrix `{cols, data}` (a `Mat`), or a flat array (reported by index).
 */
export function assertFinite(
  m: { readonly rows?: number; readonly cols: number; readonly data: ArrayLike<number> } | ArrayLike<number>,
  what: string,
): void {
  const isMat = 'data' in m && 'cols' in m;
  const data: ArrayLike<number> = isMat ? (m as { data: ArrayLike<number> }).data : (m as ArrayLike<number>);
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (typeof v !== 'number') {
      throw new InputError(`${what} holds ${Array.isArray(v) ? 'an array' : typeof v} at index ${k}, not a number: pass a Mat { rows, cols, data: Float64Array } (fromRows builds one from number[][])`);
    }
    if (v - v !== 0) {
      // NaN − NaN and ±Inf − ±Inf are both NaN; finite values give 0.
      const kind = Number.isNaN(v) ? 'NaN' : 'Inf';
      if (isMat) {
        const cols = (m as { cols: number }).cols;
        const i = cols > 0 ? Math.floor(k / cols) : 0;
        const j = cols > 0 ? k % cols : 0;
        throw new InputError(`${what} contains NaN or Inf at row ${i}, column ${j} (value ${kind === 'NaN' ? 'NaN' : v})`);
      }
      throw new InputError(`${what} contains NaN or Inf at index ${k} (value ${kind === 'NaN' ? 'NaN' : v})`);
    }
  }
}

/**
 * A user-supplied value made safe for a one-line message: control and non-printable characters are escaped
 * (\n, \x00, \u2028 …) and anything past `max` characters is cut with "…(N chars)", so a 400 KB string or the
 * raw bytes of a binary file never reach the terminal. Returned in double quotes.
 */
export function quote(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd"\\]/g, (c) => {
    if (c === '"') return '\\"';
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"${text.length > max ? `…(${text.length} chars)` : ''}`;
}

/** Longest message the CLI prints for one error (the rest is cut): one terminal line or two, never a dump. */
export const MAX_MESSAGE_CHARS = 300;
