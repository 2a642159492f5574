import type { Tensor2D } from '@tensorflow/tfjs';
import { bindFinite, initParams } from '../layers/network.js';
import type { LayerShape, NetworkSpec } from '../layers/types.js';
import type { Images } from '../data/images.js';
import { isImages } from './analytic.js';
import { mat, type Mat } from '../linalg/matrix.js';
import type { Linalg } from '../linalg/types.js';
import { initTfjs, type TfBackendName } from '../tfjs/backend.js';
import { tfRuntime } from '../tfjs/runtime.js';
import { InputError, assertFinite } from '../util/errors.js';
import { jacobianNtk } from './jacobianNtk.js';
import { checkMemory, defaultMemoryLimit } from './memory.js';
import { structuredNtk, type EmpiricalParts } from './structuredNtk.js';

/**
 * How the empirical NTK of a finite network is computed: 'structured' (per-layer Gram products, no Jacobian;
 * the default) or 'jacobian' (per-example gradients by tfjs autodiff, the reference). Both agree to float32 round-off.
 */
export type EmpiricalMethod = 'structured' | 'jacobian';

/** Options of `empiricalKernel`: method, seed, backend and memory limit. */
export interface EmpiricalKernelOptions {
  /** 'structured' (default; Dense/activation stacks, no Jacobian) or 'jacobian' (autodiff reference). */
  method?: EmpiricalMethod;
  /** Seed of the network's initialization (default 0). */
  seed?: number;
  /** Also return Θ for every pair of outputs, shape [N1, N2, k, k]. */
  full?: boolean;
  /** tfjs backend (default 'auto': tfjs-node-gpu, tfjs-node, wasm, cpu — the first installed). */
  backend?: TfBackendName;
  /** Refuse calls whose estimated peak memory exceeds this (default: half the RAM, at most 8 GiB). */
  maxMemoryBytes?: number;
  /** Float64 linear algebra for the Jacobian contraction. */
  linalg?: Linalg;
  /** Progress of the Jacobian method's per-example gradients. */
  onProgress?: (done: number, total: number) => void;
}

/** An empirical kernel pair of one finite network. Float64 numbers from float32 products (see `dtype`). */
export interface EmpiricalKernelResult {
  /** Θ averaged over the k outputs, N1×N2. */
  ntk: Mat;
  /** f(X1)·f(X2)ᵀ/k, N1×N2. */
  nngp: Mat;
  /** Θ_cc' laid out [N1, N2, k, k] (null unless `full`). */
  full: Float64Array | null;
  /** [N1, N2, k, k], the shape of `full` (null with it): writeNpy(f, { shape: r.fullShape, data: r.full }). */
  fullShape: [number, number, number, number] | null;
  /** Number of outputs k. */
  outputs: number;
  /** Number of parameters P of the network. */
  paramCount: number;
  /** How the NTK was computed. */
  method: EmpiricalMethod;
  /** The tfjs backend that ran the products. */
  backend: string;
  /** Precision: products in float32 on tfjs, sums in float64. */
  dtype: 'float32 products, float64 sums';
}

/**
 * The empirical NTK (and NNGP) of the finite network `spec` initialised with `seed`, between the rows of
 * X1 (N1×d) and X2 (N2×d, default X1). Dense widths are those of the spec (see `withHiddenWidth`).
 * @param spec - the finite network (its widths as written)
 * @param x1 - N1×d inputs or images
 * @param x2 - N2×d inputs or images (default: x1)
 * @param opts - method, seed, backend, memory ceiling, `full` for every output pair
 * @returns Θ (trace over the k outputs / k) and the NNGP estimate f·f′ᵀ/k, each N1×N2 float64 (products in float32)
 * @throws InputError beyond the memory ceiling or for mismatched inputs
 */
export async function empiricalKernel(spec: NetworkSpec, x1: Mat | Images, x2?: Mat | Images, opts: EmpiricalKernelOptions = {}): Promise<EmpiricalKernelResult> {
  const run = await prepareEmpirical(spec, x1, x2, opts);
  try {
    const parts = await run.compute(opts.seed ?? 0);
    return run.wrap(parts);
  } finally {
    run.dispose();
  }
}

/** Shared set-up of one or many seeded empirical kernels on the same inputs (used by the Monte Carlo mean). */
export async function prepareEmpirical(spec: NetworkSpec, a: Mat | Images, b: Mat | Images | undefined, opts: EmpiricalKernelOptions) {
  // images are taken flattened (C order, free) with the network told their shape
  const shape: LayerShape | null = isImages(a) ? { spatial: a.shape.slice(1, -1), width: a.shape[a.shape.length - 1] } : null;
  const x1 = asRows(a, shape, 'X1');
  const x2 = b === undefined || b === a ? undefined : asRows(b, shape, 'X2');
  const method = opts.method ?? 'structured';
  if (method !== 'structured' && method !== 'jacobian') {
    throw new InputError(`method must be "structured" or "jacobian", got "${String(method)}"`);
  }
  checkPoints(x1, 'X1');
  const symmetric = x2 === undefined || x2 === x1;
  if (!symmetric) {
    checkPoints(x2, 'X2');
    if (x2.cols !== x1.cols) throw new InputError(`X1 and X2 have different input dimensions: X1 is ${x1.rows}×${x1.cols}, X2 is ${x2.rows}×${x2.cols}`);
  }
  const net = bindFinite(spec, shape ?? x1.cols);
  const n1 = x1.rows;
  const n2 = symmetric ? n1 : x2.rows;
  const k = net.outputDim;
  const limit = opts.maxMemoryBytes ?? defaultMemoryLimit();
  if (method === 'structured') {
    // Forward activations of both sets, δ for k outputs at the widest layer (×2 while back-propagating),
    // float32 N1×N2 shares and the float64 results.
    const maxWidth = Math.max(...net.widths);
    const act = net.widths.reduce((s, w) => s + w, 0) * (n1 + (symmetric ? 0 : n2));
    const bytes = 4 * (act + 3 * k * maxWidth * (n1 + n2) + 4 * n1 * n2 * (opts.full ? k * k : 1)) + 8 * n1 * n2 * (2 + (opts.full ? 2 * k * k : 0)) + 4 * net.paramCount;
    checkMemory(bytes, limit, `the structured empirical kernel (${n1}×${n2}, ${k} outputs, ${net.paramCount} parameters)`);
  }
  const backend = await initTfjs(opts.backend ?? 'auto');
  const tf = tfRuntime();
  const toTensor = (x: Mat): Tensor2D => tf.tensor2d(Float32Array.from(x.data), [x.rows, x.cols], 'float32');
  const t1 = toTensor(x1);
  const t2 = symmetric ? null : toTensor(x2);
  return {
    net,
    n1,
    n2,
    async compute(seed: number): Promise<EmpiricalParts> {
      const params = initParams(net, seed);
      try {
        return await (method === 'structured'
          ? structuredNtk(net, params.layers, t1, t2, { full: opts.full })
          : jacobianNtk(net, params.layers, t1, t2, { full: opts.full, maxMemoryBytes: limit, linalg: opts.linalg, onProgress: opts.onProgress }));
      } finally {
        params.dispose();
      }
    },
    wrap(parts: EmpiricalParts): EmpiricalKernelResult {
      return {
        ntk: mat(n1, n2, parts.ntk),
        nngp: mat(n1, n2, parts.nngp),
        full: parts.full,
        fullShape: parts.full ? [n1, n2, k, k] : null,
        outputs: k,
        paramCount: net.paramCount,
        method,
        backend: backend.backend,
        dtype: 'float32 products, float64 sums',
      };
    },
    dispose(): void {
      t1.dispose();
      t2?.dispose();
    },
  };
}

function checkPoints(x: Mat, name: string): void {
  if (x.rows === 0 || x.cols === 0) throw new InputError(`${name} is empty (${x.rows}×${x.cols}); it needs at least one point and one feature`);
  assertFinite(x, name);
}

/** An input as the rows the finite network takes: a matrix as is, images flattened, both of the same kind. */
function asRows(x: Mat | Images, shape: LayerShape | null, name: string): Mat {
  if (!isImages(x)) {
    if (shape) throw new InputError(`${name} is an N×d matrix but X1 is images; give both as N×H×W×C images`);
    return x;
  }
  if (!shape) throw new InputError(`${name} is images but X1 is an N×d matrix; give both as matrices or both as images`);
  if (x.shape.length !== 2 + shape.spatial.length || x.shape.slice(1, -1).some((n, i) => n !== shape.spatial[i]) || x.shape[x.shape.length - 1] !== shape.width) {
    throw new InputError(`${name} has image shape ${x.shape.slice(1).join('×')}, X1 has ${[...shape.spatial, shape.width].join('×')}`);
  }
  const n = x.shape[0];
  return { rows: n, cols: x.data.length / Math.max(1, n), data: x.data };
}
