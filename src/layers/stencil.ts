import type { WindowTable } from './window.js';

/**
 * The fast form of conv's same-offset map (see `sameOffsetMean` in window.ts, its plain form): the window table
 * re-read as runs. For each filter offset o, the output positions q whose input position p = idx(q, o) exists come
 * in runs where q and p both advance by 1 (a row of the image, cut where padding or a stride breaks it), so the
 * inner loops are contiguous adds with no index table and no branch. Built from the table alone, so any padding
 * the table encodes (zeros, wrap-around) is honoured.
 */
export interface OffsetRuns {
  /** Filter offsets |f|. */
  readonly F: number;
  /** Input and output positions. */
  readonly Si: number;
  readonly So: number;
  /** The table: idx[q·F + o] = input position read, −1 for padding. */
  readonly idx: Int32Array;
  /** Per offset, triples (q0, p0, length) of runs. */
  readonly runs: readonly Int32Array[];
}

/** The runs of a window table over an input of Si positions. */
export function offsetRuns(tab: WindowTable, Si: number): OffsetRuns {
  const { idx, F } = tab;
  const So = idx.length / F;
  const runs: Int32Array[] = [];
  for (let o = 0; o < F; o++) {
    const list: number[] = [];
    let q0 = -1;
    let p0 = -1;
    let len = 0;
    for (let q = 0; q < So; q++) {
      const p = idx[q * F + o];
      if (p < 0) continue;
      if (len > 0 && q === q0 + len && p === p0 + len) {
        len++;
        continue;
      }
      if (len > 0) list.push(q0, p0, len);
      q0 = q;
      p0 = p;
      len = 1;
    }
    if (len > 0) list.push(q0, p0, len);
    runs.push(Int32Array.from(list));
  }
  return { F, Si, So, idx, runs };
}

/** Coefficients of conv's kernel step on the offset means m = map(K), mt = map(Θ): K' = kw·m + kb, Θ' see `convStep`. */
export interface ConvCoefficients {
  /** σ_w². */
  readonly w2: number;
  /** σ_b². */
  readonly b2: number;
  /** NTK parameterization: Θ' = w2·mt + K'; standard: Θ' = w2·mt + fanIn·m + biasTerm. */
  readonly ntkParam: boolean;
  readonly fanIn: number;
  readonly biasTerm: number;
}

/**
 * One conv layer on n stacked arrays of a record (K and, when given, Θ alike), 'diagonal' ([n][Si] → [n][So]) or
 * 'full' ([n][Si²] → [n][So²]): the offset means m(q) = Σ_o K(q+o)/F (full: m(q1, q2) = Σ_o K(q1+o, q2+o)/F,
 * padding counting 0), then K' = w2·m + b2 and Θ' as in `ConvCoefficients`, fused row by row. The sums run over
 * the offsets in ascending order, as `sameOffsetMean` does, so the numbers are the same bit for bit.
 */
export function convStep(
  k: Float64Array,
  t: Float64Array | null,
  n: number,
  r: OffsetRuns,
  full: boolean,
  c: ConvCoefficients,
): [Float64Array, Float64Array | null] {
  const { F, Si, So, idx, runs } = r;
  const rowIn = full ? Si : 1; // stride between the input rows p1 (full) — unused in diagonal mode
  const Pi = full ? Si * Si : Si;
  const Po = full ? So * So : So;
  const kOut = new Float64Array(n * Po);
  const tOut = t ? new Float64Array(n * Po) : null;
  const { w2, b2, ntkParam, fanIn, biasTerm } = c;
  const finish = (at: number, len: number): void => {
    for (let e = at; e < at + len; e++) {
      const m = kOut[e] / F;
      const kv = w2 * m + b2;
      kOut[e] = kv;
      if (tOut) tOut[e] = ntkParam ? w2 * (tOut[e] / F) + kv : w2 * (tOut[e] / F) + fanIn * m + biasTerm;
    }
  };
  for (let i = 0; i < n; i++) {
    const bi = i * Pi;
    const bo = i * Po;
    if (!full) {
      for (let o = 0; o < F; o++) addRuns(kOut, t ? tOut : null, bo, k, t, bi, runs[o]);
      finish(bo, So);
      continue;
    }
    for (let q1 = 0; q1 < So; q1++) {
      const out = bo + q1 * So;
      for (let o = 0; o < F; o++) {
        const p1 = idx[q1 * F + o];
        if (p1 >= 0) addRuns(kOut, t ? tOut : null, out, k, t, bi + p1 * rowIn, runs[o]);
      }
      finish(out, So);
    }
  }
  return [kOut, tOut];
}

/** out[ao + q0 + j] += a[ai + p0 + j] for each run (q0, p0, len), j < len; Θ alike. */
function addRuns(kOut: Float64Array, tOut: Float64Array | null, ao: number, k: Float64Array, t: Float64Array | null, ai: number, runs: Int32Array): void {
  for (let x = 0; x < runs.length; x += 3) {
    const q = ao + runs[x];
    const p = ai + runs[x + 1];
    const len = runs[x + 2];
    for (let j = 0; j < len; j++) kOut[q + j] += k[p + j];
    if (tOut && t) for (let j = 0; j < len; j++) tOut[q + j] += t[p + j];
  }
}
