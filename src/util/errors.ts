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
