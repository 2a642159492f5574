/**
 * The small array interface the flow integrator is written against: a batch of B independent states (one
 * per λ or schedule), each of S numbers, stored row-major as B×S. Two implementations: float64 on the CPU
 * (`float64Arrays`, the reference) and TensorFlow.js float32 (`tfjsArrays` in tfjsArrays.ts, which runs on a
 * GPU backend when one is installed). The solver never sees which one it drives.
 */
export interface FlowArrays<A> {
  /** Names the implementation in results. */
  readonly name: string;
  /** Precision of the integration. */
  readonly dtype: 'float64' | 'float32';
  /** A B×S batch from row-major float64 data. */
  fromRows(rows: Float64Array, batch: number, size: number): A;
  /** The batch as row-major float64 (a copy). */
  toRows(a: A): Float64Array;
  /** Σ_i c_i·x_i. */
  lincomb(coeffs: readonly number[], xs: readonly A[]): A;
  /** max over rows of the RMS of e / (atol + rtol·max(|y|, |y_new|)): the step-size controller's error. */
  errorNorm(e: A, y: A, yNew: A, rtol: number, atol: number): number;
  /** `toRows`, read back asynchronously (arrays whose backend has no synchronous read: tfjs on webgpu). */
  toRowsAsync?(a: A): Promise<Float64Array>;
  /** `errorNorm`, read back asynchronously (see `toRowsAsync`). */
  errorNormAsync?(e: A, y: A, yNew: A, rtol: number, atol: number): Promise<number>;
  /**
   * The L2 flow's right-hand side for the per-mode response functions, state [G, H, ZG, ZH] (n each; the Z
   * half only if withTest), with per-row decay d_b = e^{−2(L−1)Λ_b(t)} and shrink s_b = L·λ_b(t):
   *   G' = −κ·d·G − s·G,   H' = −κ·d·(H − 1) − s·H,   ZG' = −d·G − s·ZG,   ZH' = −d·(H − 1) − s·ZH.
   * Every output of every mode is a combination of these: f̃ = G·f̃0 + H·ỹ and z = ZG·f̃0 + ZH·ỹ.
   */
  bindFlow(kappa: Float64Array, withTest: boolean): (y: A, decay: Float64Array, shrink: Float64Array) => A;
  /**
   * Frees the arrays (GPU memory on tfjs; nothing to do in float64).
   * @param xs - arrays this implementation made
   */
  dispose(...xs: A[]): void;
}

/** A float64 batch: B×S row-major. */
export interface F64Batch {
  batch: number;
  size: number;
  data: Float64Array;
}

/**
 * The float64 CPU implementation of FlowArrays: the reference the scheduled flow uses by default
 * (`tfjsArrays()` is the float32 one, batched on tfjs).
 */
export const float64Arrays: FlowArrays<F64Batch> = {
  name: 'cpu-float64',
  dtype: 'float64',
  fromRows: (rows, batch, size) => ({ batch, size, data: Float64Array.from(rows) }),
  toRows: (a) => Float64Array.from(a.data),
  lincomb(coeffs, xs) {
    const out = new Float64Array(xs[0].data.length);
    for (let i = 0; i < xs.length; i++) {
      const c = coeffs[i];
      if (c === 0) continue;
      const d = xs[i].data;
      for (let q = 0; q < out.length; q++) out[q] += c * d[q];
    }
    return { batch: xs[0].batch, size: xs[0].size, data: out };
  },
  errorNorm(e, y, yNew, rtol, atol) {
    let worst = 0;
    for (let b = 0; b < e.batch; b++) {
      let s = 0;
      for (let q = b * e.size; q < (b + 1) * e.size; q++) {
        const sc = atol + rtol * Math.max(Math.abs(y.data[q]), Math.abs(yNew.data[q]));
        s += (e.data[q] / sc) ** 2;
      }
      worst = Math.max(worst, Math.sqrt(s / Math.max(1, e.size)));
    }
    return worst;
  },
  bindFlow(kappa, withTest) {
    const n = kappa.length;
    return (y, decay, shrink) => {
      const out = new Float64Array(y.data.length);
      for (let b = 0; b < y.batch; b++) {
        const base = b * y.size;
        const d = decay[b];
        const s = shrink[b];
        for (let i = 0; i < n; i++) {
          const g = y.data[base + i];
          const h = y.data[base + n + i];
          const kd = kappa[i] * d;
          out[base + i] = -kd * g - s * g;
          out[base + n + i] = -kd * (h - 1) - s * h;
          if (withTest) {
            out[base + 2 * n + i] = -d * g - s * y.data[base + 2 * n + i];
            out[base + 3 * n + i] = -d * (h - 1) - s * y.data[base + 3 * n + i];
          }
        }
      }
      return { batch: y.batch, size: y.size, data: out };
    };
  },
  dispose: () => undefined,
};
