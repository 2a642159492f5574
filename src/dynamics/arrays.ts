/**
 * The small array interface the flow integrator is written against: a batch of B independent states (one
 * per λ or schedule), each of S numbers, stored row-major as B×S. Two implementations: float64 on the CPU
 * (`float64Arrays`, the reference) and TensorFlow.js float32 (`tfjsArrays` in tfjsArrays.ts, which runs on a
 * GPU backend when one is installed). The solver never sees which one it drives.
 */
export interface FlowArrays<A> {
  readonly name: string;
  readonly dtype: 'float64' | 'float32';
  /** A B×S batch from row-major float64 data. */
  fromRows(rows: Float64Array, batch: number, size: number): A;
  /** The batch as row-major float64 (a copy). */
  toRows(a: A): Float64Array;
  /** Σ_i c_i·x_i. */
  lincomb(coeffs: readonly number[], xs: readonly A[]): A;
  /** max over rows of the RMS of e / (atol + rtol·max(|y|, |y_new|)): the step-size controller's error. */
  errorNorm(e: A, y: A, yNew: A, rtol: number, atol: number): number;
  /**
   * The L2 flow's right-hand side in the eigenbasis, for a state [f̃ (n×k), z (n×k) if withTest]:
   *   f̃' = −κ·d_b·(f̃ − ỹ) − s_b·f̃,   z' = −d_b·(f̃ − ỹ) − s_b·z,
   * with per-row decay d_b = e^{−2(L−1)Λ_b(t)} and shrink s_b = L·λ_b(t).
   */
  bindFlow(kappa: Float64Array, yT: Float64Array, k: number, withTest: boolean): (y: A, decay: Float64Array, shrink: Float64Array) => A;
  dispose(...xs: A[]): void;
}

/** A float64 batch: B×S row-major. */
export interface F64Batch {
  batch: number;
  size: number;
  data: Float64Array;
}

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
  bindFlow(kappa, yT, k, withTest) {
    const nk = yT.length;
    return (y, decay, shrink) => {
      const out = new Float64Array(y.data.length);
      for (let b = 0; b < y.batch; b++) {
        const base = b * y.size;
        const d = decay[b];
        const s = shrink[b];
        for (let q = 0; q < nk; q++) {
          const f = y.data[base + q];
          const resid = f - yT[q];
          out[base + q] = -kappa[Math.floor(q / k)] * d * resid - s * f;
          if (withTest) out[base + nk + q] = -d * resid - s * y.data[base + nk + q];
        }
      }
      return { batch: y.batch, size: y.size, data: out };
    };
  },
  dispose: () => undefined,
};
