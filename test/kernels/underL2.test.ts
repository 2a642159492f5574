import { describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { ntkUnderL2 } from '../../src/kernels/underL2.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { isPositivelyHomogeneous, serial } from '../../src/layers/serial.js';
import { maxRelErr, randomMatrix } from '../helpers.js';

describe('kernel under L2 (scaled-σ prediction)', () => {
  const x = randomMatrix(8, 5, 41);
  it('reduces to e^{−2(L−1)Λ}Θ_0 for a bias-free ReLU net (1e-12)', () => {
    const spec = serial(dense(32, { wStd: 1.3 }), relu(), dense(32, { wStd: 1.3 }), relu(), dense(1, { wStd: 1.3 }));
    expect(isPositivelyHomogeneous(spec)).toBe(true);
    const th0 = analyticKernelSync(spec, x).ntk!.data;
    for (const bigLambda of [0, 0.1, 2.5]) {
      const pred = ntkUnderL2(spec, bigLambda, x).data;
      const expected = th0.map((v) => v * Math.exp(-4 * bigLambda));
      expect(maxRelErr(pred, expected)).toBeLessThan(1e-12);
    }
  });
  it('with biases and Erf the decay is not a pure exponential, and Λ = 0 gives Θ_0 exactly', () => {
    const spec = serial(dense(32, { wStd: 1.5, bStd: 0.5 }), erf(), dense(1, { wStd: 1.2, bStd: 0.3 }));
    expect(isPositivelyHomogeneous(spec)).toBe(false);
    const th0 = analyticKernelSync(spec, x).ntk!.data;
    expect(maxRelErr(ntkUnderL2(spec, 0, x).data, th0)).toBe(0);
    const r1 = ntkUnderL2(spec, 0.5, x).data[0] / th0[0];
    const r2 = ntkUnderL2(spec, 1.0, x).data[0] / th0[0];
    expect(Math.abs(r2 - r1 * r1)).toBeGreaterThan(1e-3); // not exp(−cΛ)
  });
});
