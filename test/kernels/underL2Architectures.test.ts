import { describe, expect, it } from 'vitest';
import type { Images } from '../../src/data/images.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { homogeneousKernelFactor, l2KernelRule, ntkUnderL2 } from '../../src/kernels/underL2.js';
import { relu } from '../../src/layers/abrelu.js';
import { avgPool } from '../../src/layers/avgPool.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { fanInSum } from '../../src/layers/fanInSum.js';
import { flatten } from '../../src/layers/flatten.js';
import { globalAvgPool } from '../../src/layers/globalAvgPool.js';
import { layerNorm } from '../../src/layers/layerNorm.js';
import { parallel } from '../../src/layers/parallel.js';
import { residual } from '../../src/layers/residual.js';
import { serial, weightLayerCount } from '../../src/layers/serial.js';
import { InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { maxRelErr } from '../helpers.js';

function images(n: number, h: number, w: number, c: number, seed: number): Images {
  const rng = new Rng(seed);
  return { shape: [n, h, w, c], data: Float64Array.from(rng.normalsFloat32(n * h * w * c, 1)), dtype: 'float64' };
}

const W = Math.SQRT2;
const x = images(3, 5, 5, 2, 7);

describe('L2 kernel rule for convolutional nets (issue 12, item 4)', () => {
  it('a bias-free conv/ReLU/pooling CNN is homogeneous of degree L = weight layers per path, and the scaled-σ kernel is e^{−2(L−1)Λ}Θ_0 (1e-12)', () => {
    // 4 weight layers on every path: conv, conv, conv, dense; avgPool, globalAvgPool-free flatten readout
    const cnnFlatten = serial(conv(3, { filter: [3, 3], wStd: W }), relu(), avgPool({ window: [2, 2], strides: [1, 1], padding: 'SAME' }), conv(3, { filter: [2, 2], padding: 'VALID', wStd: 1.2 }), relu(), conv(3, { filter: [3, 3], wStd: W }), relu(), flatten(), dense(1, { wStd: 0.9 }));
    const cnnGap = serial(conv(3, { filter: [3, 3], wStd: W }), relu(), conv(3, { filter: [3, 3], strides: [2, 2], wStd: W }), relu(), globalAvgPool(), dense(2, { wStd: W }));
    for (const [spec, L] of [[cnnFlatten, 4], [cnnGap, 3]] as const) {
      const rule = l2KernelRule(spec);
      expect(rule).toEqual({ kind: 'homogeneous', degree: L, rate: 2 * (L - 1) });
      expect(weightLayerCount(spec)).toBe(L);
      const th0 = analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!.data;
      for (const bigLambda of [0, 0.3, 1.7]) {
        const expected = th0.map((v) => v * Math.exp(-2 * (L - 1) * bigLambda));
        expect(maxRelErr(ntkUnderL2(spec, bigLambda, x).data, expected)).toBeLessThan(1e-12);
        expect(Math.abs(homogeneousKernelFactor(spec, bigLambda) - Math.exp(-2 * (L - 1) * bigLambda))).toBe(0);
      }
    }
  });

  it('L counts weight layers along a path, not in total: two parallel conv branches summed are degree 2, not 3', () => {
    const spec = serial(parallel([conv(3, { filter: [3, 3], wStd: W })], [conv(3, { filter: [1, 1], wStd: 1.1 })]), fanInSum(), relu(), flatten(), dense(1, { wStd: W }));
    expect(weightLayerCount(spec)).toBe(3);
    expect(l2KernelRule(spec)).toEqual({ kind: 'homogeneous', degree: 2, rate: 2 });
    const th0 = analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!.data;
    expect(maxRelErr(ntkUnderL2(spec, 0.8, x).data, th0.map((v) => v * Math.exp(-2 * 0.8)))).toBeLessThan(1e-12);
  });

  it('refuses the homogeneous formula for residual, biased and layerNorm nets, naming the layer and why', () => {
    const res = serial(conv(3, { filter: [3, 3], wStd: W }), relu(), residual(conv(3, { filter: [3, 3], wStd: W }), relu(), conv(3, { filter: [3, 3], wStd: W })), relu(), flatten(), dense(1));
    const r = l2KernelRule(res);
    expect(r.kind).toBe('scaledSigma');
    if (r.kind === 'scaledSigma') expect(r.reason).toMatch(/^layers\[2\] \(residual\): its paths .* different numbers of weight layers/);
    const biased = serial(conv(3, { filter: [3, 3], bStd: 0.1 }), relu(), flatten(), dense(1));
    const rb = l2KernelRule(biased);
    expect(rb.kind === 'scaledSigma' && rb.reason).toMatch(/^layers\[0\] \(conv\) is not positively homogeneous/);
    const ln = serial(conv(3, { filter: [1, 1] }), layerNorm(), flatten(), dense(1));
    const rl = l2KernelRule(ln);
    expect(rl.kind === 'scaledSigma' && rl.reason).toMatch(/^layers\[1\] \(layerNorm\)/);
    expect(() => homogeneousKernelFactor(res, 0.5)).toThrow(InputError);
    expect(() => homogeneousKernelFactor(res, 0.5)).toThrow(/residual/);
  });

  // Independent truth: 1×1 convolutions act pixel by pixel, so for conv_a(1×1) > residual(conv_b(1×1)) > flatten >
  // dense_c the recursion closes by hand. With k̄(x, x') = mean over pixels p of x_p·x'_p / C (the input covariance
  // flatten reads), K1 = σa²k, Θ1 = K1; the residual sum gives K2 = (1 + σb²)K1, Θ2 = Θ1 + σb²Θ1 + σb²K1 =
  // (1 + 2σb²)K1; the readout Θ = σc²Θ2 + σc²K2 = σa²σc²(2 + 3σb²)k̄. Under L2 every σ → σe^{−Λ} and Θ picks up e^{2Λ}:
  //   Θ_t = e^{−2Λ}·σa²σc²·(2 + 3σb²e^{−2Λ})·k̄,   not a single exponential (the skip path has one weight layer less).
  it('residual CNN: the scaled-σ prediction equals the closed form of a 1×1 residual net (1e-12)', () => {
    const [a, b, c] = [1.3, 0.7, 1.1];
    const spec = serial(conv(4, { filter: [1, 1], wStd: a }), residual(conv(4, { filter: [1, 1], wStd: b })), flatten(), dense(1, { wStd: c }));
    const [n, h, w, ch] = x.shape;
    const P = h * w;
    const kbar = (i: number, j: number): number => {
      let s = 0;
      for (let q = 0; q < P * ch; q++) s += x.data[i * P * ch + q] * x.data[j * P * ch + q];
      return s / (P * ch);
    };
    for (const bigLambda of [0, 0.25, 1.5]) {
      const got = ntkUnderL2(spec, bigLambda, x).data;
      const want = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) want[i * n + j] = Math.exp(-2 * bigLambda) * a * a * c * c * (2 + 3 * b * b * Math.exp(-2 * bigLambda)) * kbar(i, j);
      expect(maxRelErr(got, want)).toBeLessThan(1e-12);
    }
  });

  // conv_a(1×1) > layerNorm > flatten > dense_c: layerNorm gives K' = ρ = K12/√(K11K22) per pixel pair and Θ' =
  // Θ12/√(K11K22) = ρ (Θ1 = K1), independent of σa; the readout Θ = σc²ρ̄ + σc²ρ̄. Under L2 σc → σc e^{−Λ} and the
  // e^{2Λ} prefactor cancels it: Θ_t = 2σc²ρ̄ for every Λ. The pre-normalization weight's share does not decay: its
  // gradient grows as e^{Λ} while the weight shrinks as e^{−Λ} (scale invariance).
  it('layerNorm: the scaled-σ kernel of conv(1×1) > layerNorm > flatten > dense is frozen under L2 (closed form, 1e-12)', () => {
    const c = 1.4;
    const spec = serial(conv(4, { filter: [1, 1], wStd: 1.9 }), layerNorm(), flatten(), dense(1, { wStd: c }));
    const [n, h, w, ch] = x.shape;
    const P = h * w;
    const rhoBar = (i: number, j: number): number => {
      let s = 0;
      for (let p = 0; p < P; p++) {
        let xy = 0;
        let xx = 0;
        let yy = 0;
        for (let q = 0; q < ch; q++) {
          const u = x.data[(i * P + p) * ch + q];
          const v = x.data[(j * P + p) * ch + q];
          xy += u * v;
          xx += u * u;
          yy += v * v;
        }
        s += xy / Math.sqrt(xx * yy);
      }
      return s / P;
    };
    const want = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) want[i * n + j] = 2 * c * c * rhoBar(i, j);
    for (const bigLambda of [0, 0.6, 2]) expect(maxRelErr(ntkUnderL2(spec, bigLambda, x).data, want)).toBeLessThan(1e-12);
  });
});
