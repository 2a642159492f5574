import { beforeAll, describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { monteCarloKernel } from '../../src/kernels/monteCarlo.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { withHiddenWidth } from '../../src/layers/network.js';
import { serial } from '../../src/layers/serial.js';
import type { Layer, NetworkSpec } from '../../src/layers/types.js';
import { getLinalg } from '../../src/linalg/index.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix, relToMax } from '../helpers.js';


function mlp(act: () => Layer, depth: number, outputs: number, width: number, parameterization: 'ntk' | 'standard' = 'ntk'): NetworkSpec {
  const layers: Layer[] = [];
  for (let l = 0; l < depth - 1; l++) layers.push(dense(width, { wStd: 1.3, bStd: 0.2 }), act());
  layers.push(dense(outputs, { wStd: 1.1, bStd: 0.3 }));
  return { ...serial(...layers), parameterization };
}

beforeAll(async () => {
  await initTfjs('auto');
});

describe('structured empirical NTK versus Jacobian contraction', () => {
  // Both run in float32 (products of ~width terms, relative rounding ~1e-7·√width); the bar is 1e-4.
  const x1 = randomMatrix(5, 6, 1);
  const x2 = randomMatrix(4, 6, 2);
  for (const [name, act] of [['relu', relu], ['erf', erf]] as const) {
    for (const depth of [1, 2, 3, 4]) {
      for (const outputs of [1, 10]) {
        it(`${name}, ${depth} Dense layer(s), ${outputs} output(s), biases: trace, NNGP and every output pair agree to 1e-4`, async () => {
          const spec = mlp(act, depth, outputs, 24);
          const s = await empiricalKernel(spec, x1, x2, { method: 'structured', seed: depth * 10 + outputs, full: true });
          const j = await empiricalKernel(spec, x1, x2, { method: 'jacobian', seed: depth * 10 + outputs, full: true });
          expect(s.ntk.rows).toBe(5);
          expect(s.ntk.cols).toBe(4);
          expect(s.full!.length).toBe(5 * 4 * outputs * outputs);
          expect(relToMax(s.ntk.data, j.ntk.data)).toBeLessThan(1e-4);
          expect(relToMax(s.full!, j.full!)).toBeLessThan(1e-4);
          expect(relToMax(s.nngp.data, j.nngp.data)).toBeLessThan(1e-5);
        });
      }
    }
  }

  it('standard parameterization, symmetric X2 = X1 (the syrk path): agree to 1e-4', async () => {
    const spec = mlp(relu, 3, 3, 20, 'standard');
    const s = await empiricalKernel(spec, x1, undefined, { method: 'structured', seed: 7 });
    const j = await empiricalKernel(spec, x1, undefined, { method: 'jacobian', seed: 7 });
    expect(relToMax(s.ntk.data, j.ntk.data)).toBeLessThan(1e-4);
  });

  it('the Jacobian contraction gives the same kernel on both float64 linear-algebra backends', async () => {
    const spec = mlp(erf, 2, 2, 16);
    const a = await empiricalKernel(spec, x1, x2, { method: 'jacobian', seed: 3, linalg: getLinalg('js') });
    const b = await empiricalKernel(spec, x1, x2, { method: 'jacobian', seed: 3 });
    expect(relToMax(a.ntk.data, b.ntk.data)).toBeLessThan(1e-12);
  });
});

describe('empirical kernels of one network', () => {
  const x = randomMatrix(8, 5, 3);

  it('are reproducible from the seed, differ across seeds, and report their dtype and backend', async () => {
    const spec = mlp(relu, 3, 2, 32);
    const a = await empiricalKernel(spec, x, undefined, { seed: 5 });
    const b = await empiricalKernel(spec, x, undefined, { seed: 5 });
    const c = await empiricalKernel(spec, x, undefined, { seed: 6 });
    expect(Array.from(a.ntk.data)).toEqual(Array.from(b.ntk.data));
    expect(relToMax(a.ntk.data, c.ntk.data)).toBeGreaterThan(1e-3);
    expect(a.dtype).toBe('float32 products, float64 sums');
    expect(['wasm', 'cpu', 'tensorflow']).toContain(a.backend);
    expect(a.paramCount).toBe(5 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2);
  });

  it('give the same numbers on the wasm and cpu backends (same seeded weights) to float32 precision', async () => {
    const spec = mlp(erf, 3, 2, 32);
    const w = await empiricalKernel(spec, x, undefined, { seed: 9, backend: 'wasm' });
    const c = await empiricalKernel(spec, x, undefined, { seed: 9, backend: 'cpu' });
    await initTfjs('wasm'); // 'auto' would keep the backend now active
    expect(w.backend).toBe('wasm');
    expect(c.backend).toBe('cpu');
    expect(relToMax(w.ntk.data, c.ntk.data)).toBeLessThan(1e-5);
  });

  it('Θ is symmetric (to float32 rounding) and positive semi-definite', async () => {
    const spec = mlp(relu, 3, 4, 48);
    const { ntk } = await empiricalKernel(spec, x, undefined, { seed: 2 });
    const n = ntk.rows;
    let asym = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        asym = Math.max(asym, Math.abs(ntk.data[i * n + j] - ntk.data[j * n + i]));
        max = Math.max(max, Math.abs(ntk.data[i * n + j]));
      }
    }
    expect(asym / max).toBeLessThan(1e-6);
    const { values } = getLinalg().eigh(ntk);
    expect(values[0]).toBeGreaterThan(-1e-5 * values[n - 1]);
  });
});

describe('Monte Carlo kernels against the analytic ones', () => {
  // With one hidden layer the units are independent and identically distributed and the readout weights are
  // independent of them, so the empirical NNGP and NTK are UNBIASED estimators of the analytic kernels at
  // any width: the mean over S networks must sit within a few standard errors of the float64 formula.
  it('one hidden layer (Erf, biases): every entry within 4.5 standard errors, S = 24 networks', async () => {
    const x = randomMatrix(5, 7, 4);
    const spec = serial(dense(128, { wStd: 1.5, bStd: 0.4 }), erf(), dense(3, { wStd: 1.2, bStd: 0.5 }));
    const mc = await monteCarloKernel(spec, x, undefined, { seeds: 24, seed0: 100 });
    const an = analyticKernelSync(spec, x);
    let worst = 0;
    for (const [emp, se, ref] of [[mc.ntk, mc.ntkStderr!, an.ntk!], [mc.nngp, mc.nngpStderr!, an.nngp!]] as const) {
      for (let i = 0; i < ref.data.length; i++) worst = Math.max(worst, Math.abs(emp.data[i] - ref.data[i]) / se.data[i]);
    }
    // 30 distinct entries; |t| > 4.5 with 23 degrees of freedom has probability ~1.6e-4 per entry.
    expect(worst).toBeLessThan(4.5);
    expect(worst).toBeGreaterThan(0.05); // the standard errors are not absurdly large
  });

  it('the standard error shrinks like 1/√S and the mean with S = 1 is that network', async () => {
    const x = randomMatrix(4, 3, 5);
    const spec = serial(dense(64, { wStd: 1.4 }), relu(), dense(1, { wStd: 1.4 }));
    const one = await monteCarloKernel(spec, x, undefined, { seeds: 1, seed0: 3 });
    const single = await empiricalKernel(spec, x, undefined, { seed: 3 });
    expect(Array.from(one.ntk.data)).toEqual(Array.from(single.ntk.data));
    expect(one.ntkStderr).toBeNull();
    const a = await monteCarloKernel(spec, x, undefined, { seeds: 8 });
    const b = await monteCarloKernel(spec, x, undefined, { seeds: 32 });
    const avg = (m: { data: Float64Array }) => m.data.reduce((s, v) => s + v, 0) / m.data.length;
    const ratio = avg(a.ntkStderr!) / avg(b.ntkStderr!);
    expect(ratio).toBeGreaterThan(1.2); // √(32/8) = 2 in expectation; the estimate itself is noisy
    expect(ratio).toBeLessThan(3.5);
  });
});

describe('bad input gets a clear error', () => {
  const x = randomMatrix(4, 3, 6);
  it('a layer without a finite form is named', async () => {
    const kernelOnly: Layer = {
      json: { type: 'identity' },
      outWidth: (w) => w,
      hasWeights: false,
      homogeneity: 0,
      scaleParams: () => kernelOnly,
      kernel: () => (k) => k,
    };
    const spec = serial(dense(8), kernelOnly, dense(1));
    await expect(empiricalKernel(spec, x)).rejects.toThrow(/layers\[1\] \(identity\) has no finite form/);
  });
  it('width 0, mismatched input dimensions, unknown method, seeds 0', async () => {
    const spec = parseOneLineSpec('dense(8) > relu > dense(2)');
    expect(() => withHiddenWidth(spec, 0)).toThrow(InputError);
    expect(() => withHiddenWidth(spec, 0)).toThrow(/width must be a positive integer, got 0/);
    await expect(empiricalKernel(spec, x, randomMatrix(2, 4, 1))).rejects.toThrow(/different input dimensions: X1 is 4×3, X2 is 2×4/);
    await expect(empiricalKernel(spec, x, undefined, { method: 'magic' as 'jacobian' })).rejects.toThrow(/method must be "structured" or "jacobian"/);
    await expect(monteCarloKernel(spec, x, undefined, { seeds: 0 })).rejects.toThrow(/seeds must be a positive integer/);
    const nan = randomMatrix(4, 3, 7);
    nan.data[5] = NaN;
    await expect(empiricalKernel(spec, nan)).rejects.toThrow(/X1 contains NaN or Inf at row 1, column 2/);
  });
  it('a Jacobian too big for the memory limit is refused with the estimate', async () => {
    const spec = parseOneLineSpec('dense(512) > relu > dense(10)');
    await expect(empiricalKernel(spec, x, undefined, { method: 'jacobian', maxMemoryBytes: 1000 })).rejects.toThrow(/needs about .* over the memory limit/);
  });
});
