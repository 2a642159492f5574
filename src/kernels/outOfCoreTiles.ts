/**
 * The flat-input tile engine of the out-of-core kernels: rows [r0, r1) of an N1×N2 analytic kernel, computed exactly
 * as analyticKernel computes a block of X1 against X2 (one gemm for the input covariance x·x'/d, then the tiled layer
 * recursions of src/kernels/recursion.ts, on the calling thread or the shared worker pool), but into shared buffers
 * allocated once for the largest tile and reused for every tile. (Fresh buffers per tile, as a one-shot call makes,
 * stay alive in the idle workers until their garbage collector runs, so memory would grow tile after tile.)
 */
import { availableParallelism } from 'node:os';
import { isBuiltin } from '../layers/builtin.js';
import { specToJson } from '../layers/json.js';
import { bindKernel } from '../layers/serial.js';
import type { KernelFn, NetworkSpec } from '../layers/types.js';
import { rowSquaredNorms, type Mat } from '../linalg/matrix.js';
import type { Linalg } from '../linalg/types.js';
import { getLinalg } from '../linalg/index.js';
import { assertFinite } from '../util/errors.js';
import { assertFiniteKernel, checkSquaredNorms } from './finiteKernel.js';
import type { KernelWorkerData } from './kernelWorker.js';
import { computeRows, selfParts, splitRows, TILE } from './recursion.js';
import { prestartKernelWorkers, runKernelTasks } from './workerPool.js';

/** Below this many entry-layer updates a tile is computed inline (analytic.ts uses the same threshold). */
const INLINE_WORK = 2_000_000;

/** Computes row tiles of one flat-input kernel; see the module comment. */
export interface FlatTileEngine {
  /**
   * Rows [r0, r1) (at most `maxRows`) as a float64 (r1−r0)×N2 view of the engine's buffer, valid until the next
   * call. With X2 = X1 the diagonal entries are the self parts (the exact θ = 0 formulas), as in the in-memory
   * symmetric kernel. Throws an InputError if an entry overflowed.
   */
  tile(r0: number, r1: number): Promise<Float64Array>;
}

/**
 * A tile engine for the NTK or NNGP of `spec` between the rows of x1 and x2 (x1 against itself when x2 is undefined),
 * for tiles of at most `maxRows` rows. Checks the inputs (finite, |x|² not overflowing) once, up front.
 */
export function flatTileEngine(
  spec: NetworkSpec,
  x1: Mat,
  x2: Mat | undefined,
  get: 'ntk' | 'nngp',
  maxRows: number,
  opts: { threads?: number; linalg?: Linalg } = {},
): FlatTileEngine {
  const other = x2 ?? x1;
  assertFinite(x1, 'X1');
  if (x2) assertFinite(x2, 'X2');
  const d = x1.cols;
  const n2 = other.rows;
  const fn: KernelFn = bindKernel(spec, d);
  const norms1 = rowSquaredNorms(x1);
  const norms2 = x2 ? rowSquaredNorms(x2) : norms1;
  const maxSq = Math.max(checkSquaredNorms(norms1, 'X1'), x2 ? checkSquaredNorms(norms2, 'X2') : 0);
  const linalg = opts.linalg ?? getLinalg();
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const inline = threads === 1 || maxRows * n2 * spec.layers.length < INLINE_WORK || !spec.layers.every(isBuiltin);
  const kShared = new SharedArrayBuffer(8 * maxRows * n2);
  const tShared = get === 'ntk' ? new SharedArrayBuffer(8 * maxRows * n2) : null;
  const json = inline ? null : specToJson(spec);
  if (!inline) prestartKernelWorkers(Math.min(threads, Math.ceil(maxRows / TILE)));
  const self = x2 === undefined ? selfParts(fn, norms1, d) : null;

  return {
    async tile(r0: number, r1: number): Promise<Float64Array> {
      const rows = r1 - r0;
      if (!(rows >= 1 && rows <= maxRows)) throw new RangeError(`tile rows [${r0}, ${r1}) outside 1..${maxRows}`);
      const block: Mat = { rows, cols: d, data: x1.data.subarray(r0 * d, r1 * d) };
      const m = rows * n2;
      const k = new Float64Array(kShared, 0, m);
      const t = tShared ? new Float64Array(tShared, 0, m) : null;
      // the input covariance, exactly as analyticKernel forms it for X1 ≠ X2
      k.set(linalg.gemm(block, other, { transB: true, alpha: 1 / d }).data);
      t?.fill(0);
      const blockNorms = norms1.subarray(r0, r1);
      if (inline) {
        computeRows({ fn, norms1: blockNorms, norms2, inputDim: d }, n2, k, t, { r0: 0, r1: rows, symmetric: false });
      } else {
        const tasks: KernelWorkerData[] = splitRows(rows, threads, false).map((task) => ({
          kind: 'flat',
          spec: json!,
          inputDim: d,
          n2,
          k: kShared,
          t: tShared,
          norms1: blockNorms.slice(),
          norms2,
          task,
        }));
        await runKernelTasks(tasks, () => undefined);
      }
      const out = get === 'ntk' ? t! : k;
      if (self) {
        const diag = get === 'ntk' ? self.ntk : self.nngp;
        for (let i = 0; i < rows; i++) out[i * n2 + r0 + i] = diag[r0 + i];
      }
      assertFiniteKernel({ rows, cols: n2, data: out }, get.toUpperCase(), maxSq);
      return out;
    },
  };
}

