/**
 * `ntk scan --kernel K.npy --kernel-test Ktest.npy --y Y.npy --y-test Ytest.npy`: the λ scan on kernels already on
 * disk (`ntk kernel --out-of-core`, or the parts of `--tile i/n`), read in row blocks by the Krylov solver. Θ is
 * never allocated: memory is the read buffers plus the solver's basis (n×s for s basis vectors), estimated and
 * checked against --max-memory before the first read. The spectral solver needs Θ in memory; it is taken only when
 * the whole problem fits the memory limit, and refused otherwise.
 */
import { eigenbasis } from '../dynamics/eigenbasis.js';
import { krylovScanMemoryBytes } from '../dynamics/krylovMemory.js';
import type { SpectrumClip } from '../dynamics/psdSpectrum.js';
import { encodeTargets, type TargetEncoding } from '../experiments/dataset.js';
import { chooseScanSolver, krylovLambdaScan, lambdaScan, type ScanResult } from '../experiments/lambdaScan.js';
import { readMatrix } from '../io/npy.js';
import { openKernelSource, type KernelSource } from '../kernels/kernelSource.js';
import { flowMemoryBytes, formatBytes } from '../kernels/memory.js';
import type { Mat } from '../linalg/matrix.js';
import type { RowBlockSource } from '../linalg/rowBlocks.js';
import { assertFinite, InputError } from '../util/errors.js';

/** Default largest Krylov basis (vectors) of an on-disk scan; the bundled digits need ~200–300 (docs/design/krylov-flow.md). */
export const DEFAULT_MAX_BASIS = 2000;

/** What {@link scanOnDisk} needs from the command line. */
export interface OnDiskScanOptions {
  /** Train kernel Θ(X, X): K.npy, a target with parts beside it, or a folder of parts. */
  kernel: string;
  /** Test–train kernel Θ(X*, X), m×n, in the same forms. */
  kernelTest?: string;
  /** Targets files (n×k or n integer labels; m×k or m labels). */
  y?: string;
  yTest?: string;
  /** Encoding of label targets. */
  targets: TargetEncoding;
  lambdas: readonly number[];
  /** L of the flow (homogeneity degree, or 1 for --model linear). */
  depth: number;
  /** auto | spectral | krylov. */
  solver: string;
  /** Krylov tolerance (relative, train and test MSE). */
  tol: number;
  /** Largest Krylov basis (default min(n, DEFAULT_MAX_BASIS)). */
  maxBasis?: number;
  regularize?: boolean;
  maxMemoryBytes: number;
  /** Points per λ on the λ·t grid [1e-3, 1e2]. */
  times: number;
  /** Progress lines on stderr (one per pass over a kernel file and one per basis check). */
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

/** The scan and what results files say about it. */
export interface OnDiskScanRun {
  result: ScanResult;
  spectrum: SpectrumClip;
  solver: Record<string, unknown>;
  n: number;
  m: number;
  k: number;
  /** Stored dtype of the train and test kernels (the computation is float64). */
  kernelDtype: { train: 'float64' | 'float32'; test: 'float64' | 'float32' };
  description: string;
  /** The memory estimate checked against --max-memory (bytes). */
  memoryEstimate: number;
}

/**
 * Wraps a source so that every completed pass over its rows (a read ending at the last row) is reported with the
 * pass number and the seconds it took.
 */
export function withPassLog(src: RowBlockSource, onPass: (pass: number, seconds: number) => void): RowBlockSource {
  let pass = 0;
  let t0 = -1;
  return {
    rows: src.rows,
    cols: src.cols,
    maxBlockRows: src.maxBlockRows,
    readRows(start: number, count: number): Mat {
      if (t0 < 0) t0 = Date.now();
      const out = src.readRows(start, count);
      if (start + count === src.rows) {
        pass++;
        onPass(pass, (Date.now() - t0) / 1000);
        t0 = -1;
      }
      return out;
    },
    close: () => src.close(),
  };
}

/** The whole matrix of a source in memory (rows×cols float64): only for problems the memory check let through. */
function loadAll(src: RowBlockSource): Mat {
  const data = new Float64Array(src.rows * src.cols);
  for (let r = 0; r < src.rows; r += src.maxBlockRows) {
    const c = Math.min(src.maxBlockRows, src.rows - r);
    data.set(src.readRows(r, c).data, r * src.cols);
  }
  return { rows: src.rows, cols: src.cols, data };
}

/**
 * Runs the λ scan on on-disk kernels (see the module comment). Bad input (a missing file, a non-square train
 * kernel, shapes that disagree with each other or with Y, a memory estimate over the limit) is a one-line
 * InputError before any kernel row is read.
 */
export function scanOnDisk(o: OnDiskScanOptions): OnDiskScanRun {
  if (o.kernelTest === undefined) throw new InputError('--kernel needs --kernel-test (the test–train kernel Θ(X*, X), m×n) for the test curves');
  if (o.y === undefined || o.yTest === undefined) throw new InputError('--kernel needs --y and --y-test (targets or integer labels of the train and test points)');
  const yRaw = readMatrix(o.y, { name: 'Y (--y)' });
  const ytRaw = readMatrix(o.yTest, { name: 'Y test (--y-test)' });
  assertFinite(yRaw, 'Y (--y)');
  assertFinite(ytRaw, 'Y test (--y-test)');
  const targets = encodeTargets(yRaw, ytRaw, { targets: o.targets, maxMemoryBytes: o.maxMemoryBytes });
  const opened: KernelSource[] = [];
  try {
    const train = openKernelSource(o.kernel, 'the train kernel (--kernel)');
    opened.push(train);
    const test = openKernelSource(o.kernelTest, 'the test kernel (--kernel-test)');
    opened.push(test);
    const n = train.source.rows;
    const m = test.source.rows;
    const k = targets.y.cols;
    if (train.source.cols !== n) throw new InputError(`the train kernel (--kernel) must be square (n×n), got ${n}×${train.source.cols}`);
    if (test.source.cols !== n) throw new InputError(`the test kernel (--kernel-test) must be m×${n} (test × train, n = ${n} from --kernel), got ${m}×${test.source.cols}`);
    if (targets.y.rows !== n) throw new InputError(`Y (--y) has ${targets.y.rows} rows but the train kernel (--kernel) is ${n}×${n}`);
    if (targets.yTest.rows !== m) throw new InputError(`Y test (--y-test) has ${targets.yTest.rows} rows but the test kernel (--kernel-test) has ${m}`);
    const description = `kernels ${train.description} and ${test.description}; targets ${o.y}, ${o.yTest}: ${targets.description}`;
    const solver = chooseScanSolver(o.solver, n);
    const grid: [number, number, number] = [1e-3, 1e2, o.times];
    const kernelDtype = { train: train.dtype, test: test.dtype };
    if (solver === 'spectral') {
      const need = flowMemoryBytes({ n, m, k, times: o.times, lambdas: o.lambdas.length });
      if (need > o.maxMemoryBytes) {
        throw new InputError(
          `--solver spectral loads the kernels into memory: n = ${n}, m = ${m} needs about ${formatBytes(need)}, over the memory limit of ${formatBytes(o.maxMemoryBytes)}; ` +
            'use --solver krylov (reads the files in row blocks) or raise --max-memory',
        );
      }
      o.log?.(`loading ${train.description} and ${test.description} into memory for the spectral solver (${formatBytes(need)})`);
      const eb = eigenbasis({ thetaTrain: loadAll(train.source), thetaTest: loadAll(test.source), y: targets.y, yTest: targets.yTest }, undefined, { regularize: o.regularize });
      const result = lambdaScan(eb, o.lambdas, o.depth, { onProgress: o.onProgress, lambdaTimeGrid: grid });
      return { result, spectrum: eb.spectrum, solver: { name: 'spectral', onDisk: true }, n, m, k, kernelDtype, description, memoryEstimate: need };
    }
    const maxBasis = o.maxBasis ?? Math.min(n, DEFAULT_MAX_BASIS);
    if (!Number.isSafeInteger(maxBasis) || maxBasis < 1) throw new InputError(`--max-basis must be a positive integer, got ${maxBasis}`);
    const memoryEstimate = krylovScanMemoryBytes({ n, m, k, maxBasis: Math.min(maxBasis, n), times: o.times, lambdas: o.lambdas.length, readBufferBytes: train.bufferBytes + test.bufferBytes });
    if (memoryEstimate > o.maxMemoryBytes) {
      throw new InputError(
        `the Krylov scan on disk (n = ${n}, m = ${m}, k = ${k}, basis up to ${Math.min(maxBasis, n)} vectors) needs about ${formatBytes(memoryEstimate)}, ` +
          `over the memory limit of ${formatBytes(o.maxMemoryBytes)}; lower --max-basis or raise --max-memory`,
      );
    }
    const gb = (s: KernelSource) => formatBytes(s.source.rows * s.source.cols * (s.dtype === 'float32' ? 4 : 8));
    o.log?.(
      `Krylov scan on disk: n = ${n}, m = ${m}, k = ${k}; memory bound ${formatBytes(memoryEstimate)} (read buffers ${formatBytes(train.bufferBytes + test.bufferBytes)} + basis of up to ${Math.min(maxBasis, n)} vectors); ` +
        `each pass reads ${gb(train)} (train) or ${gb(test)} (test)`,
    );
    const started = Date.now();
    const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
    const trainSrc = withPassLog(train.source, (p, s) => o.log?.(`pass ${p} over the train kernel: ${s.toFixed(1)} s (${elapsed()} s in all)`));
    const testSrc = withPassLog(test.source, (p, s) => o.log?.(`pass ${p} over the test kernel: ${s.toFixed(1)} s (${elapsed()} s in all)`));
    const kr = krylovLambdaScan({ train: trainSrc, test: testSrc, y: targets.y, yTest: targets.yTest }, o.lambdas, o.depth, {
      onProgress: o.onProgress,
      lambdaTimeGrid: grid,
      tol: o.tol,
      maxSize: maxBasis,
      regularize: o.regularize,
      onCheck: (c) => o.log?.(`basis ${c.size} vectors: error estimate ${Number.isNaN(c.estimate) ? '— (first check)' : c.estimate.toPrecision(2)} (tolerance ${o.tol})`),
    });
    const { size, estimate, converged, passes } = kr.krylov;
    const solverInfo = { name: 'krylov', onDisk: true, tolerance: o.tol, maxBasis, basisSize: size, errorEstimate: estimate, converged, passes, memoryEstimateBytes: memoryEstimate };
    return { result: kr, spectrum: kr.krylov.spectrum, solver: solverInfo, n, m, k, kernelDtype, description, memoryEstimate };
  } finally {
    for (const s of opened) s.source.close();
  }
}
