import { SpecError } from './specError.js';
import { spatialSize } from './spatial.js';
import type { KernelBlock, KernelFn, KernelTransform, KernelValue } from './types.js';

/**
 * The pair entries of a spatial 'diagonal' record in its own layout: entry (r·nc + c)·S + s of pair (r, c) at position
 * s, with the variances k11[r·S + s] (row point) and k22[c·S + s] (column point) before the layer.
 */
export interface PositionsBlock {
  readonly nr: number;
  readonly nc: number;
  readonly S: number;
  readonly k: Float64Array;
  readonly t: Float64Array | null;
  readonly k11: Float64Array;
  readonly k22: Float64Array;
}

/**
 * A pointwise layer's loops, optionally with a loop over a 'diagonal' spatial record's pairs in place
 * (`crossPositions`, the same per-entry map as `cross`): it returns false when it has no such loop at the moment
 * (e.g. the native addon is absent), and the record is then gathered position by position for `cross`.
 */
export interface PositionalTransform extends KernelTransform {
  crossPositions?(block: PositionsBlock): boolean;
}

/** A pointwise layer's KernelFn, carrying the loops it was built from (tests probe them entry by entry). */
export interface PointwiseKernelFn extends KernelFn {
  /** The cross/diag loops the KernelFn was made from. */
  readonly pointwise: KernelTransform;
}

/**
 * The KernelFn of a layer acting entry by entry on the record (activations, dense): its `cross` loop on the pair
 * part with the variances before the layer (cov1 at the row, cov2 at the column), then its `diag` loop on the
 * self parts. One helper for every such layer, so the pair part and the self parts cannot drift apart.
 * @param tr - the layer's cross and diag loops
 * @param name - the layer named in errors
 * @returns the layer's KernelFn (carrying `tr` as `pointwise`)
 */
export function pointwiseKernel(tr: PositionalTransform, name: string): PointwiseKernelFn {
  const fn = (v: KernelValue): KernelValue => {
    const b = singleBlock(v, name);
    if (b.spatial.length > 0) {
      if (b.mode === 'full') applyFull(tr, b);
      else applyDiagonal(tr, b);
      return b;
    }
    // cross first: it reads cov1/cov2 as they were before this layer
    tr.cross({ nr: b.nr, nc: b.nc, k: b.nngp, t: b.ntk, k11: b.cov1, k22: b.cov2 });
    tr.diag({ n: b.nr, k: b.cov1, t: b.ntk1 });
    tr.diag({ n: b.nc, k: b.cov2, t: b.ntk2 });
    return b;
  };
  return Object.assign(fn, { pointwise: tr });
}

/**
 * The cross/diag loops of a pointwise layer's KernelFn; throws for a composite's (it has none).
 * @param fn - a pointwise layer's KernelFn
 * @returns its cross/diag loops
 * @throws TypeError for a KernelFn made otherwise (a composite's)
 */
export function pointwiseTransform(fn: KernelFn): KernelTransform {
  const tr = (fn as Partial<PointwiseKernelFn>).pointwise;
  if (tr === undefined) throw new TypeError('this kernel is not pointwise: it has no cross/diag loops');
  return tr;
}

/** The record of a single value; a list (after parallel) is refused in one line. */
export function singleBlock(v: KernelValue, name: string): KernelBlock {
  if (isBlockList(v)) throw new SpecError(`${name} takes a single input, got a list of ${v.length}: add fanInSum after parallel`);
  return v;
}

/** Whether a kernel value is a list (after parallel). */
export function isBlockList(v: KernelValue): v is readonly KernelBlock[] {
  return Array.isArray(v);
}

/** Positions per chunk of `applyDiagonal`: a run of 8 float64 is one 64-byte cache line. */
const CHUNK = 8;

/**
 * Spatial 'diagonal' records: entry (s, s) of pair (i, j) with the variances K(x_i, x_i)(s, s) and
 * K(x'_j, x'_j)(s, s). The loops take one variance per row and per column, so each position is gathered into a
 * flat nr×nc block, transformed and scattered back; the self parts are all (s, s) entries of a point with itself.
 * Positions go CHUNK at a time: each pair's run of CHUNK entries is read once into position-major buffers (one
 * cache line per pair, not one per pair and position), transformed position by position, and written back. A layer
 * whose `crossPositions` takes the record as it lies (abrelu's native loop) skips the gather.
 */
function applyDiagonal(tr: PositionalTransform, b: KernelBlock): void {
  const S = spatialSize(b.spatial);
  const { nr, nc } = b;
  if (tr.crossPositions?.({ nr, nc, S, k: b.nngp, t: b.ntk, k11: b.cov1, k22: b.cov2 })) {
    tr.diag({ n: nr * S, k: b.cov1, t: b.ntk1 });
    tr.diag({ n: nc * S, k: b.cov2, t: b.ntk2 });
    return;
  }
  const m = nr * nc;
  const B = Math.min(CHUNK, S);
  const k = new Float64Array(B * m);
  const t = b.ntk ? new Float64Array(B * m) : null;
  const k11 = new Float64Array(B * nr);
  const k22 = new Float64Array(B * nc);
  const { nngp, ntk, cov1, cov2 } = b;
  for (let p0 = 0; p0 < S; p0 += B) {
    const w = Math.min(B, S - p0);
    // gather: [m][S] → [w][m] (and the variances [n][S] → [w][n])
    for (let i = 0; i < m; i++) {
      const src = i * S + p0;
      for (let q = 0; q < w; q++) k[q * m + i] = nngp[src + q];
      if (t && ntk) for (let q = 0; q < w; q++) t[q * m + i] = ntk[src + q];
    }
    for (let r = 0; r < nr; r++) for (let q = 0; q < w; q++) k11[q * nr + r] = cov1[r * S + p0 + q];
    for (let c = 0; c < nc; c++) for (let q = 0; q < w; q++) k22[q * nc + c] = cov2[c * S + p0 + q];
    for (let q = 0; q < w; q++) {
      tr.cross({
        nr,
        nc,
        k: k.subarray(q * m, (q + 1) * m),
        t: t ? t.subarray(q * m, (q + 1) * m) : null,
        k11: k11.subarray(q * nr, (q + 1) * nr),
        k22: k22.subarray(q * nc, (q + 1) * nc),
      });
    }
    // scatter back
    for (let i = 0; i < m; i++) {
      const dst = i * S + p0;
      for (let q = 0; q < w; q++) nngp[dst + q] = k[q * m + i];
      if (t && ntk) for (let q = 0; q < w; q++) ntk[dst + q] = t[q * m + i];
    }
  }
  tr.diag({ n: nr * S, k: cov1, t: b.ntk1 });
  tr.diag({ n: nc * S, k: cov2, t: b.ntk2 });
}

/**
 * Spatial 'full' records: the S×S block (s, t) of a pair is a cross block whose row variances are the (s, s)
 * entries of the row point's self part and whose column variances are the (t, t) entries of the column point's.
 * A point's own S×S block likewise, except its (s, s) entries, which take the exact θ = 0 formulas.
 */
function applyFull(tr: KernelTransform, b: KernelBlock): void {
  const S = spatialSize(b.spatial);
  const P = S * S;
  const diagOf = (a: Float64Array, n: number): Float64Array => {
    const out = new Float64Array(n * S);
    for (let i = 0; i < n; i++) for (let s = 0; s < S; s++) out[i * S + s] = a[i * P + s * S + s];
    return out;
  };
  // variances before the layer, taken before any self part is transformed
  const d1 = diagOf(b.cov1, b.nr);
  const d2 = diagOf(b.cov2, b.nc);
  for (let r = 0; r < b.nr; r++) {
    const k11 = d1.subarray(r * S, (r + 1) * S);
    for (let c = 0; c < b.nc; c++) {
      const at = (r * b.nc + c) * P;
      tr.cross({ nr: S, nc: S, k: b.nngp.subarray(at, at + P), t: b.ntk ? b.ntk.subarray(at, at + P) : null, k11, k22: d2.subarray(c * S, (c + 1) * S) });
    }
  }
  const self = (cov: Float64Array, ntk: Float64Array | null, d: Float64Array, n: number): void => {
    const td = ntk ? diagOf(ntk, n) : null;
    for (let i = 0; i < n; i++) {
      const v = d.subarray(i * S, (i + 1) * S);
      tr.cross({ nr: S, nc: S, k: cov.subarray(i * P, (i + 1) * P), t: ntk ? ntk.subarray(i * P, (i + 1) * P) : null, k11: v, k22: v });
    }
    // the exact θ = 0 formulas on the (s, s) entries, from their values before the layer
    const dk = d.slice();
    tr.diag({ n: n * S, k: dk, t: td });
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < S; s++) {
        cov[i * P + s * S + s] = dk[i * S + s];
        if (ntk && td) ntk[i * P + s * S + s] = td[i * S + s];
      }
    }
  };
  self(b.cov1, b.ntk1, d1, b.nr);
  self(b.cov2, b.ntk2, d2, b.nc);
}
