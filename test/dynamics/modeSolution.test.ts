import { describe, expect, it } from 'vitest';
import { modeResponse, modeResponses } from '../../src/dynamics/modeSolution.js';

// ---------------------------------------------------------------------------------------------------------------
// Independent reference: adaptive Gauss–Legendre quadrature of the defining integral
//   H(t) = ∫_0^t κ e^{−as} e^{Φ(s) − Φ(t)} ds,   Φ(t) = (κ/a)(1 − e^{−at}) + Lλt,
// written in r = t − s with the exponent in a form that never overflows:
//   −a(t − r) + Φ(t − r) − Φ(t) = −a(t − r) − (κ/a) e^{−a(t−r)} (1 − e^{−ar}) − Lλr   (≤ 0),
// with (κ/a)(1 − e^{−ar}) → κr at a = 0 (L = 1). No incomplete gamma function is involved.

/** 20-point Gauss–Legendre nodes and weights on [−1, 1] (Newton iteration on P_20). */
function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}
const GL = gaussLegendre(20);

function glPanel(f: (r: number) => number, lo: number, hi: number): number {
  const c = 0.5 * (lo + hi);
  const hw = 0.5 * (hi - lo);
  let s = 0;
  for (let i = 0; i < GL.x.length; i++) s += GL.w[i] * f(c + hw * GL.x[i]);
  return s * hw;
}

/** Adaptive bisection until a panel and its two halves agree to 1e-15 of the running scale. */
function adaptive(f: (r: number) => number, lo: number, hi: number, whole: number, scale: { v: number }, depth: number): number {
  const mid = 0.5 * (lo + hi);
  const left = glPanel(f, lo, mid);
  const right = glPanel(f, mid, hi);
  const both = left + right;
  scale.v = Math.max(scale.v, Math.abs(both));
  if (depth > 60 || Math.abs(both - whole) <= 1e-15 * scale.v) return both;
  return adaptive(f, lo, mid, left, scale, depth + 1) + adaptive(f, mid, hi, right, scale, depth + 1);
}

/** Reference (G, H) by quadrature; the r-range is split geometrically towards r = 0 (boundary layer at s = t). */
function referenceGH(kappa: number, lambda: number, depth: number, t: number): { g: number; h: number } {
  const a = 2 * (depth - 1) * lambda;
  // (κ/a)(1 − e^{−a r}) and its a → 0 limit
  const kOverA1m = (r: number): number => (a === 0 ? kappa * r : (kappa / a) * -Math.expm1(-a * r));
  const phiT = kOverA1m(t) + depth * lambda * t;
  const g = Math.exp(-phiT);
  if (t === 0 || kappa === 0) return { g, h: 0 };
  const f = (r: number): number => {
    const s = t - r;
    const decaySt = Math.exp(-a * s); // e^{−as}
    return kappa * Math.exp(-a * s - (a === 0 ? kappa * r : (kappa / a) * decaySt * -Math.expm1(-a * r)) - depth * lambda * r);
  };
  const edges = [0];
  for (let e = t * 2 ** -70; e < t; e *= 2) edges.push(e);
  edges.push(t);
  const scale = { v: 0 };
  let h = 0;
  for (let k = edges.length - 2; k >= 0; k--) {
    // from the large-r panels down, so that the scale is set before the tiny panels near r = 0 are refined
    const lo = edges[k];
    const hi = edges[k + 1];
    h += adaptive(f, lo, hi, glPanel(f, lo, hi), scale, 0);
  }
  return { g, h };
}

describe('modeResponse against brute-force quadrature of the defining integral', () => {
  // Tolerance 1e-9 relative (the brief's bar). The implementation reaches ~1e-12 or better (difference of scaled
  // gammas near the regime boundary Y = 0.01; ~1e-14 elsewhere, see the development notes in the report); the
  // quadrature itself is good to ~1e-13. Values below 1e-250 are compared absolutely (the implementation
  // flushes factors below 1e-280 to 0 to keep subnormals out of its hot loops).
  const lambdas = [1e-3, 1];
  const ratios = [1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6]; // κ/λ
  const lt = [0, 1e-6, 1e-3, 0.1, 1, 5, 20, 50]; // λt
  for (const depth of [1, 2, 3, 5]) {
    it(`L = ${depth}: κ/λ ∈ [1e-6, 1e6], λt ∈ [0, 50], λ ∈ {1e-3, 1}`, () => {
      let worstG = 0;
      let worstH = 0;
      for (const lambda of lambdas) {
        for (const ratio of ratios) {
          const kappa = ratio * lambda;
          const times = Float64Array.from(lt, (x) => x / lambda);
          const vec = modeResponses(Float64Array.of(kappa), lambda, depth, times);
          times.forEach((t, j) => {
            const ref = referenceGH(kappa, lambda, depth, t);
            const got = modeResponse(kappa, lambda, depth, t);
            expect(vec.g[j]).toBe(got.g);
            expect(vec.h[j]).toBe(got.h);
            const eg = Math.abs(got.g - ref.g) / Math.max(Math.abs(ref.g), 1e-250);
            const eh = Math.abs(got.h - ref.h) / Math.max(Math.abs(ref.h), 1e-250);
            worstG = Math.max(worstG, eg);
            worstH = Math.max(worstH, eh);
            expect(eg, `G κ=${kappa} λ=${lambda} L=${depth} t=${t}: ${got.g} vs ${ref.g}`).toBeLessThan(1e-9);
            expect(eh, `H κ=${kappa} λ=${lambda} L=${depth} t=${t}: ${got.h} vs ${ref.h}`).toBeLessThan(1e-9);
          });
        }
      }
      console.log(`[modeSolution.test] L=${depth}: max rel. deviation from quadrature G ${worstG.toExponential(2)}, H ${worstH.toExponential(2)}`);
    });
  }

  it('extreme corners: κ/a up to 1e11 (e^{κ/a} overflows), κ = 1e-12 with λ = 10, λ = 1e-8, L = 10', () => {
    const cases: Array<[number, number, number]> = [
      [1e3, 1e-8, 2],
      [1e3, 1e-8, 10],
      [1e-12, 10, 10],
      [1e-12, 10, 2],
      [1e-12, 1e-8, 3],
      [0.37, 1e-8, 5],
      [1e3, 10, 3],
    ];
    for (const [kappa, lambda, depth] of cases) {
      for (const lt of [1e-9, 1e-4, 0.03, 0.5, 3, 30, 100]) {
        const t = lt / lambda;
        const ref = referenceGH(kappa, lambda, depth, t);
        const got = modeResponse(kappa, lambda, depth, t);
        expect(Math.abs(got.g - ref.g) / Math.max(ref.g, 1e-250), `G ${kappa} ${lambda} ${depth} ${t}`).toBeLessThan(1e-9);
        expect(Math.abs(got.h - ref.h) / Math.max(ref.h, 1e-250), `H ${kappa} ${lambda} ${depth} ${t}`).toBeLessThan(1e-9);
      }
    }
  });
});

describe('limits and special cases', () => {
  it('L = 1 at large t tends to kernel ridge regression κ/(κ+λ), and G → 0', () => {
    for (const [kappa, lambda] of [
      [1, 0.1],
      [1e-6, 1e-3],
      [1e3, 10],
    ]) {
      const r = modeResponse(kappa, lambda, 1, 200 / (kappa + lambda));
      expect(r.h).toBeCloseTo(kappa / (kappa + lambda), 15);
      expect(r.g).toBeLessThan(1e-80);
      const inf = modeResponse(kappa, lambda, 1, Infinity);
      expect(inf).toEqual({ g: 0, h: kappa / (kappa + lambda) });
    }
  });

  it('L ≥ 2 at large t: G, H → 0 (the kernel decays and learning stops)', () => {
    for (const depth of [2, 3, 5, 10]) {
      for (const kappa of [1e-6, 1, 1e3]) {
        const lambda = 1e-3;
        const r = modeResponse(kappa, lambda, depth, 100 / lambda);
        expect(r.g).toBeLessThan(1e-13);
        expect(Math.abs(r.h)).toBeLessThan(1e-13);
        expect(r.h).toBeGreaterThanOrEqual(0);
        expect(modeResponse(kappa, lambda, depth, Infinity)).toEqual({ g: 0, h: 0 });
      }
    }
  });

  it('λ → 0 reduces to G = e^{−κt}, H = 1 − e^{−κt}', () => {
    for (const depth of [1, 2, 3, 10]) {
      for (const kappa of [1e-3, 1, 50]) {
        for (const kt of [1e-8, 0.01, 1, 10]) {
          const t = kt / kappa;
          const exact = { g: Math.exp(-kt), h: -Math.expm1(-kt) };
          const zero = modeResponse(kappa, 0, depth, t);
          expect(zero.g).toBe(exact.g);
          expect(Math.abs(zero.h - exact.h) / exact.h).toBeLessThan(1e-15);
          // small λ: to first order δΦ = Lλt − (L−1)κλt², so the relative deviations are ≲ λt·L(1 + κt)
          for (const lambda of [1e-10, 1e-13]) {
            const small = modeResponse(kappa, lambda, depth, t);
            const bound = 2 * lambda * t * depth * (1 + kt) + 1e-14;
            expect(Math.abs(small.g - exact.g) / exact.g).toBeLessThan(bound);
            expect(Math.abs(small.h - exact.h) / exact.h).toBeLessThan(bound);
          }
        }
      }
    }
  });

  it('random inputs over wide ranges: finite, 0 ≤ G, 0 ≤ H, G + H ≤ 1 (f0 = y = 1 never exceeds 1)', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let n = 0; n < 300; n++) {
      const depth = 1 + Math.floor(rnd() * 12);
      const lambda = rnd() < 0.1 ? 0 : 10 ** (-10 + 12 * rnd());
      const kappas = Float64Array.from({ length: 7 }, () => (rnd() < 0.1 ? 0 : 10 ** (-14 + 18 * rnd())));
      const times = Float64Array.from({ length: 9 }, () => (rnd() < 0.1 ? 0 : 10 ** (-6 + 14 * rnd()) / Math.max(lambda, 1e-3)));
      const { g, h } = modeResponses(kappas, lambda, depth, times);
      for (let k = 0; k < g.length; k++) {
        expect(Number.isFinite(g[k]) && Number.isFinite(h[k])).toBe(true);
        expect(g[k]).toBeGreaterThanOrEqual(0);
        expect(h[k]).toBeGreaterThanOrEqual(0);
        expect(g[k] + h[k]).toBeLessThanOrEqual(1 + 1e-14);
      }
    }
  });

  it('huge finite t (a·t overflows to ∞) gives the limits, not NaN', () => {
    for (const depth of [1, 2, 3, 10]) {
      for (const kappa of [0, 1e-12, 0.3, 1e3]) {
        const r = modeResponse(kappa, 10, depth, 1e308);
        const lim = modeResponse(kappa, 10, depth, Infinity);
        expect(r.g).toBe(lim.g);
        expect(Math.abs(r.h - lim.h)).toBeLessThan(1e-15);
        const v = modeResponses(Float64Array.of(kappa), 10, depth, Float64Array.of(1e300, 1e308, 3));
        expect(Number.isNaN(v.g[1]) || Number.isNaN(v.h[1]) || Number.isNaN(v.h[0])).toBe(false);
      }
    }
  });

  it('κ = 0: G = e^{−Lλt}, H = 0; t = 0: G = 1, H = 0', () => {
    const r = modeResponse(0, 0.1, 3, 5);
    expect(r.g).toBeCloseTo(Math.exp(-1.5), 15);
    expect(r.h).toBe(0);
    const v = modeResponses(Float64Array.of(0, 1), 0.1, 3, Float64Array.of(5, 0));
    expect(v.g[0]).toBeCloseTo(Math.exp(-1.5), 15);
    expect(v.h[0]).toBe(0);
    expect(v.g[2]).toBe(1);
    expect(v.h[2]).toBe(0);
    expect(v.g[3]).toBe(1);
    expect(v.h[3]).toBe(0);
    expect(modeResponse(0, 0, 1, 7)).toEqual({ g: 1, h: 0 });
  });

  it('is continuous across its internal regime boundaries (relative jumps < 1e-11)', () => {
    // b = κ/a = 1 (series ↔ gamma difference), Y = κ(1 − e^{−at})/a = 0.01 (early expansion), z = ln(b e^{−at}) =
    // −3 and −40 (series for U), τ = at = 40 (late-time series loop).
    const lambda = 0.01;
    for (const depth of [2, 3, 7]) {
      const a = 2 * (depth - 1) * lambda;
      const probes: Array<[number, number]> = [];
      for (const b of [1, 5]) {
        probes.push([a * b, 3 / a]); // b = 1 boundary at several times
        probes.push([a * b, 0.3 / a]);
        probes.push([a * b, 45 / a]);
      }
      const b = 50;
      probes.push([a * b, -Math.log1p(-0.01 / b) / a]); // Y = 0.01
      probes.push([a * b, (Math.log(b) + 3) / a]); // z = −3
      probes.push([a * b, (Math.log(b) + 40) / a]); // z = −40
      probes.push([a * 0.5, 40 / a]); // τ = 40
      for (const [kappa, t] of probes) {
        const here = modeResponse(kappa, lambda, depth, t);
        for (const eps of [1e-13, -1e-13]) {
          const k2 = kappa * (1 + eps);
          const t2 = t * (1 + eps);
          for (const other of [modeResponse(k2, lambda, depth, t), modeResponse(kappa, lambda, depth, t2)]) {
            expect(Math.abs(other.h - here.h) / here.h, `L=${depth} κ=${kappa} t=${t}`).toBeLessThan(1e-11);
            expect(Math.abs(other.g - here.g) / here.g).toBeLessThan(1e-11);
          }
        }
      }
    }
  });
});

describe('modeResponses (vectorized)', () => {
  it('matches modeResponse point by point, with unsorted and repeated times, t = 0 and t = ∞', () => {
    const kappas = Float64Array.of(0, 1e-12, 3e-5, 0.02, 0.7, 4, 1e3);
    const times = Float64Array.of(50, 0, 1e-3, Infinity, 7, 0.2, 7, 1e4);
    for (const depth of [1, 2, 3, 6]) {
      for (const lambda of [0, 1e-3, 0.5]) {
        const { g, h } = modeResponses(kappas, lambda, depth, times);
        expect(g.length).toBe(kappas.length * times.length);
        times.forEach((t, j) => {
          kappas.forEach((kappa, i) => {
            const r = modeResponse(kappa, lambda, depth, t);
            expect(g[j * kappas.length + i], `g L=${depth} λ=${lambda} κ=${kappa} t=${t}`).toBe(r.g);
            expect(h[j * kappas.length + i], `h L=${depth} λ=${lambda} κ=${kappa} t=${t}`).toBe(r.h);
          });
        });
      }
    }
  });

  it('handles empty inputs', () => {
    expect(modeResponses(new Float64Array(0), 0.1, 2, Float64Array.of(1)).g.length).toBe(0);
    expect(modeResponses(Float64Array.of(1), 0.1, 2, new Float64Array(0)).h.length).toBe(0);
  });

  it('rejects invalid inputs with RangeError', () => {
    const ok = Float64Array.of(1);
    expect(() => modeResponse(-1e-15, 0.1, 2, 1)).toThrow(RangeError);
    expect(() => modeResponse(Number.NaN, 0.1, 2, 1)).toThrow(RangeError);
    expect(() => modeResponse(Infinity, 0.1, 2, 1)).toThrow(RangeError);
    expect(() => modeResponse(1, -0.1, 2, 1)).toThrow(RangeError);
    expect(() => modeResponse(1, Number.NaN, 2, 1)).toThrow(RangeError);
    expect(() => modeResponse(1, 0.1, 0, 1)).toThrow(RangeError);
    expect(() => modeResponse(1, 0.1, 2.5, 1)).toThrow(RangeError);
    expect(() => modeResponse(1, 0.1, Number.NaN, 1)).toThrow(RangeError);
    expect(() => modeResponse(1, 0.1, 2, -1)).toThrow(RangeError);
    expect(() => modeResponse(1, 0.1, 2, Number.NaN)).toThrow(RangeError);
    expect(() => modeResponses(Float64Array.of(1, -2), 0.1, 2, ok)).toThrow(/index 1/);
    expect(() => modeResponses(ok, 0.1, 2, Float64Array.of(0, Number.NaN))).toThrow(RangeError);
    expect(() => modeResponses(ok, 0.1, 1.5, ok)).toThrow(RangeError);
  });
});
