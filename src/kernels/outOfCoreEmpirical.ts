/**
 * Out-of-core EMPIRICAL kernels: the tile source (see TileSource in outOfCoreKernel.ts) that makes a row tile the
 * Monte Carlo mean, over the same seeded finite networks as the in-memory `ntk kernel --empirical`, of the empirical
 * NTK or NNGP of rows [r0, r1) of X1 against all of X2 (or of X1). Every network is re-created from its seed in every
 * tile (initParams is deterministic), so the tiles concatenate to the in-memory kernel up to float32 rounding (tfjs
 * batches the tile's rows differently from the whole set; test/kernels/outOfCoreEmpirical.test.ts measures it).
 */
import type { NetworkInputs } from '../data/inputs.js';
import { flatInputs, isShaped } from '../data/inputs.js';
import { InputError } from '../util/errors.js';
import { bindFinite } from '../layers/network.js';
import type { NetworkSpec } from '../layers/types.js';
import { rowSquaredNorms } from '../linalg/matrix.js';
import type { Linalg } from '../linalg/types.js';
import type { TfBackendName } from '../tfjs/backendNames.js';
import type { EmpiricalMethod } from './empirical.js';
import { monteCarloKernel } from './monteCarlo.js';
import { sliceInputs, type TileSource } from './outOfCoreKernel.js';

/** Settings of the empirical tiles: those of `ntk kernel --empirical` (the width is already in the network). */
export interface EmpiricalTileSettings {
  /** Which kernel. */
  get: 'ntk' | 'nngp';
  /** Number of seeded networks averaged (S ≥ 1). */
  seeds: number;
  /** Network s uses seed seed0 + s. */
  seed0: number;
  /** structured or jacobian. */
  method: EmpiricalMethod;
  /** tfjs backend (does not enter the identity: the bits may differ by float32 rounding across backends, the kernel does not). */
  backend?: TfBackendName;
  /** Width given on the command line (recorded in the identity; the network `net` already has it). */
  width?: number;
  /** Float64 linear algebra of the Jacobian method. */
  linalg?: Linalg;
}

/**
 * Peak working bytes of one empirical tile of `rows` rows against `n2` columns: the in-memory estimate of
 * src/kernels/empirical.ts (structured) or src/kernels/jacobianNtk.ts (jacobian) for a (rows, n2) non-symmetric
 * call, plus the Monte Carlo accumulators (mean and M2 of NTK and NNGP, two standard errors: 6 float64 rows×n2).
 */
export function empiricalTileBytes(net: NetworkSpec, x2: NetworkInputs, rows: number, n2: number, method: EmpiricalMethod): number {
  const shape = isShaped(x2) ? { spatial: x2.shape.slice(1, -1), width: x2.shape[x2.shape.length - 1] } : x2.cols;
  const b = bindFinite(net, shape);
  const k = b.outputDim;
  const mc = 6 * 8 * rows * n2;
  if (method === 'jacobian') return 4 * (rows + n2) * b.paramCount + 8 * rows * n2 * 2 + mc;
  const maxWidth = Math.max(...b.widths);
  const act = b.widths.reduce((s, w) => s + w, 0) * (rows + n2);
  return 4 * (act + 3 * k * maxWidth * (rows + n2) + 4 * rows * n2) + 8 * rows * n2 * 2 + 4 * b.paramCount + mc;
}

/**
 * The empirical tile source: `net` (widths as trained), X1, and X2 (undefined: X1 against itself).
 * Each tile is monteCarloKernel on X1[r0:r1] against all of X2 with the given seeds; non-finite entries are refused.
 */
export function empiricalTiles(net: NetworkSpec, x1: NetworkInputs, x2: NetworkInputs | undefined, s: EmpiricalTileSettings): TileSource {
  const other = x2 ?? x1;
  return {
    identity: { source: 'empirical', seeds: s.seeds, seed0: s.seed0, method: s.method, width: s.width ?? 'spec' },
    memoryBytes: (rows, n2) => empiricalTileBytes(net, other, rows, n2, s.method),
    async tile(r0, r1) {
      const res = await monteCarloKernel(net, sliceInputs(x1, r0, r1), other, {
        seeds: s.seeds,
        seed0: s.seed0,
        method: s.method,
        backend: s.backend,
        maxMemoryBytes: Number.MAX_SAFE_INTEGER, // bounded by the tile budget instead
        linalg: s.linalg,
      });
      const k = (s.get === 'ntk' ? res.ntk : res.nngp).data;
      // finite networks overflow too (float32 products): nothing non-finite reaches the file, as in memory
      const cols = k.length / (r1 - r0);
      for (let q = 0; q < k.length; q++) {
        const v = k[q];
        if (v - v !== 0) {
          const i = Math.floor(q / cols);
          throw new InputError(
            `empirical ${s.get.toUpperCase()} is not finite at row ${r0 + i}, column ${q - i * cols} (value ${v}): the inputs are too large ` +
              `(max |x|² = ${maxSquaredNorm(x1, x2).toPrecision(3)}); rescale them (e.g. to |x|² ≈ d)`,
          );
        }
      }
      return k;
    },
  };
}

/**
 * Largest |x|² over the rows of X1 and X2 (images flattened), for overflow messages.
 * @param a - X1
 * @param b - X2 (optional)
 * @returns max over rows of the squared norm
 */
export function maxSquaredNorm(a: NetworkInputs, b: NetworkInputs | undefined): number {
  let max = 0;
  for (const x of (b ? [a, b] : [a]).map(flatInputs)) for (const s of rowSquaredNorms(x)) max = Math.max(max, s);
  return max;
}
