import { nativeKernels } from '../linalg/nativeKernels.js';
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
  /** The same triples concatenated, offset o's from flat[off[o]] to flat[off[o + 1]] (F + 1 entries): the native loops' form. */
  readonly flat: Int32Array;
  readonly off: Int32Array;
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
  const off = new Int32Array(F + 1);
  for (let o = 0; o < F; o++) off[o + 1] = off[o] + runs[o].length;
  const flat = new Int32Array(off[F]);
  for (let o = 0; o < F; o++) flat.set(runs[o], off[o]);
  return { F, Si, So, idx, runs, flat, off };
}

/** The coefficients as the native loops take them: [w2, b2, ntkParam (0/1), fanIn, biasTerm]. */
function coefArray(c: ConvCoefficients): Float64Array {
  return Float64Array.of(c.w2, c.b2, c.ntkParam ? 1 : 0, c.fanIn, c.biasTerm);
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
 * the offsets in ascending order, as `sameOffsetMean` does (the mean as a product with 1/F, not a division, so
 * the last bit may differ from it). Runs in C when the native addon is there (native/src/kernels.c convRuns: the same
 * loops in the same order, no contraction of a·b + c, so the same bits), else in TypeScript below.
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
  const native = nativeKernels();
  if (native) {
    native.convRuns(k, t, kOut, tOut, n, full, Int32Array.of(F, Si, So), idx, r.flat, r.off, coefArray(c));
    return [kOut, tOut];
  }
  const { w2, b2, ntkParam, fanIn, biasTerm } = c;
  const invF = 1 / F;
  const finish = (at: number, len: number): void => finishRow(kOut, tOut, at, len, invF, w2, b2, ntkParam, fanIn, biasTerm);
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

/** The two 1-D window tables of a 2-D conv (axis 0: rows, axis 1: columns) and the input extent. */
export interface SeparableWindow {
  readonly rows: WindowTable;
  readonly cols: WindowTable;
  /** Input rows and columns. */
  readonly hi: number;
  readonly wi: number;
}

/**
 * `convStep` for 2-D convs, separably: the offsets are the product of row and column offsets and a position is
 * padding exactly when its row or its column is, so the offset sum is a column pass (Σ over column offsets) then a
 * row pass (Σ over row offsets): fh + fw adds per entry instead of fh·fw, all in contiguous runs. In 'full' mode
 * the passes move both positions of a pair by the same offset. The sum is taken in another order than
 * `sameOffsetMean`'s (rows of columns, not offset by offset), so the numbers differ from it in the last bits.
 * Runs in C when the native addon is there (native/src/kernels.c convSeparable: the same loops in the same order,
 * so the same bits), else in TypeScript below.
 */
export function convStepSeparable(
  k: Float64Array,
  t: Float64Array | null,
  n: number,
  w: SeparableWindow,
  full: boolean,
  c: ConvCoefficients,
): [Float64Array, Float64Array | null] {
  const { rows: ra, cols: cb, hi: Hi, wi: Wi } = w;
  const Ho = ra.out[0];
  const Wo = cb.out[0];
  const fh = ra.F;
  const fw = cb.F;
  const invF = 1 / (fh * fw);
  const colR = offsetRuns(cb, Wi);
  const rowR = offsetRuns(ra, Hi);
  const colRuns = colR.runs;
  const rowRuns = rowR.runs;
  const Si = Hi * Wi;
  const So = Ho * Wo;
  const Pi = full ? Si * Si : Si;
  const Po = full ? So * So : So;
  const native = nativeKernels();
  if (native) {
    const kOut = new Float64Array(n * Po);
    const tOut = t ? new Float64Array(n * Po) : null;
    const geom = Int32Array.of(Hi, Wi, Ho, Wo, fh, fw);
    native.convSeparable(k, t, kOut, tOut, n, full, geom, ra.idx, cb.idx, rowR.flat, rowR.off, colR.flat, colR.off, coefArray(c));
    return [kOut, tOut];
  }
  // the column pass's output: [Hi][Wo] per point ('diagonal'); per pair ('full') fh slabs [Wo][Hi][Wo], slab s holding
  // input row slotRow[s]
  const midRow = Hi * Wo; // stride of b1 in a slab
  const slab = Wo * midRow;
  const slotRow = new Int32Array(fh);
  const Pm = full ? fh * slab : Hi * Wo;
  const kMid = new Float64Array(Pm);
  const tMid = t ? new Float64Array(Pm) : null;
  const kOut = new Float64Array(n * Po);
  const tOut = t ? new Float64Array(n * Po) : null;
  const { w2, b2, ntkParam, fanIn, biasTerm } = c;
  for (let i = 0; i < n; i++) {
    const bi = i * Pi;
    const bo = i * Po;
    if (!full) {
      kMid.fill(0);
      tMid?.fill(0);
      // column pass: each input row
      for (let a = 0; a < Hi; a++) {
        for (let o = 0; o < fw; o++) addRuns(kMid, tMid, a * Wo, k, t, bi + a * Wi, colRuns[o]);
      }
      // row pass: output rows from the input rows of their row offsets, a run of rows (q0, p0, len) at a time
      // (len·Wo contiguous entries), then the step
      for (let o = 0; o < fh; o++) addRows(kOut, tOut, bo, kMid, tMid, 0, rowRuns[o], Wo);
      finishRow(kOut, tOut, bo, So, invF, w2, b2, ntkParam, fanIn, biasTerm);
      continue;
    }
    // 'full': the column pass moves (b1, b2) together, the row pass (a1, a2). The column pass is computed one input
    // row a1' at a time (a slab [Wo][Hi][Wo]), when an output row first needs it, into one of fh slots: the slabs
    // stay in cache instead of a whole [Hi][Wo][Hi][Wo] array going out and back.
    for (let s = 0; s < fh; s++) slotRow[s] = -1;
    for (let a1 = 0; a1 < Ho; a1++) {
      for (let o = 0; o < fh; o++) {
        const p1 = ra.idx[a1 * fh + o];
        if (p1 < 0) continue;
        const slot = p1 % fh;
        const base = slot * slab;
        if (slotRow[slot] !== p1) {
          slotRow[slot] = p1;
          kMid.fill(0, base, base + slab);
          tMid?.fill(0, base, base + slab);
          for (let b1 = 0; b1 < Wo; b1++) {
            const mid = base + b1 * midRow;
            for (let oc = 0; oc < fw; oc++) {
              const q1 = cb.idx[b1 * fw + oc];
              if (q1 < 0) continue;
              const src = bi + (p1 * Wi + q1) * Si;
              for (let a2 = 0; a2 < Hi; a2++) addRuns(kMid, tMid, mid + a2 * Wo, k, t, src + a2 * Wi, colRuns[oc]);
            }
          }
        }
        for (let b1 = 0; b1 < Wo; b1++) addRows(kOut, tOut, bo + (a1 * Wo + b1) * So, kMid, tMid, base + b1 * midRow, rowRuns[o], Wo);
      }
      finishRow(kOut, tOut, bo + a1 * Wo * So, Wo * So, invF, w2, b2, ntkParam, fanIn, biasTerm);
    }
  }
  return [kOut, tOut];
}

/**
 * The row pass over runs of rows: out[ao + (q0 + j)·W + e] += mid[am + (p0 + j)·W + e] for each run (q0, p0, len),
 * j < len, e < W: one contiguous loop of len·W entries per run. Θ alike.
 */
function addRows(kOut: Float64Array, tOut: Float64Array | null, ao: number, kMid: Float64Array, tMid: Float64Array | null, am: number, runs: Int32Array, W: number): void {
  for (let x = 0; x < runs.length; x += 3) {
    const q = ao + runs[x] * W;
    const p = am + runs[x + 1] * W;
    const len = runs[x + 2] * W;
    for (let j = 0; j < len; j++) kOut[q + j] += kMid[p + j];
    if (tOut && tMid) for (let j = 0; j < len; j++) tOut[q + j] += tMid[p + j];
  }
}

/** K' = w2·m + b2 and Θ' (see ConvCoefficients) on `len` offset sums from `at`, m = sum/F. */
function finishRow(
  kOut: Float64Array,
  tOut: Float64Array | null,
  at: number,
  len: number,
  invF: number,
  w2: number,
  b2: number,
  ntkParam: boolean,
  fanIn: number,
  biasTerm: number,
): void {
  for (let e = at; e < at + len; e++) {
    const m = kOut[e] * invF;
    const kv = w2 * m + b2;
    kOut[e] = kv;
    if (tOut) tOut[e] = ntkParam ? w2 * (tOut[e] * invF) + kv : w2 * (tOut[e] * invF) + fanIn * m + biasTerm;
  }
}
