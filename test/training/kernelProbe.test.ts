import { beforeAll, describe, expect, it } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { bindFinite, initParams } from '../../src/layers/network.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { probeKernel } from '../../src/training/kernelProbe.js';
import { updateStep } from '../../src/training/updateStep.js';
import { randomMatrix } from '../helpers.js';

// The structured NTK runs its products in float32 and sums in float64: relative errors ~1e-6 on these sizes;
// the tolerances (1e-5, and 1e-4 after seven float32 update steps) leave a margin of ~10×.

describe('probeKernel: the logged kernel scale', () => {
  beforeAll(async () => {
    await initTfjs('auto');
  });

  it('one Dense layer, f = (σ/√d)·xW: Θ = (σ²/d)·XXᵀ, so trace/m = (σ²/d)·mean|x|² and Frobenius/m = (σ²/d)·|XXᵀ|_F/m', async () => {
    const [m, d, sigma] = [7, 5, 1.3];
    const spec = parseOneLineSpec(`dense(3, wStd=${sigma})`);
    const net = bindFinite(spec, d);
    const x = randomMatrix(m, d, 11);
    const params = initParams(net, 2).layers.map((g) => [...g]);
    const got = await probeKernel(net, params, tf.tensor2d(Float32Array.from(x.data), [m, d]));
    let tr = 0;
    let fr = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let g = 0;
        for (let c = 0; c < d; c++) g += Math.fround(x.data[i * d + c]) * Math.fround(x.data[j * d + c]);
        const k = (sigma * sigma * g) / d;
        if (i === j) tr += k;
        fr += k * k;
      }
    }
    expect(Math.abs(got.kernelTrace / (tr / m) - 1)).toBeLessThan(1e-5);
    expect(Math.abs(got.kernelFrob / (Math.sqrt(fr) / m) - 1)).toBeLessThan(1e-5);
  });

  it('a bias-free ReLU net with L = 3 Dense layers under L2 alone: k SGD steps scale the kernel by (1 − ηλ)^{2(L−1)k} exactly', async () => {
    const spec = parseOneLineSpec('dense(16, wStd=1.4) > relu > dense(16, wStd=1.4) > relu > dense(2, wStd=1.4)');
    const net = bindFinite(spec, 4);
    const probe = tf.tensor2d(Float32Array.from(randomMatrix(5, 4, 12).data), [5, 4]);
    const groups = initParams(net, 3).layers.map((g) => [...g]);
    const k0 = (await probeKernel(net, groups, probe)).kernelTrace;
    const [eta, lambda, steps] = [0.5, 0.1, 7];
    let flat = groups.flat();
    for (let s = 0; s < steps; s++) flat = updateStep(flat, flat.map((p) => tf.zerosLike(p)), null, { lr: eta, lambda, momentum: 0 }).params;
    let at = 0;
    const after = groups.map((g) => flat.slice(at, (at += g.length)));
    const ratio = (await probeKernel(net, after, probe)).kernelTrace / k0;
    const discrete = (1 - eta * lambda) ** (4 * steps); // 0.95^28 = 0.2378
    expect(Math.abs(ratio / discrete - 1)).toBeLessThan(1e-4);
    // the continuous-time e^{−2(L−1)Λ}, Λ = ηλ·steps, is 3.7% away: the difference is the discretisation, not noise
    expect(Math.abs(ratio / Math.exp(-4 * eta * lambda * steps) - 1)).toBeGreaterThan(0.03);
  });
});
