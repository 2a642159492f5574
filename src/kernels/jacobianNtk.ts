import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { applyNetwork, type BoundFiniteNetwork } from '../layers/network.js';
import { getLinalg } from '../linalg/index.js';
import { mat } from '../linalg/matrix.js';
import type { Linalg } from '../linalg/types.js';
import { matMulNT } from '../tfjs/ops.js';
import { tfRuntime } from '../tfjs/runtime.js';
import { checkMemory, defaultMemoryLimit } from './memory.js';
import { addValues, toPairsLast, type EmpiricalParts } from './structuredNtk.js';

export interface JacobianNtkOptions {
  /** Also return every output pair Θ_cc' (holds all k Jacobians at once: k times the memory). */
  full?: boolean;
  /** Refuse when the Jacobian rows held at once would exceed this (default: half the RAM, at most 8 GiB). */
  maxMemoryBytes?: number;
  /** Float64 linear algebra for the contraction (default: the best available, native BLAS when built). */
  linalg?: Linalg;
  /** Called with (gradients done, total) while the per-example gradients are taken. */
  onProgress?: (done: number, total: number) => void;
}

/** Columns of the Jacobian contracted per product: bounds the float64 copy to ~64 MiB per side. */
const SLAB_ENTRIES = 8 * 2 ** 20;

/**
 * The reference empirical NTK by Jacobian contraction: per-example gradients ∂f_c(x_i)/∂θ from tfjs autodiff
 * (one reverse pass per example and output, float32), then Θ_cc'(x, x') = J_c(x)·J_c'(x')ᵀ contracted in
 * float64 in column slabs (native BLAS when available). Works for any layer that tfjs can differentiate;
 * costs O(N·k·P) memory-traffic and O(N²·k·P) flops, which is why the structured method exists.
 */
export async function jacobianNtk(
  net: BoundFiniteNetwork,
  params: readonly (readonly Tensor[])[],
  x1: Tensor2D,
  x2: Tensor2D | null,
  opts: JacobianNtkOptions = {},
): Promise<EmpiricalParts> {
  const tf = tfRuntime();
  const k = net.outputDim;
  const n1 = x1.shape[0];
  const n2 = x2 ? x2.shape[0] : n1;
  const pCount = net.paramCount;
  const full = opts.full ?? false;
  const heldOutputs = full ? k : 1;
  checkMemory(4 * heldOutputs * (n1 + (x2 ? n2 : 0)) * pCount + 8 * n1 * n2 * (full ? k * k + 2 : 2), opts.maxMemoryBytes ?? defaultMemoryLimit(), `the Jacobian method (${n1 + (x2 ? n2 : 0)} inputs × ${pCount} parameters${full ? ` × ${k} outputs` : ''})`);
  const la = opts.linalg ?? getLinalg();

  const flatParams = params.flat();
  const groupSizes = params.map((g) => g.length);
  const regroup = (ps: Tensor[]): Tensor[][] => {
    let at = 0;
    return groupSizes.map((s) => ps.slice(at, (at += s)));
  };
  const total = k * (n1 + (x2 ? n2 : 0));
  let done = 0;

  /** Rows J_c(x_i) = ∂f_c(x_i)/∂θ for every row of x, float32, n × P row-major. */
  const jacobianRows = async (x: Tensor2D, c: number): Promise<Float32Array> => {
    const n = x.shape[0];
    const rows = new Float32Array(n * pCount);
    for (let i = 0; i < n; i++) {
      const grads = tf.tidy(() => {
        const xi = tf.slice(x, [i, 0], [1, net.inputDim]);
        const outC = (...ps: Tensor[]): Scalar => tf.sum(tf.slice(applyNetwork(net, regroup(ps), xi), [0, c], [1, 1]));
        return tf.grads(outC)(flatParams);
      });
      // read asynchronously (the webgpu backend has no synchronous read in Node.js)
      let at = i * pCount;
      try {
        for (const g of grads) {
          rows.set((await g.data()) as Float32Array, at);
          at += g.size;
        }
      } finally {
        grads.forEach((g) => g.dispose());
      }
      opts.onProgress?.(++done, total);
    }
    return rows;
  };

  const ntk = new Float64Array(n1 * n2);
  let fullOut: Float64Array | null = null;
  if (!full) {
    for (let c = 0; c < k; c++) {
      const j1 = await jacobianRows(x1, c);
      const j2 = x2 ? await jacobianRows(x2, c) : null;
      contractInto(ntk, la, j1, n1, j2, n2, pCount, 1 / k);
    }
  } else {
    // Rows ordered (c, i): one contraction gives [c, i, c', j].
    const stack = async (x: Tensor2D, n: number): Promise<Float32Array> => {
      const all = new Float32Array(k * n * pCount);
      for (let c = 0; c < k; c++) all.set(await jacobianRows(x, c), c * n * pCount);
      return all;
    };
    const j1 = await stack(x1, n1);
    const j2 = x2 ? await stack(x2, n2) : null;
    const block = new Float64Array(k * n1 * k * n2);
    contractInto(block, la, j1, k * n1, j2, k * n2, pCount, 1);
    fullOut = toPairsLast(block, k, n1, n2);
    for (let i = 0; i < n1 * n2; i++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += fullOut[i * k * k + c * k + c];
      ntk[i] = s / k;
    }
  }
  const outer = tf.tidy(() => {
    const f1 = applyNetwork(net, params, x1);
    return matMulNT(f1, x2 ? applyNetwork(net, params, x2) : f1);
  });
  const outerValues = (await outer.data()) as Float32Array;
  outer.dispose();
  const nngp = addValues(new Float64Array(n1 * n2), outerValues, 1 / k);
  return { ntk, nngp, full: fullOut };
}

/** acc += scale · A·Bᵀ (B = A when null) for float32 row blocks A (na × p), B (nb × p), in float64 slabs. */
function contractInto(acc: Float64Array, la: Linalg, a: Float32Array, na: number, b: Float32Array | null, nb: number, p: number, scale: number): void {
  const width = Math.max(1, Math.min(p, Math.floor(SLAB_ENTRIES / Math.max(na, nb))));
  for (let p0 = 0; p0 < p; p0 += width) {
    const w = Math.min(width, p - p0);
    const slab = (src: Float32Array, n: number) => {
      const m = mat(n, w);
      for (let i = 0; i < n; i++) {
        const from = i * p + p0;
        for (let j = 0; j < w; j++) m.data[i * w + j] = src[from + j];
      }
      return m;
    };
    const sa = slab(a, na);
    const prod = b ? la.gemm(sa, slab(b, nb), { transB: true }) : la.syrk(sa);
    for (let i = 0; i < acc.length; i++) acc[i] += scale * prod.data[i];
  }
}
