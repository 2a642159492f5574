import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';

/** Standard normal CDF through the complementary error function (Numerical Recipes' erfc, |error| < 1.2e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

describe('Rng', () => {
  it('is reproducible from its seed', () => {
    expect(Array.from(new Rng(4).normals(5))).toEqual(Array.from(new Rng(4).normals(5)));
    expect(Array.from(new Rng(4).normalsFloat32(7, 2))).toEqual(Array.from(new Rng(4).normalsFloat32(7, 2)));
    expect(new Rng(4).normalsFloat32(3)[0]).not.toBe(new Rng(5).normalsFloat32(3)[0]);
  });

  it('the ziggurat normals pass a Kolmogorov–Smirnov test and match the moments and tails of N(0, 1)', () => {
    const n = 400_000;
    const a = Float64Array.from(new Rng(123).normalsFloat32(n));
    // moments: standard errors 1/√n, √(2/n), √(96/n); allow 4 of them
    let m = 0;
    let v = 0;
    let k4 = 0;
    let tail = 0;
    for (const x of a) {
      m += x;
      v += x * x;
      k4 += x ** 4;
      if (Math.abs(x) > 3.5) tail++;
    }
    expect(Math.abs(m / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(v / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(k4 / n - 3)).toBeLessThan(4 * Math.sqrt(96 / n));
    // P(|x| > 3.5) = 4.65e-4: the tail strip (x > R = 3.44) is drawn by its own rejection step
    const pTail = 4.6525e-4;
    expect(Math.abs(tail / n - pTail)).toBeLessThan(4 * Math.sqrt(pTail / n));
    // KS statistic: P(D > 1.95/√n) ≈ 0.001
    a.sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = normalCdf(a[i]);
      d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
    }
    expect(d).toBeLessThan(1.95 / Math.sqrt(n));
  });

  it('scale multiplies every value; a draw continues the stream', () => {
    const a = new Rng(9).normalsFloat32(6, 3);
    const b = new Rng(9).normalsFloat32(6, 1);
    for (let i = 0; i < 6; i++) expect(a[i]).toBeCloseTo(3 * b[i], 5);
    const r = new Rng(9);
    const first = r.normalsFloat32(3);
    const second = r.normalsFloat32(3);
    expect(Array.from(second)).not.toEqual(Array.from(first));
  });
});
