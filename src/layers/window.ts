import { SpecError } from './specError.js';
import { formatSpatial, spatialSize } from './spatial.js';
import type { KernelBlock } from './types.js';

/**
 * Window geometry shared by conv and avgPool (TensorFlow's conventions, as neural-tangents): per axis of extent n,
 * window f and stride s, 'SAME' gives ⌈n/s⌉ outputs with max((out − 1)·s + f − n, 0) padding, ⌊·/2⌋ of it before;
 * 'VALID' gives ⌊(n − f)/s⌋ + 1 outputs and no padding. 'CIRCULAR' (neural-tangents' periodic boundary) pads by
 * SAME's amounts with the values wrapped around (position p reads p mod n), so it has SAME's output extent and
 * every window lies wholly inside the (periodic) input.
 */
export type Padding = 'SAME' | 'VALID' | 'CIRCULAR';

/** The padding names, as the JSON and one-line forms write them. */
export const PADDINGS: readonly Padding[] = ['SAME', 'VALID', 'CIRCULAR'];

/** Checks a padding name (one-line SpecError otherwise). */
export function checkPadding(p: unknown, name: string): Padding {
  if (!PADDINGS.includes(p as Padding)) {
    throw new SpecError(`${name}: padding must be "SAME", "VALID" or "CIRCULAR", got ${JSON.stringify(p) ?? String(p)}`);
  }
  return p as Padding;
}

/**
 * Padding per axis before and after the input (TensorFlow's SAME amounts, the odd one after; none for VALID):
 * zeros for SAME, wrapped values for CIRCULAR.
 */
export function padAmounts(spatial: readonly number[], out: readonly number[], window: readonly number[], strides: readonly number[], padding: Padding): [number, number][] {
  return spatial.map((len, a) => {
    const total = padding === 'VALID' ? 0 : Math.max((out[a] - 1) * strides[a] + window[a] - len, 0);
    const before = Math.floor(total / 2);
    return [before, total - before];
  });
}

/** Checks a list of positive integers of the layer's rank (filter, window, strides). */
export function checkExtents(v: unknown, rank: number, what: string, name: string): number[] {
  if (!Array.isArray(v) || v.length !== rank || !v.every((x) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 1_000_000)) {
    throw new SpecError(`${name}: ${what} must be a list of ${rank} positive integers, got ${JSON.stringify(v) ?? String(v)}`);
  }
  return v as number[];
}

/**
 * For each output position q and window offset o, the input position read (−1: zero padding; CIRCULAR reads the
 * wrapped position, never −1), and the output extent.
 */
export interface WindowTable {
  readonly out: readonly number[];
  /** idx[q·F + o], F = |window|. */
  readonly idx: Int32Array;
  readonly F: number;
  /** How many offsets of each output position fall inside the input. */
  readonly inside: Int32Array;
}

/** The window table of an input of extent `spatial` (1-D or 2-D). */
export function windowTable(spatial: readonly number[], window: readonly number[], strides: readonly number[], padding: Padding, name: string): WindowTable {
  if (spatial.length !== window.length) throw new SpecError(`${name} is ${window.length}-D, got an input of spatial shape ${formatSpatial(spatial)}`);
  const axes = spatial.map((n, a) => {
    const f = window[a];
    const st = strides[a];
    if (padding === 'VALID') {
      if (f > n) throw new SpecError(`${name}: window ${formatSpatial(window)} is larger than the input ${formatSpatial(spatial)} with VALID padding`);
      return { out: Math.floor((n - f) / st) + 1, before: 0 };
    }
    const out = Math.ceil(n / st);
    return { out, before: Math.floor(Math.max((out - 1) * st + f - n, 0) / 2) };
  });
  const out = axes.map((a) => a.out);
  const So = spatialSize(out);
  const F = spatialSize(window);
  const idx = new Int32Array(So * F);
  const inside = new Int32Array(So);
  const circular = padding === 'CIRCULAR';
  // positions and offsets in C order (last axis fastest), as the data
  for (let q = 0; q < So; q++) {
    for (let o = 0; o < F; o++) {
      let inPos = 0;
      let qr = q;
      let or = o;
      let ok = true;
      const coords: number[] = new Array<number>(spatial.length);
      for (let a = spatial.length - 1; a >= 0; a--) {
        const qa = qr % out[a];
        qr = Math.floor(qr / out[a]);
        const oa = or % window[a];
        or = Math.floor(or / window[a]);
        coords[a] = qa * strides[a] - axes[a].before + oa;
        if (circular) coords[a] = ((coords[a] % spatial[a]) + spatial[a]) % spatial[a];
        else if (coords[a] < 0 || coords[a] >= spatial[a]) ok = false;
      }
      if (ok) for (let a = 0; a < spatial.length; a++) inPos = inPos * spatial[a] + coords[a];
      idx[q * F + o] = ok ? inPos : -1;
      if (ok) inside[q]++;
    }
  }
  return { out, idx, F, inside };
}

/**
 * The same-offset map of n stacked arrays of a record (conv): 'diagonal' B(q) = Σ_o A(q+o)/F, 'full'
 * B(q1, q2) = Σ_o A(q1+o, q2+o)/F, with padded positions counting 0 and the mean still over F.
 */
export function sameOffsetMean(a: Float64Array, n: number, Si: number, tab: WindowTable, full: boolean): Float64Array {
  const So = tab.idx.length / tab.F;
  const { idx, F } = tab;
  if (!full) {
    const b = new Float64Array(n * So);
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < So; q++) {
        let s = 0;
        for (let o = 0; o < F; o++) {
          const p = idx[q * F + o];
          if (p >= 0) s += a[i * Si + p];
        }
        b[i * So + q] = s / F;
      }
    }
    return b;
  }
  const Pi = Si * Si;
  const Po = So * So;
  const b = new Float64Array(n * Po);
  for (let i = 0; i < n; i++) {
    for (let q1 = 0; q1 < So; q1++) {
      for (let q2 = 0; q2 < So; q2++) {
        let s = 0;
        for (let o = 0; o < F; o++) {
          const p1 = idx[q1 * F + o];
          const p2 = idx[q2 * F + o];
          if (p1 >= 0 && p2 >= 0) s += a[i * Pi + p1 * Si + p2];
        }
        b[i * Po + q1 * So + q2] = s / F;
      }
    }
  }
  return b;
}

/**
 * The window-pair map of n stacked 'full' arrays (avgPool): B(q1, q2) = mean over the inside offsets o1 of q1 and
 * o2 of q2 of A(q1+o1, q2+o2); padding is left out of the mean, as tf.avgPool does.
 */
export function windowPairMean(a: Float64Array, n: number, Si: number, tab: WindowTable): Float64Array {
  const So = tab.idx.length / tab.F;
  const { idx, F, inside } = tab;
  const Pi = Si * Si;
  const Po = So * So;
  const b = new Float64Array(n * Po);
  for (let i = 0; i < n; i++) {
    for (let q1 = 0; q1 < So; q1++) {
      for (let q2 = 0; q2 < So; q2++) {
        let s = 0;
        for (let o1 = 0; o1 < F; o1++) {
          const p1 = idx[q1 * F + o1];
          if (p1 < 0) continue;
          for (let o2 = 0; o2 < F; o2++) {
            const p2 = idx[q2 * F + o2];
            if (p2 >= 0) s += a[i * Pi + p1 * Si + p2];
          }
        }
        b[i * Po + q1 * So + q2] = s / (inside[q1] * inside[q2]);
      }
    }
  }
  return b;
}

/** A record of the same points with new spatial extent and arrays (nulls where the input had none). */
export function withArrays(
  b: KernelBlock,
  spatial: readonly number[],
  mode: 'diagonal' | 'full',
  map: (a: Float64Array, n: number) => Float64Array,
): KernelBlock {
  return {
    nr: b.nr,
    nc: b.nc,
    spatial,
    mode,
    nngp: map(b.nngp, b.nr * b.nc),
    ntk: b.ntk ? map(b.ntk, b.nr * b.nc) : null,
    cov1: map(b.cov1, b.nr),
    ntk1: b.ntk1 ? map(b.ntk1, b.nr) : null,
    cov2: map(b.cov2, b.nc),
    ntk2: b.ntk2 ? map(b.ntk2, b.nc) : null,
  };
}
