import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { shapeInput, type BoundFiniteNetwork } from '../layers/network.js';
import { getLinalg } from '../linalg/index.js';
import { sweepSequence } from '../layers/serial.js';
import type { FiniteValue, InputGram, NtkAccumulator } from '../layers/types.js';
import { singleValue } from '../layers/values.js';
import { matMulNT } from '../tfjs/ops.js';
import { Readback } from '../tfjs/readback.js';
import { tfRuntime } from '../tfjs/runtime.js';
import { InputError } from '../util/errors.js';
import { addSharedGramShare, nativeStructuredShare } from './sensitivityGram.js';

/** Empirical kernels of one finite network between the rows of X1 and X2. */
export interface EmpiricalParts {
  /** Θ averaged over the k outputs, (1/k)·Σ_c Θ_cc, N1×N2 row-major. */
  ntk: Float64Array;
  /** f(X1)·f(X2)ᵀ/k: the NNGP estimate of this one network, N1×N2 (empty when `structuredNtk` was told `nngp: false`). */
  nngp: Float64Array;
  /** Every output pair, laid out [N1, N2, k, k] as neural-tangents does (only when asked for). */
  full: Float64Array | null;
}

/**
 * The structured empirical NTK, which never forms the Jacobian. For a layer with parameters θ whose gradient
 * Gram is G(x, x') per unit (Dense), the chain rule gives its share of the kernel as
 *   Θ_cc'(x, x') += G(x, x') · Σ_u δ_c(x)_u δ_c'(x')_u,   δ_c(x)_u = ∂f_c(x)/∂z_u(x),
 * so one forward pass keeping each layer's input, and one backward pass carrying δ for all k outputs at once,
 * cost O(N²·k·Σ widths + N·k·Σ width²) instead of the Jacobian's O(N²·k·P).
 * Products run in float32 on the active tfjs backend; each layer's N1×N2 share is summed in float64. Asynchronous
 * because the webgpu backend reads back only asynchronously (the shares are then read after the sweep, in order).
 * On the wasm backend with the native addon built, a dense layer's share (its input Gram G and Σ_c δ_c δ_c'ᵀ) is one
 * native call on the layer's inputs and sensitivities in place on the wasm heap (`addSharedGramShare`: OpenBLAS
 * float32 products, by ssyrk when X2 = X1, the product with G and the sum in float64); the forward and backward
 * products go through tf.matMul (on OpenBLAS too under wasm, see src/tfjs/nativeMatMul.ts).
 * @param opts - `full`: also every output pair; `nngp: false` skips the NNGP (an N1×N2 float64 allocation and
 *   product; `nngp` is then empty) for callers that use Θ only
 * @returns Θ (trace over outputs), the NNGP and, with `full`, every output pair
 */
export async function structuredNtk(
  net: BoundFiniteNetwork,
  params: readonly (readonly Tensor[])[],
  x1: Tensor2D,
  x2: Tensor2D | null,
  opts: { full?: boolean; nngp?: boolean } = {},
): Promise<EmpiricalParts> {
  const tf = tfRuntime();
  const reads = new Readback();
  /** acc += scale · t, now or after the sweep (see Readback). */
  const accumulate = (acc: Float64Array, t: Tensor, scale: number): void => reads.read([t], ([v]) => addValues(acc, v, scale));
  net.layers.forEach((layer, i) => {
    if (!layer.structured) {
      throw new InputError(`layers[${i}] has no structured NTK rule: use the Jacobian method (--method jacobian)`);
    }
  });
  const k = net.outputDim;
  const n1 = x1.shape[0];
  const n2 = x2 ? x2.shape[0] : n1;
  const full = opts.full ?? false;
  const ntk = new Float64Array(n1 * n2);
  const fullAcc = full ? new Float64Array(k * n1 * k * n2) : null; // [c, i, c', j] while accumulating
  // G and Σ_c δ_c δ_c'ᵀ on the host's BLAS, read in place from the wasm heap; not for every output pair. The cpu
  // backend keeps its own products: it is the slow reference (and sums a row the same way in any batch, which the
  // out-of-core tiles rely on to equal the in-memory kernel bit for bit)
  const share = !full && tf.getBackend() === 'wasm' ? nativeStructuredShare() : null;
  /** A tensor's float32 values in place on the wasm heap (valid until the next tfjs allocation). */
  const heapValues = (t: Tensor): Float32Array => (tf.backend() as unknown as BackendWasm).typedArrayFromHeap(t) as Float32Array;
  /** [k, n, w] → rows i, columns (c, u): n × k·w. */
  const flat = (d: Tensor3D, n: number): Tensor2D => tf.reshape(tf.transpose(d, [1, 0, 2]), [n, k * d.shape[2]]);
  /** G = scale·X1·X2ᵀ + bias as a tensor. */
  const gramOf = (g: InputGram): Tensor2D => {
    let m = matMulNT(g.x1, g.x2 ?? g.x1);
    if (g.scale !== 1) m = tf.mul(m, g.scale);
    return g.bias !== 0 ? tf.add(m, g.bias) : m;
  };

  // f(X1)·f(X2)ᵀ/k: the outputs (N×k) read back and multiplied in float64, one product of k terms per entry; the
  // result is the NNGP itself (nothing to add it to). A gemm even for the same points: with k terms the flops are
  // nothing, and syrk's mirroring of the N×N result (column by column) cost more than the product
  let nngp: Float64Array | null = null;
  const atOutput = (f1: FiniteValue, f2: FiniteValue | null): void => {
    const a = tf.clone(singleValue(f1, 'the network output'));
    const b = f2 === null ? [] : [tf.clone(singleValue(f2, 'the network output'))];
    reads.read([a, ...b], ([va, vb = null]) => {
      const la = getLinalg();
      const ma = { rows: n1, cols: k, data: Float64Array.from(va) };
      const prod = la.gemm(ma, vb === null ? ma : { rows: n2, cols: k, data: Float64Array.from(vb) }, { transB: true, alpha: 1 / k });
      nngp = prod.data;
    });
  };

  // Each layer's share, summed in float64 in the order the shares arrive (last layer first).
  const acc: NtkAccumulator = {
    addSharedGram(gram: InputGram, d1: Tensor3D, d2: Tensor3D): void {
      const width = d1.shape[2];
      if (fullAcc) {
        accumulate(fullAcc, tf.tidy(() => {
          const g = gramOf(gram);
          const dd = matMulNT(tf.reshape(d1, [k * n1, width]), tf.reshape(d2, [k * n2, width]));
          return tf.mul(tf.reshape(dd, [k, n1, k, n2]), tf.reshape(g, [1, n1, 1, n2]));
        }), 1);
      }
      if (share && gram.x1.dtype === 'float32' && (gram.x2 === null) === (d2 === d1)) {
        // inputs and sensitivities read in place (no tfjs allocation in between); the call writes only to `ntk`
        const same = gram.x2 === null;
        addSharedGramShare(share, ntk, {
          x1: heapValues(gram.x1), x2: same ? null : heapValues(gram.x2!), d1: heapValues(d1), d2: same ? null : heapValues(d2),
          n1, n2, fanIn: gram.x1.shape[1], width, k, gramScale: gram.scale, gramBias: gram.bias,
        }, 1 / k);
        return;
      }
      accumulate(ntk, tf.tidy(() => {
        const g = gramOf(gram);
        // Σ_c δ_c δ_cᵀ as one product: rows i, columns (c, u).
        const f1 = flat(d1, n1);
        const dd = matMulNT(f1, d2 === d1 ? f1 : flat(d2, n2));
        return tf.mul(dd, g);
      }), 1 / k);
    },
    addGradients(grads: () => readonly [Tensor3D, Tensor3D]): void {
      // the contraction runs over every parameter of the layer (|f|·C_in·C_out for conv): a float32 product would
      // lose ~1e-4 at C = 384, so the gradients are read back and contracted in float64 (one gemm, rows (c, i))
      const kept: Tensor3D[] = tf.tidy(() => {
        const [g1, g2] = grads();
        return g2 === g1 ? [g1] : [g1, g2];
      });
      const m = kept[0].shape[2];
      reads.read(kept, ([a, b = null]) => contractGradients(a, b, m));
    },
  };
  /** The float64 contraction of one layer's read-back gradients (rows (c, i)) into the NTK. */
  const contractGradients = (a: Float32Array, b: Float32Array | null, m: number): void => {
    const la = getLinalg();
    const rowsA = { rows: k * n1, cols: m, data: Float64Array.from(a) };
    const prod = b === null ? la.syrk(rowsA) : la.gemm(rowsA, { rows: k * n2, cols: m, data: Float64Array.from(b) }, { transB: true });
    const w = k * n2;
    if (fullAcc) for (let i = 0; i < fullAcc.length; i++) fullAcc[i] += prod.data[i];
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < n1; i++) {
        const row = (c * n1 + i) * w + c * n2;
        for (let j = 0; j < n2; j++) ntk[i * n2 + j] += prod.data[row + j] / k;
      }
    }
  };

  // δ at the outputs: ∂f_c/∂f_u = [c = u] for every example; then the root's rule (the layers in sequence).
  const seed = (n: number): Tensor3D => {
    const v = new Float32Array(k * n * k);
    for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) v[(c * n + i) * k + c] = 1;
    return tf.tensor3d(v, [k, n, k]);
  };
  const d1 = seed(n1);
  const d2 = x2 ? seed(n2) : null;
  // image inputs arrive flattened: the layers take them N×H×W×C
  const s1 = shapeInput(net, x1);
  const s2 = x2 ? shapeInput(net, x2) : null;
  try {
    sweepSequence(net.layers, params, s1, s2, d1, d2, acc, false, opts.nngp === false ? undefined : atOutput);
    await reads.flush();
  } finally {
    reads.dispose();
    d1.dispose();
    d2?.dispose();
    if (s1 !== x1) s1.dispose();
    if (s2 !== null && s2 !== x2) s2.dispose();
  }
  return { ntk, nngp: nngp ?? new Float64Array(opts.nngp === false ? 0 : n1 * n2), full: fullAcc ? toPairsLast(fullAcc, k, n1, n2) : null };
}

/** acc += scale · t (t read back as float32, summed in float64); disposes t. */
export function addInto(acc: Float64Array, t: Tensor, scale: number): Float64Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return addValues(acc, v, scale);
}

/** acc += scale · v (float32 values summed in float64). */
export function addValues(acc: Float64Array, v: Float32Array, scale: number): Float64Array {
  if (v.length !== acc.length) throw new Error(`internal: accumulating ${v.length} values into ${acc.length}`);
  for (let i = 0; i < v.length; i++) acc[i] += scale * v[i];
  return acc;
}

/** [c, i, c', j] → [i, j, c, c']. */
export function toPairsLast(a: Float64Array, k: number, n1: number, n2: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n1; i++) {
      for (let cp = 0; cp < k; cp++) {
        const src = ((c * n1 + i) * k + cp) * n2;
        for (let j = 0; j < n2; j++) out[((i * n2 + j) * k + c) * k + cp] = a[src + j];
      }
    }
  }
  return out;
}
