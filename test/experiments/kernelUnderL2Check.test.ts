import { describe, expect, it } from 'vitest';
import type { Images } from '../../src/data/images.js';
import { claimVerdict, kernelUnderL2Check } from '../../src/experiments/kernelUnderL2Check.js';
import { l2ArchitectureSpec } from '../../src/experiments/l2Architectures.js';
import { mat } from '../../src/linalg/matrix.js';
import { InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

function images(n: number, h: number, w: number, c: number, seed: number): Images {
  const rng = new Rng(seed);
  return { shape: [n, h, w, c], data: Float64Array.from(rng.normals(n * h * w * c)), dtype: 'float64' };
}
const x = images(3, 4, 4, 1, 3);
const y = mat(3, 1, Float64Array.from([0.9, -0.1, -0.1]));

describe('claimVerdict (the project claim rule)', () => {
  it('holds only when every seed agrees; does not hold only beyond 2 standard errors; else not resolved', () => {
    expect(claimVerdict([0.01, -0.02, 0.03], 0.05)).toBe('holds');
    expect(claimVerdict([0.3, 0.31, 0.29], 0.05)).toBe('does not hold'); // mean 0.30 ± 0.006
    expect(claimVerdict([0.01, 0.5, -0.2], 0.05)).toBe('not resolved'); // one seed out, mean within noise
    expect(claimVerdict([0.04, Number.NaN], 0.05)).toBe('not resolved');
  });
});

describe('kernelUnderL2Check on tiny convolutional nets', () => {
  // Pure weight decay (no data term) multiplies every parameter by (1 − ηλ) per step, and the check's Λ is
  // −s·ln(1 − ηλ) exactly, so a finite positively homogeneous net's Θ_t/Θ_0 is e^{−2(L−1)Λ} exactly (float32
  // rounding of the products, ~1e-6 relative): an independent closed form for both the finite and the predicted side.
  it('pure weight decay, homogeneous CNN (L = 3): measured and predicted Θ_t/Θ_0 = e^{−4Λ}', async () => {
    const res = await kernelUnderL2Check({ spec: l2ArchitectureSpec('cnn', 4), x, y, probe: 3, lambda: 0.2, lr: 0.5, steps: 6, evalEvery: 3, seeds: 2, dataTerm: false, backend: 'cpu' });
    expect(res.rule).toEqual({ kind: 'homogeneous', degree: 3, rate: 4 });
    expect(res.rows.map((r) => r.step)).toEqual([0, 3, 6]);
    for (const r of res.rows) {
      const closed = Math.exp(-4 * r.bigLambda);
      expect(Math.abs(r.predictedRatio / closed - 1)).toBeLessThan(1e-12);
      for (const m of r.measuredRatio) expect(Math.abs(m / closed - 1)).toBeLessThan(1e-4);
      for (const s of r.normRatio) for (const v of s) expect(Math.abs(v / Math.exp(-2 * r.bigLambda) - 1)).toBeLessThan(1e-4);
    }
    expect(res.rows[2].bigLambda).toBeCloseTo(-6 * Math.log(0.9), 14);
    expect(res.verdict).toBe('holds');
  });

  // conv > layerNorm > relu > conv > relu > globalAvgPool > dense with every parameter scaled by s: the output is
  // s²·f (the first conv is scale-invariant), the first conv's gradient picks up s²/s = s and the others s, so every
  // share of the finite kernel scales like s² = e^{−2Λ}: Θ_t/Θ_0 = e^{−2Λ}, although the net has three weight
  // layers (a homogeneous one would give e^{−4Λ}). The scaled-σ prediction must say the same.
  it('pure weight decay, layerNorm CNN: Θ_t/Θ_0 = e^{−2Λ} (the normalization resets L), finite and predicted', async () => {
    const res = await kernelUnderL2Check({ spec: l2ArchitectureSpec('lncnn', 4), x, y, probe: 3, lambda: 0.2, lr: 0.5, steps: 4, evalEvery: 2, seeds: 2, dataTerm: false, backend: 'cpu' });
    expect(res.rule.kind).toBe('scaledSigma');
    for (const r of res.rows) {
      const closed = Math.exp(-2 * r.bigLambda);
      expect(Math.abs(r.predictedRatio / closed - 1)).toBeLessThan(1e-12);
      for (const m of r.measuredRatio) expect(Math.abs(m / closed - 1)).toBeLessThan(1e-4);
    }
  });

  it('with the data term the tiny net moves its kernel away from the prediction, and says so', async () => {
    // width 4: the data term changes the kernel at O(1) (a finite-width effect); the verdict must not be "holds"
    const res = await kernelUnderL2Check({ spec: l2ArchitectureSpec('cnn', 4), x, y, probe: 3, lambda: 0.05, lr: 0.3, steps: 6, evalEvery: 6, seeds: 2, backend: 'cpu', tolerance: 1e-3 });
    expect(res.verdict).not.toBe('holds');
    expect(res.rows[1].trainLoss.every((l, i) => l < res.rows[0].trainLoss[i])).toBe(true);
  });

  it('refuses ηλ ≥ 1 and mismatched targets', async () => {
    await expect(kernelUnderL2Check({ spec: l2ArchitectureSpec('cnn', 2), x, y, lambda: 2, lr: 0.5, steps: 1 })).rejects.toThrow(InputError);
    await expect(kernelUnderL2Check({ spec: l2ArchitectureSpec('cnn', 2), x, y: mat(2, 1, new Float64Array(2)), lambda: 0.1, lr: 0.5, steps: 1 })).rejects.toThrow(/3 points but y has 2 rows/);
  });
});
