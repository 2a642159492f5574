import { availableParallelism } from 'node:os';
import { isBuiltin } from '../layers/builtin.js';
import { bindKernel, bindKernelShaped } from '../layers/serial.js';
import type { Images } from '../data/images.js';
import { computeImageKernel, imageKernelMemoryBytes, imageTiling, inputEntriesPerPair, type ImageJob } from './spatialEngine.js';
import { specToJson } from '../layers/json.js';
import type { KernelFn, NetworkSpec } from '../layers/types.js';
import { getLinalg } from '../linalg/index.js';
import type { Linalg } from '../linalg/types.js';
import { checkMatArgument, rowSquaredNorms, type Mat } from '../linalg/matrix.js';
import { InputError, assertFinite } from '../util/errors.js';
import type { ImageKernelWorkerData, KernelWorkerData } from './kernelWorker.js';
import { kernelWorkersReady, prestartKernelWorkers, runKernelTasks } from './workerPool.js';
import { runningFromSource } from '../util/workers.js';
import { assertFiniteKernel, checkSquaredNorms } from './finiteKernel.js';
import { inputGramInto } from './inputGram.js';
import { sharedFloat64 } from './sharedBuffer.js';
import { checkMemory, defaultMemoryLimit, kernelMemoryBytes, type KernelGet } from './memory.js';
import { TILE, computeRows, selfParts, splitRows, type EngineInput, type RowTask } from './recursion.js';

/** Options of the analytic kernels (`analyticKernel`, `ntkKernel`, `nngpKernel`, `kernelDiagonal`): which kernels, memory ceiling, threads, progress. */
export interface KernelOptions {
  /** Which kernels to compute (default 'both'). */
  get?: KernelGet;
  /** Refuse calls whose estimated peak memory exceeds this (default: half the RAM, at most 8 GiB). */
  maxMemoryBytes?: number;
  /** Worker threads (default: available cores). 1 computes on the calling thread. */
  threads?: number;
  /** Called with (rows done, total rows) as the work proceeds. */
  onProgress?: (done: number, total: number) => void;
  /** Linear-algebra backend for the input Gram matrix (default: the best available). */
  linalg?: Linalg;
}

/** Analytic kernels between the rows of X1 and X2, float64, each N1×N2 (row-major); null where not asked for. */
export interface KernelResult {
  /** The NNGP K, N1×N2 (null when not asked for). */
  nngp: Mat | null;
  /** The NTK Θ, N1×N2 (null when not asked for). */
  ntk: Mat | null;
}

/**
 * The result typed by what `get` asked for: 'both' (the default) has both kernels, 'ntk' the NTK (nngp null),
 * 'nngp' the NNGP (ntk null), so `(await analyticKernel(spec, x)).ntk` is a Mat without a `!`.
 */
export type KernelResultFor<G extends KernelGet> = G extends 'ntk'
  ? { ntk: Mat; nngp: null }
  : G extends 'nngp'
    ? { nngp: Mat; ntk: null }
    : { nngp: Mat; ntk: Mat };

/** KernelOptions with `get` narrowed to G, so the result type follows it. */
export type KernelOptionsFor<G extends KernelGet> = Omit<KernelOptions, 'get'> & { get?: G };

/** Below this many entry-layer updates the work is done inline: starting workers costs more. */
const INLINE_WORK = 2_000_000;

/**
 * The analytic NNGP and NTK of `spec` between the rows of `x1` (N1×d) and `x2` (N2×d, default X1), float64.
 * Input covariance x·x'/d, then the layer recursions (see each layer's module and docs/guide.md "Kernels and parameterizations").
 * The work is split by rows over worker threads sharing the output; X2 = X1 computes one triangle and mirrors
 * it, with the diagonal from the self parts (the exact θ = 0 formulas). A spec holding a layer written in user code is computed
 * on the calling thread (workers cannot rebuild it): same numbers, one core.
 * @param spec - the network (NTK parameterization unless the spec says 'standard')
 * @param x1 - N1×d inputs (rows are points), or N1×H×W×C images
 * @param x2 - N2×d inputs or images (default: x1, which computes one triangle and mirrors it)
 * @param opts - which kernels (`get`, default both), memory ceiling (refused up front beyond it), threads, progress
 * @returns NNGP K and NTK Θ, each N1×N2 float64 row-major (null when not asked for)
 * @throws InputError for bad inputs or beyond the memory ceiling; SpecError for a spec without a kernel
 */
export async function analyticKernel<G extends KernelGet = 'both'>(
  spec: NetworkSpec,
  x1: Mat | Images,
  x2?: Mat | Images,
  opts: KernelOptionsFor<G> = {},
): Promise<KernelResultFor<G>> {
  return (await analyticKernelUntyped(spec, x1, x2, opts)) as KernelResultFor<G>;
}

async function analyticKernelUntyped(spec: NetworkSpec, x1: Mat | Images, x2: Mat | Images | undefined, opts: KernelOptions): Promise<KernelResult> {
  checkInputArguments(x1, x2);
  if (isImages(x1) || (x2 !== undefined && isImages(x2))) return imageKernel(spec, x1, x2, opts);
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const symmetric = x2 === undefined || x2 === x1;
  const work = (x1.rows * (symmetric ? x1.rows : x2.rows) * spec.layers.length) / (symmetric ? 2 : 1);
  // worker threads rebuild the spec from JSON: only ntk-l2's own layers can be rebuilt there
  const inline = threads === 1 || work < INLINE_WORK || !spec.layers.every(isBuiltin);
  // the workers load their modules while this thread computes the Gram matrix; from the TypeScript sources they fork
  // while starting (tsx's esbuild), which must not overlap a threaded BLAS call here: wait for them (workerPool.ts)
  if (!inline) {
    prestartKernelWorkers(Math.min(threads, Math.ceil(x1.rows / TILE)));
    if (runningFromSource) await kernelWorkersReady();
  }
  const prep = prepare(spec, x1, x2, opts);
  if (inline) {
    runInline(prep, opts);
  } else {
    await runWorkers(spec, prep, threads, opts);
  }
  return finish(prep, opts.get ?? 'both');
}

/**
 * Synchronous, single-threaded version of `analyticKernel` (same numbers, bit for bit).
 * @param spec - the network (NTK parameterization unless the spec says 'standard')
 * @param x1 - N1×d inputs (rows are points), or N1×H×W×C images
 * @param x2 - N2×d inputs or images (default: x1, which computes one triangle and mirrors it)
 * @param opts - which kernels (`get`), memory ceiling (refused up front beyond it), threads, progress
 * @returns NNGP K and NTK Θ, each N1×N2 float64 (null when not asked for)
 */
export function analyticKernelSync<G extends KernelGet = 'both'>(
  spec: NetworkSpec,
  x1: Mat | Images,
  x2?: Mat | Images,
  opts: KernelOptionsFor<G> = {},
): KernelResultFor<G> {
  checkInputArguments(x1, x2);
  if (isImages(x1) || (x2 !== undefined && isImages(x2))) return imageKernelSync(spec, x1, x2, opts) as KernelResultFor<G>;
  const prep = prepare(spec, x1, x2, opts);
  runInline(prep, opts);
  return finish(prep, opts.get ?? 'both') as KernelResultFor<G>;
}

/**
 * The NTK alone, N1×N2 float64.
 * @param spec - the network (NTK parameterization unless the spec says 'standard')
 * @param x1 - N1×d inputs (rows are points), or N1×H×W×C images
 * @param x2 - N2×d inputs or images (default: x1, which computes one triangle and mirrors it)
 * @param opts - memory ceiling (refused up front beyond it), threads, progress
 * @returns Θ(x1_i, x2_j), N1×N2 float64 row-major
 */
export async function ntkKernel(spec: NetworkSpec, x1: Mat | Images, x2?: Mat | Images, opts: Omit<KernelOptions, 'get'> = {}): Promise<Mat> {
  return (await analyticKernel(spec, x1, x2, { ...opts, get: 'ntk' })).ntk;
}

/**
 * The NNGP alone, N1×N2 float64.
 * @param spec - the network (NTK parameterization unless the spec says 'standard')
 * @param x1 - N1×d inputs (rows are points), or N1×H×W×C images
 * @param x2 - N2×d inputs or images (default: x1, which computes one triangle and mirrors it)
 * @param opts - memory ceiling (refused up front beyond it), threads, progress
 * @returns K(x1_i, x2_j), N1×N2 float64 row-major
 */
export async function nngpKernel(spec: NetworkSpec, x1: Mat | Images, x2?: Mat | Images, opts: Omit<KernelOptions, 'get'> = {}): Promise<Mat> {
  return (await analyticKernel(spec, x1, x2, { ...opts, get: 'nngp' })).nngp;
}

/**
 * The diagonals K(x_i, x_i) and Θ(x_i, x_i) alone, float64. Flat inputs: O(N·d) time, O(N) memory. Images
 * (N×H×W×C): one point at a time through the spatial engine, O(N) pairs instead of N², memory of one pair's
 * spatial covariances; `opts.maxMemoryBytes` bounds that, `opts.onProgress(done, N)` reports points.
 * @param spec - the network
 * @param x - N×d inputs or N×H×W×C images
 * @param opts - memory ceiling and progress
 * @returns K(x_i, x_i) and Θ(x_i, x_i), each of length N, float64
 */
export function kernelDiagonal(
  spec: NetworkSpec,
  x: Mat | Images,
  opts: Pick<KernelOptions, 'maxMemoryBytes' | 'onProgress'> = {},
): { nngp: Float64Array; ntk: Float64Array } {
  checkMatArgument(x, 'X');
  if (isImages(x)) return imageDiagonal(spec, x, opts);
  checkInput(x, 'X');
  const fn = bindKernel(spec, x.cols);
  const norms = rowSquaredNorms(x);
  const maxSq = checkSquaredNorms(norms, 'X');
  const { nngp, ntk } = selfParts(fn, norms, x.cols);
  assertFiniteKernel({ rows: nngp.length, cols: 1, data: nngp }, 'NNGP diagonal', maxSq);
  assertFiniteKernel({ rows: ntk.length, cols: 1, data: ntk }, 'NTK diagonal', maxSq);
  return { nngp, ntk };
}

interface Prepared {
  n1: number;
  n2: number;
  d: number;
  symmetric: boolean;
  /** Whether the NNGP is asked for (else the symmetric tiles leave the input covariance in kBuf). */
  wantNngp: boolean;
  kBuf: Float64Array;
  tBuf: Float64Array | null;
  /** The network's kernel and the inputs' squared norms (the self parts start from them in every tile). */
  engine: EngineInput;
  /** Largest |x|² over X1 and X2, for the overflow message. */
  maxSqNorm: number;
}

function prepare(spec: NetworkSpec, x1: Mat, x2: Mat | undefined, opts: KernelOptions): Prepared {
  const get = opts.get ?? 'both';
  if (get !== 'nngp' && get !== 'ntk' && get !== 'both') throw new InputError(`get must be "nngp", "ntk" or "both", got "${String(get)}"`);
  checkInput(x1, 'X1');
  const symmetric = x2 === undefined || x2 === x1;
  const other = symmetric ? x1 : x2;
  if (!symmetric) {
    checkInput(other, 'X2');
    if (other.cols !== x1.cols) {
      throw new InputError(`X1 and X2 have different input dimensions: X1 is ${x1.rows}×${x1.cols}, X2 is ${other.rows}×${other.cols}`);
    }
  }
  const n1 = x1.rows;
  const n2 = other.rows;
  const d = x1.cols;
  const fn = bindKernel(spec, d);
  // Inputs whose |x|² overflows are refused before any work (the whole kernel would be Inf/NaN).
  const norms1 = rowSquaredNorms(x1);
  const norms2 = symmetric ? norms1 : rowSquaredNorms(other);
  const maxSqNorm = Math.max(checkSquaredNorms(norms1, 'X1'), symmetric ? 0 : checkSquaredNorms(norms2, 'X2'));
  checkMemory(
    kernelMemoryBytes(n1, n2, d, spec.layers.length, get),
    opts.maxMemoryBytes ?? defaultMemoryLimit(),
    `the ${n1}×${n2} ${get === 'both' ? 'NNGP and NTK' : get.toUpperCase()}`,
  );
  const linalg = opts.linalg ?? getLinalg();
  // Input covariance x·x'/d: one BLAS call (syrk when symmetric: its lower triangle) into memory the workers share.
  const kBuf = sharedFloat64(n1 * n2);
  inputGramInto(linalg, x1, symmetric ? null : other, kBuf);
  const wantNtk = get !== 'nngp';
  const tBuf = wantNtk ? sharedFloat64(n1 * n2) : null;
  return { n1, n2, d, symmetric, wantNngp: get !== 'ntk', kBuf, tBuf, maxSqNorm, engine: { fn, norms1, norms2, inputDim: d } };
}

function runInline(p: Prepared, opts: KernelOptions): void {
  let done = 0;
  const task: RowTask = { r0: 0, r1: p.n1, symmetric: p.symmetric, writeNngp: p.wantNngp };
  computeRows(p.engine, p.n2, p.kBuf, p.tBuf, task, (rows) => {
    done += rows;
    opts.onProgress?.(done, p.n1);
  });
}

function runWorkers(spec: NetworkSpec, p: Prepared, threads: number, opts: KernelOptions): Promise<void> {
  const json = specToJson(spec);
  const tasks: KernelWorkerData[] = splitRows(p.n1, threads, p.symmetric).map((task) => ({
    kind: 'flat',
    spec: json,
    inputDim: p.d,
    n2: p.n2,
    k: p.kBuf.buffer as SharedArrayBuffer,
    t: p.tBuf ? (p.tBuf.buffer as SharedArrayBuffer) : null,
    norms1: p.engine.norms1,
    norms2: p.engine.norms2,
    task: { ...task, writeNngp: p.wantNngp },
  }));
  let done = 0;
  return runKernelTasks(tasks, (rows) => {
    done += rows;
    opts.onProgress?.(done, p.n1);
  });
}

/** The requested kernels, refused (InputError) if any entry overflowed: no caller ever sees an Inf/NaN kernel. */
function finish(p: Prepared, get: KernelGet): KernelResult {
  const asMat = (buf: Float64Array): Mat => ({ rows: p.n1, cols: p.n2, data: buf });
  const result: KernelResult = {
    nngp: get === 'ntk' ? null : asMat(p.kBuf),
    ntk: p.tBuf && get !== 'nngp' ? asMat(p.tBuf) : null,
  };
  if (result.nngp) assertFiniteKernel(result.nngp, 'NNGP', p.maxSqNorm);
  if (result.ntk) assertFiniteKernel(result.ntk, 'NTK', p.maxSqNorm);
  return result;
}

/** X1 and X2 are Mats or Images, not JS arrays (refused saying what to pass). */
function checkInputArguments(x1: unknown, x2: unknown): void {
  checkMatArgument(x1, x2 === undefined ? 'X' : 'X1');
  if (x2 !== undefined) checkMatArgument(x2, 'X2');
}

function checkInput(x: Mat, name: string): void {
  if (x.rows === 0 || x.cols === 0) throw new InputError(`${name} is empty (${x.rows}×${x.cols}); it needs at least one point and one feature`);
  assertFinite(x, name);
}


/** Whether a kernel input is a batch of images (an N×H×W×C or N×L×C array) rather than an N×d matrix. */
export function isImages(x: Mat | Images): x is Images {
  return 'shape' in x;
}

/** An image kernel call, checked and bound: what the single-threaded and the threaded paths share. */
interface ImageCall {
  job: ImageJob;
  fn: KernelFn;
  n1: number;
  n2: number;
  get: KernelGet;
}

/**
 * Checks an image kernel call (images N×H×W×C, channels last; sequences N×L×C alike), binds the network and refuses
 * up front, with the estimate, a call over the memory limit (the estimate counts the entries per pair P of the input
 * record, S = H·W in 'diagonal' mode and S² in 'full', and one tile per thread).
 */
function prepareImages(spec: NetworkSpec, a: Mat | Images, b: Mat | Images | undefined, opts: KernelOptions, threads: number): ImageCall {
  const get = opts.get ?? 'both';
  if (get !== 'nngp' && get !== 'ntk' && get !== 'both') throw new InputError(`get must be "nngp", "ntk" or "both", got "${String(get)}"`);
  const x1 = checkImages(a, 'X1');
  const symmetric = b === undefined || b === a;
  const x2 = symmetric ? null : checkImages(b, 'X2');
  const n1 = x1.shape[0];
  const spatial = x1.shape.slice(1, -1);
  const c = x1.shape[x1.shape.length - 1];
  if (x2 && x2.shape.slice(1).join('×') !== x1.shape.slice(1).join('×')) {
    throw new InputError(`X1 and X2 have different image shapes: ${x1.shape.join('×')} and ${x2.shape.join('×')}`);
  }
  const n2 = x2 ? x2.shape[0] : n1;
  const { fn, inputMode } = bindKernelShaped(spec, { spatial, width: c });
  const matrices = get === 'nngp' ? 1 : 2;
  checkMemory(
    imageKernelMemoryBytes(n1, n2, inputEntriesPerPair(x1, inputMode), matrices, threads),
    opts.maxMemoryBytes ?? defaultMemoryLimit(),
    `the ${n1}×${n2} ${get === 'both' ? 'NNGP and NTK' : get.toUpperCase()} of ${[...spatial, c].join('×')} images (${inputMode} spatial covariances)`,
  );
  return { job: { inputMode, x1, x2, wantNtk: get !== 'nngp' }, fn, n1, n2, get };
}

/** kernelDiagonal on images: each point's 1×1 kernel, which is the full kernel's diagonal entry (the same self parts). */
function imageDiagonal(spec: NetworkSpec, x: Images, opts: Pick<KernelOptions, 'maxMemoryBytes' | 'onProgress'>): { nngp: Float64Array; ntk: Float64Array } {
  const images = checkImages(x, 'X');
  const n = images.shape[0];
  const per = n > 0 ? images.data.length / n : 0;
  const shape = [1, ...images.shape.slice(1)];
  const point = (i: number): Images => ({ shape, data: images.data.subarray(i * per, (i + 1) * per), dtype: 'float64' });
  const nngp = new Float64Array(n);
  const ntk = new Float64Array(n);
  if (n === 0) return { nngp, ntk };
  // the spec is bound and the memory of one pair checked once; every point is then a 1×1 call of the engine
  const call = prepareImages(spec, point(0), undefined, { get: 'both', ...(opts.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: opts.maxMemoryBytes }) }, 1);
  for (let i = 0; i < n; i++) {
    const { k, t } = computeImageKernel(call.fn, call.job.inputMode, point(i), null, true, () => undefined);
    const r = finishImages(call, k, t);
    nngp[i] = r.nngp!.data[0];
    ntk[i] = r.ntk!.data[0];
    opts.onProgress?.(i + 1, n);
  }
  return { nngp, ntk };
}

/** The image kernel on the calling thread (the spatial engine, src/kernels/spatialEngine.ts). */
function imageKernelSync(spec: NetworkSpec, a: Mat | Images, b: Mat | Images | undefined, opts: KernelOptions): KernelResult {
  const call = prepareImages(spec, a, b, opts, 1);
  let done = 0;
  const { k, t } = computeImageKernel(call.fn, call.job.inputMode, call.job.x1, call.job.x2, call.job.wantNtk, (rows) => {
    done += rows;
    opts.onProgress?.(done, call.n1);
  });
  return finishImages(call, k, t);
}

/** Below this many input-record entries (pairs × P × layers) an image kernel is computed inline: starting workers costs more. */
const INLINE_IMAGE_WORK = 10_000_000;

/**
 * The image kernel on worker threads: strips of tile rows handed out through a shared counter, the outputs in shared
 * memory; each tile is computed exactly as on the calling thread, so the numbers are the same bit for bit. A spec
 * holding a layer written in user code (workers rebuild the spec from JSON and cannot rebuild it) or a small call is
 * computed on the calling thread.
 */
async function imageKernel(spec: NetworkSpec, a: Mat | Images, b: Mat | Images | undefined, opts: KernelOptions): Promise<KernelResult> {
  const requested = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const threaded = requested > 1 && spec.layers.every(isBuiltin);
  const call = prepareImages(spec, a, b, opts, threaded ? requested : 1);
  const { job, n1, n2 } = call;
  const { strips } = imageTiling(job);
  const work = n1 * n2 * inputEntriesPerPair(job.x1, job.inputMode) * spec.layers.length / (job.x2 === null ? 2 : 1);
  const threads = Math.min(requested, strips);
  if (!threaded || threads < 2 || work < INLINE_IMAGE_WORK) return imageKernelSync(spec, a, b, opts);
  const shared = (src: Float64Array): SharedArrayBuffer => {
    const buf = new SharedArrayBuffer(8 * src.length);
    new Float64Array(buf).set(src);
    return buf;
  };
  const kBuf = new SharedArrayBuffer(8 * n1 * n2);
  const tBuf = job.wantNtk ? new SharedArrayBuffer(8 * n1 * n2) : null;
  const data: ImageKernelWorkerData = {
    kind: 'images',
    spec: specToJson(spec),
    inputMode: job.inputMode,
    shape1: [...job.x1.shape],
    x1: shared(job.x1.data),
    shape2: job.x2 ? [...job.x2.shape] : null,
    x2: job.x2 ? shared(job.x2.data) : null,
    k: kBuf,
    t: tBuf,
    counter: new SharedArrayBuffer(4),
  };
  let done = 0;
  await runKernelTasks(
    Array.from({ length: threads }, () => data),
    (rows) => {
      done += rows;
      opts.onProgress?.(done, n1);
    },
  );
  return finishImages(call, new Float64Array(kBuf), tBuf ? new Float64Array(tBuf) : null);
}

/** The requested image kernels, refused (InputError) if any entry overflowed. */
function finishImages(call: ImageCall, k: Float64Array, t: Float64Array | null): KernelResult {
  const { job, n1, n2, get } = call;
  const symmetric = job.x2 === null;
  const maxSq = Math.max(...[job.x1, job.x2 ?? job.x1].map((x) => checkSquaredNorms(imageSquaredNorms(x), symmetric ? 'X' : 'X1/X2')));
  const result: KernelResult = {
    nngp: get === 'ntk' ? null : { rows: n1, cols: n2, data: k },
    ntk: t && get !== 'nngp' ? { rows: n1, cols: n2, data: t } : null,
  };
  if (result.nngp) assertFiniteKernel(result.nngp, 'NNGP', maxSq);
  if (result.ntk) assertFiniteKernel(result.ntk, 'NTK', maxSq);
  return result;
}

/** A kernel input that must be images: rank 4, non-empty, finite. */
function checkImages(x: Mat | Images, name: string): Images {
  if (!isImages(x)) throw new InputError(`${name} is an N×d matrix but the other input is images; give both as N×H×W×C images`);
  if ((x.shape.length !== 4 && x.shape.length !== 3) || x.shape.some((d) => d < 1)) {
    throw new InputError(`${name} must be N×H×W×C images or N×L×C sequences with every extent ≥ 1, got shape ${x.shape.join('×')}`);
  }
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) throw new InputError(`${name} has a non-finite value (${x.data[i]}) at flat index ${i}`);
  }
  return x;
}

/** |x_i|² of each image (its H·W·C values). */
function imageSquaredNorms(x: Images): Float64Array {
  const n = x.shape[0];
  const m = x.data.length / n;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += x.data[i * m + j] ** 2;
    out[i] = s;
  }
  return out;
}
