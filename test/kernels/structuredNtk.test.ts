import { beforeAll, describe, expect, it } from 'vitest';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { structuredNtk } from '../../src/kernels/structuredNtk.js';
import { bindFinite, initParams } from '../../src/layers/network.js';
import { nativeStructuredShare } from '../../src/kernels/sensitivityGram.js';
import { abs, leakyRelu, relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { serial } from '../../src/layers/serial.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { tfRuntime } from '../../src/tfjs/runtime.js';
import { randomMatrix, relToMax } from '../helpers.js';

beforeAll(async () => {
  await initTfjs('wasm');
});

// Three paths to the same Θ: the host-BLAS share (the default without `full`, when the addon has structuredShare), the
// all-tfjs share (taken with `full`, whose trace is the same Θ) and the Jacobian contraction. All are float32
// products summed in float64: they agree to float32 rounding, ~1e-7·√(terms) relative; 1e-5 of the largest
// entry leaves a margin of ~10 over what the widths here give, and an error in any block would be O(1).
describe.skipIf(!nativeStructuredShare())('structured NTK with the dense shares on OpenBLAS', () => {
  const spec = serial(dense(48, { wStd: 1.3, bStd: 0.2 }), relu(), dense(40, { wStd: 1.2, bStd: 0.1 }), erf(), dense(3, { wStd: 1.1, bStd: 0.3 }));

  it('X2 = X1 (ssyrk, 150 points over three 64-row tiles: the symmetric path) equals the all-tfjs share', async () => {
    const x = randomMatrix(150, 7, 21);
    const host = await empiricalKernel(spec, x, undefined, { seed: 4 });
    const tfjs = await empiricalKernel(spec, x, undefined, { seed: 4, full: true });
    expect(relToMax(host.ntk.data, tfjs.ntk.data)).toBeLessThan(1e-5);
    expect(relToMax(host.nngp.data, tfjs.nngp.data)).toBe(0); // the NNGP path is unchanged
  });

  it('two sets X1, X2 (one product) equal the all-tfjs share and the Jacobian contraction', async () => {
    const x1 = randomMatrix(9, 7, 22);
    const x2 = randomMatrix(6, 7, 23);
    const host = await empiricalKernel(spec, x1, x2, { seed: 5 });
    const tfjs = await empiricalKernel(spec, x1, x2, { seed: 5, full: true });
    const jac = await empiricalKernel(spec, x1, x2, { seed: 5, method: 'jacobian' });
    expect(relToMax(host.ntk.data, tfjs.ntk.data)).toBeLessThan(1e-5);
    expect(relToMax(host.ntk.data, jac.ntk.data)).toBeLessThan(1e-5);
  });
});

describe('structured NTK memory', () => {
  // δ at the first layer's output was once never freed: one [k, N, width] tensor per call, the wasm heap growing
  it('leaves no tensor behind (X2 = X1 and X1 ≠ X2, with and without every output pair)', async () => {
    const spec = serial(dense(16, { wStd: 1.3 }), relu(), dense(12, { wStd: 1.2, bStd: 0.1 }), relu(), dense(2, { wStd: 1.1 }));
    const x1 = randomMatrix(7, 5, 31);
    const x2 = randomMatrix(4, 5, 32);
    const tf = tfRuntime();
    for (const [b, full] of [[undefined, false], [x2, false], [undefined, true], [x2, true]] as const) {
      const before = tf.memory().numTensors;
      await empiricalKernel(spec, x1, b, { seed: 1, full });
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('structured NTK of the relu family (φ\' by one step op when b = 1)', () => {
  // leakyRelu and abs take step(x, a) = x > 0 ? 1 : a for φ'; the Jacobian method differentiates φ by autodiff
  // instead: both float32 products summed in float64, agreeing to ~1e-7·√terms; 1e-5 as above
  for (const [name, act] of [['leakyRelu(0.2)', leakyRelu(0.2)], ['abs', abs()]] as const) {
    it(`${name}: the structured NTK equals the Jacobian contraction`, async () => {
      const spec = serial(dense(24, { wStd: 1.3, bStd: 0.2 }), act, dense(3, { wStd: 1.1, bStd: 0.3 }));
      const x = randomMatrix(11, 5, 41);
      const structured = await empiricalKernel(spec, x, undefined, { seed: 6 });
      const jac = await empiricalKernel(spec, x, undefined, { seed: 6, method: 'jacobian' });
      expect(relToMax(structured.ntk.data, jac.ntk.data)).toBeLessThan(1e-5);
      expect(relToMax(structured.nngp.data, jac.nngp.data)).toBeLessThan(1e-5);
    });
  }
});

describe('structured NTK without the NNGP', () => {
  it('nngp: false gives the same Θ (bit for bit) and an empty NNGP', async () => {
    const spec = serial(dense(20, { wStd: 1.3, bStd: 0.2 }), relu(), dense(3, { wStd: 1.1 }));
    const net = bindFinite(spec, 5);
    const params = initParams(net, 3);
    const tf = tfRuntime();
    const x = tf.tensor2d(Float32Array.from(randomMatrix(9, 5, 51).data), [9, 5]);
    try {
      const both = await structuredNtk(net, params.layers, x, null);
      const ntkOnly = await structuredNtk(net, params.layers, x, null, { nngp: false });
      expect(ntkOnly.nngp.length).toBe(0);
      expect(both.nngp.length).toBe(81);
      expect(Array.from(ntkOnly.ntk)).toEqual(Array.from(both.ntk));
    } finally {
      x.dispose();
      params.dispose();
    }
  });
});
