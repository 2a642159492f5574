import { SpecError } from './specError.js';
import type { KernelBlock, KernelFn, KernelValue, Layer, LayerShape, SpatialMode } from './types.js';
import { isList } from './values.js';

/**
 * Spatial records (step 2 of the layer contract): helpers shared by the binder, the engine and the spatial
 * layers. A record of spatial extent [H, W] holds P = S entries per pair in 'diagonal' mode ((s, s), s = 0..S−1)
 * and P = S² in 'full' mode ((s, t), s major), S = H·W.
 */

/** S = Π spatial (1 for flat values). */
export function spatialSize(spatial: readonly number[]): number {
  return spatial.reduce((a, b) => a * b, 1);
}

/** Entries per pair of a record: S in 'diagonal' mode, S² in 'full' mode. */
export function entriesPerPair(b: KernelBlock): number {
  const s = spatialSize(b.spatial);
  return b.mode === 'full' ? s * s : s;
}

/** The output shape of `layer` given its input's: its `outShape`, else the same extent with `outWidth`. */
export function shapeAfter(layer: Layer, input: LayerShape): LayerShape {
  if (layer.outShape) return layer.outShape(input);
  return { spatial: input.spatial, width: layer.outWidth(input.width) };
}

/** The mode `layer` needs of its input to give `out`: its `inputMode`, else the same. */
export function modeBefore(layer: Layer, out: SpatialMode): SpatialMode {
  return layer.inputMode ? layer.inputMode(out) : out;
}

/** A spatial shape as text, e.g. "5×5". */
export function formatSpatial(spatial: readonly number[]): string {
  return spatial.join('×');
}

/** The same record in 'diagonal' mode: the (s, s) entries of a 'full' one (a 'diagonal' or flat record as is). */
export function reduceToDiagonal(b: KernelBlock): KernelBlock {
  if (b.mode === 'diagonal') return b;
  const s = spatialSize(b.spatial);
  const pick = (a: Float64Array | null, n: number): Float64Array | null => {
    if (a === null) return null;
    const out = new Float64Array(n * s);
    for (let i = 0; i < n; i++) for (let p = 0; p < s; p++) out[i * s + p] = a[i * s * s + p * s + p];
    return out;
  };
  return diagonalRecord(b, b.spatial, pick);
}

/** `fn` followed by the reduction to 'diagonal' when `want` is 'diagonal' (and the value came out 'full'). */
export function reducingTo(fn: KernelFn, want: SpatialMode | undefined): KernelFn {
  if (want === 'full') return fn;
  return (v: KernelValue): KernelValue => {
    const out = fn(v);
    return isList(out) ? out.map(reduceToDiagonal) : reduceToDiagonal(out);
  };
}

/** Refuses a 'diagonal' record where a layer needs every spatial pair (pooling): an internal binding error. */
export function requireFull(b: KernelBlock, name: string): void {
  if (b.mode !== 'full' && b.spatial.length > 0) throw new Error(`internal: ${name} was handed a 'diagonal' record; it needs 'full'`);
}

/** A layer that takes only spatial inputs refuses a flat one in one line. */
export function requireSpatial(spatial: readonly number[] | undefined, name: string, rank?: number): readonly number[] {
  if (!spatial || spatial.length === 0) throw new SpecError(`${name} needs a spatial input (images N×H×W×C), got flat vectors`);
  if (rank !== undefined && spatial.length !== rank) {
    throw new SpecError(`${name} is ${rank}-D, got an input of spatial shape ${formatSpatial(spatial)}`);
  }
  return spatial;
}

/**
 * A flat record (one entry per pair and per point) from a spatial one, each entry the mean of `count` of the
 * block's entries picked by `at(p)` (p < count) within the pair's (or point's) run of `stride` entries. Flatten
 * (the spatial diagonal) and globalAvgPool (every position pair) differ only in which entries they average.
 */
export function meanOverEntries(b: KernelBlock, stride: number, count: number, at: (p: number) => number): KernelBlock {
  const mean = (a: Float64Array | null, n: number): Float64Array | null => {
    if (a === null) return null;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let p = 0; p < count; p++) sum += a[i * stride + at(p)];
      out[i] = sum / count;
    }
    return out;
  };
  return diagonalRecord(b, [], mean);
}

/**
 * A 'diagonal' record with the given spatial extent whose six parts are `map(part, count)` of b's, where count is
 * the number of pairs (nngp, ntk) or points (cov1/ntk1, cov2/ntk2) the part holds; null parts stay null.
 */
function diagonalRecord(b: KernelBlock, spatial: readonly number[], map: (a: Float64Array | null, n: number) => Float64Array | null): KernelBlock {
  return {
    nr: b.nr,
    nc: b.nc,
    spatial,
    mode: 'diagonal',
    nngp: map(b.nngp, b.nr * b.nc)!,
    ntk: map(b.ntk, b.nr * b.nc),
    cov1: map(b.cov1, b.nr)!,
    ntk1: map(b.ntk1, b.nr),
    cov2: map(b.cov2, b.nc)!,
    ntk2: map(b.ntk2, b.nc),
  };
}
