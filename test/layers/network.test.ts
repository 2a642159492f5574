import { beforeAll, describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { parseOneLineSpec, serial } from '../../src/network/network.js';
import { bindFinite, withHiddenWidth } from '../../src/layers/network.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

beforeAll(async () => {
  await initTfjs('auto');
});

/** Forward pass in float64 from the parameter values, written out here independently of the layer modules. */
function forwardByHand(x: Float64Array, n: number, d: number, w1: Float32Array, b1: Float32Array, w2: Float32Array, h: number, k: number, p: { wStd: number; bStd: number; wStd2: number; ntk: boolean }) {
  const out = new Float64Array(n * k);
  const s1 = p.ntk ? p.wStd / Math.sqrt(d) : 1;
  const s2 = p.ntk ? p.wStd2 / Math.sqrt(h) : 1;
  const sb = p.ntk ? p.bStd : 1;
  for (let i = 0; i < n; i++) {
    const hid = new Float64Array(h);
    for (let u = 0; u < h; u++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += x[i * d + j] * w1[j * h + u];
      hid[u] = Math.max(0, s1 * z + sb * b1[u]);
    }
    for (let c = 0; c < k; c++) {
      let z = 0;
      for (let u = 0; u < h; u++) z += hid[u] * w2[u * k + c];
      out[i * k + c] = s2 * z;
    }
  }
  return out;
}

describe('serial(...) yields init, apply and kernel', () => {
  const x = randomMatrix(4, 3, 8);
  for (const ntk of [true, false]) {
    it(`${ntk ? 'NTK' : 'standard'} parameterization: apply equals the forward pass written out by hand`, () => {
      const base = serial(dense(6, { wStd: 1.3, bStd: 0.4 }), relu(), dense(2, { wStd: 0.9 }));
      const net = ntk ? base : { ...base, parameterization: 'standard' as const };
      const params = net.init(3, 11);
      expect(params.layers.map((g) => g.map((t) => t.shape))).toEqual([[[3, 6], [6]], [], [[6, 2]]]);
      expect(params.paramCount).toBe(3 * 6 + 6 + 12);
      const f = net.apply(params, tf.tensor2d(Float32Array.from(x.data), [4, 3])).dataSync();
      const [w1, b1] = params.layers[0].map((t) => t.dataSync() as Float32Array);
      const w2 = params.layers[2][0].dataSync() as Float32Array;
      const ref = forwardByHand(x.data, 4, 3, w1, b1, w2, 6, 2, { wStd: 1.3, bStd: 0.4, wStd2: 0.9, ntk });
      for (let i = 0; i < ref.length; i++) expect(f[i]).toBeCloseTo(ref[i], 5);
    });
  }

  it('init draws N(0, 1) weights (NTK) or N(0, σ_w²/n_in), N(0, σ_b²) (standard), reproducibly', () => {
    const spec = serial(dense(400, { wStd: 2, bStd: 0.5 }), erf(), dense(1));
    const a = spec.init(250, 3);
    const b = spec.init(250, 3);
    expect(Array.from(a.layers[0][0].dataSync().slice(0, 5))).toEqual(Array.from(b.layers[0][0].dataSync().slice(0, 5)));
    const variance = (t: tf.Tensor) => {
      const v = Array.from(t.dataSync() as Float32Array);
      return v.reduce((s, e) => s + e * e, 0) / v.length;
    };
    // 100,000 weights: standard error of the variance estimate √(2/n) ≈ 0.0045 relative
    expect(Math.abs(variance(a.layers[0][0]) - 1)).toBeLessThan(0.02);
    const std = { ...spec, parameterization: 'standard' as const }.init(250, 3);
    expect(Math.abs(variance(std.layers[0][0]) / (4 / 250) - 1)).toBeLessThan(0.02);
    expect(Math.abs(variance(std.layers[0][1]) / 0.25 - 1)).toBeLessThan(0.3); // 400 biases: SE 7%
  });

  it('kernel is the analytic kernel of the same spec; the one-line form gives the same methods', async () => {
    const spec = parseOneLineSpec('dense(32, wStd=1.4, bStd=0.2) > relu > dense(1)');
    const k = await spec.kernel(x);
    expect(Array.from(k.ntk!.data)).toEqual(Array.from(analyticKernelSync(spec, x).ntk!.data));
    expect(spec.init(3).paramCount).toBe(3 * 32 + 32 + 32);
  });

  it('withHiddenWidth changes every Dense width but the readout', () => {
    const spec = withHiddenWidth(parseOneLineSpec('[dense(8) > relu]*3 > dense(10)'), 64);
    expect(spec.layers.filter((l) => l.json.type === 'dense').map((l) => (l.json as { width: number }).width)).toEqual([64, 64, 64, 10]);
    expect(bindFinite(spec, 5).paramCount).toBe(5 * 64 + 64 * 64 * 2 + 64 * 10);
  });

  it('a wrong input width is refused with both shapes', () => {
    const spec = parseOneLineSpec('dense(4) > relu > dense(1)');
    const params = spec.init(3);
    expect(() => spec.apply(params, tf.zeros([2, 5]) as tf.Tensor2D)).toThrow(InputError);
    expect(() => spec.apply(params, tf.zeros([2, 5]) as tf.Tensor2D)).toThrow(/shape \[2, 5\] but the network expects N × 3/);
  });
});
