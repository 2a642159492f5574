import { beforeAll, describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { relu } from '../../src/layers/abrelu.js';
import { isBuiltin } from '../../src/layers/builtin.js';
import { dense } from '../../src/layers/dense.js';
import { erf as erfLayer } from '../../src/layers/erf.js';
import { DEFAULT_DEGREE, elementwise, hermiteRule, type ElementwiseFunctions } from '../../src/layers/elementwiseNumerical.js';
import { parseOneLineSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { pointwiseTransform } from '../../src/layers/pointwise.js';
import { homogeneityDegree, serial } from '../../src/layers/serial.js';
import type { KernelTransform, Layer, NetworkSpec } from '../../src/layers/types.js';
import type { Tensor } from '@tensorflow/tfjs';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { erf } from '../../src/util/special.js';
import { Rng } from '../../src/util/random.js';
import { maxRelErr, randomMatrix, relToMax } from '../helpers.js';

const CTX = { parameterization: 'ntk' as const, fanIn: 4 };

/** ReLU and erf written as plain functions, to be integrated numerically and compared with their closed forms. */
const RELU: ElementwiseFunctions = {
  phi: (x) => Math.max(x, 0),
  dphi: (x) => (x > 0 ? 1 : 0),
  tfPhi: (x: Tensor) => tf.relu(x),
};
const ERF: ElementwiseFunctions = {
  phi: erf,
  dphi: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x),
  tfPhi: (x: Tensor) => tf.erf(x),
};

/** A random PSD block: Gram matrix of n seeded vectors whose squared norms are spread over [vMin, vMax]. */
function psdBlock(n: number, seed: number, vMin: number, vMax: number): { n: number; k: Float64Array; diag: Float64Array } {
  const rng = new Rng(seed);
  const d = 5;
  const vecs: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = rng.normals(d);
    const norm = Math.hypot(...v);
    const target = Math.sqrt(vMin + ((vMax - vMin) * i) / (n - 1));
    vecs.push(v.map((x) => (x / norm) * target));
  }
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = vecs[i].reduce((s, x, q) => s + x * vecs[j][q], 0);
  return { n, k, diag: Float64Array.from({ length: n }, (_, i) => k[i * n + i]) };
}

/** Applies a transform to a PSD block: the cross entries (NTK starting at 1, so t is the factor) and the diagonal. */
function applyBlock(tr: KernelTransform, b: ReturnType<typeof psdBlock>) {
  const k = b.k.slice();
  const t = new Float64Array(k.length).fill(1);
  tr.cross({ nr: b.n, nc: b.n, k, t, k11: b.diag, k22: b.diag });
  const dk = b.diag.slice();
  const dt = new Float64Array(b.n).fill(1);
  tr.diag({ n: b.n, k: dk, t: dt });
  return { k, t, dk, dt };
}

/** Worst relative error of every output (NNGP, NTK factor, diagonal NNGP, diagonal NTK factor) against the closed form. */
function errors(layer: Layer, closed: Layer, b: ReturnType<typeof psdBlock>): { k: number; t: number; dk: number; dt: number } {
  const q = applyBlock(pointwiseTransform(layer.kernel(CTX)), b);
  const c = applyBlock(pointwiseTransform(closed.kernel(CTX)), b);
  // relative to the largest entry: an NNGP entry near 0 (anti-correlated ReLU inputs) has no relative accuracy to give
  const rel = (a: Float64Array, r: Float64Array) => maxRelErr(a, r, Math.max(...r.map(Math.abs)));
  return { k: rel(q.k, c.k), t: rel(q.t, c.t), dk: maxRelErr(q.dk, c.dk), dt: maxRelErr(q.dt, c.dt) };
}

const fmt = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ');

describe('Gauss–Hermite rule', () => {
  it('has distinct decreasing nodes, is symmetric and integrates x^{2m}·e^{−x²} exactly (Γ(m + 1/2)) for 2m < 2n', () => {
    for (const n of [2, 7, 26, 40, 101, 150]) {
      const { nodes, weights } = hermiteRule(n);
      for (let i = 0; i < n; i++) {
        expect(nodes[i]).toBeCloseTo(-nodes[n - 1 - i], 13);
        expect(weights[i]).toBeGreaterThan(0);
        if (i > 0) expect(nodes[i]).toBeLessThan(nodes[i - 1]);
      }
      let gamma = Math.sqrt(Math.PI); // Γ(1/2)
      for (let m = 0; m < Math.min(n, 8); m++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += weights[i] * nodes[i] ** (2 * m);
        expect(Math.abs(s / gamma - 1)).toBeLessThan(1e-12);
        gamma *= m + 0.5;
      }
    }
  });
});

describe('elementwise(φ) by quadrature against the closed forms', () => {
  it('erf as a function: ~1e-8 at variances ≤ 0.5 and degree 26, falling geometrically with the degree at variance 1–2', () => {
    const small = psdBlock(10, 1, 0.05, 0.5);
    const e = errors(elementwise(ERF), erfLayer(), small);
    console.log(`erf, variances 0.05–0.5, degree ${DEFAULT_DEGREE}: ${fmt(e)}`);
    expect(e.k).toBeLessThan(3e-8);
    expect(e.t).toBeLessThan(3e-8);
    expect(e.dk).toBeLessThan(1e-13);
    expect(e.dt).toBeLessThan(1e-13);
    const big = psdBlock(10, 2, 1, 2);
    const byDegree = [10, 26, 60, 150].map((degree) => errors(elementwise(ERF, { degree }), erfLayer(), big));
    byDegree.forEach((x, i) => console.log(`erf, variances 1–2, degree ${[10, 26, 60, 150][i]}: ${fmt(x)}`));
    for (let i = 1; i < byDegree.length; i++) {
      expect(byDegree[i].k).toBeLessThan(byDegree[i - 1].k / 10);
      expect(byDegree[i].t).toBeLessThan(byDegree[i - 1].t / 10);
    }
    expect(byDegree[3].k).toBeLessThan(1e-12);
    expect(byDegree[3].t).toBeLessThan(1e-12);
    // the diagonal always uses the 1-D rule at degree 150: rounding-level here
    for (const e of byDegree) expect(Math.max(e.dk, e.dt)).toBeLessThan(1e-13);
  });

  it('relu as a function: the kink limits Gauss–Hermite to ~1e-2 at degree 26, falling like 1/degree', () => {
    const b = psdBlock(10, 3, 0.1, 3);
    const byDegree = [10, 26, 60, 150].map((degree) => errors(elementwise(RELU, { degree }), relu(), b));
    byDegree.forEach((x, i) => console.log(`relu, variances 0.1–3, degree ${[10, 26, 60, 150][i]}: ${fmt(x)}`));
    const d26 = byDegree[1];
    expect(d26.k).toBeLessThan(2e-2);
    expect(d26.t).toBeLessThan(1e-1);
    // an even rule integrates relu(u)² and 1(u > 0) exactly by symmetry: the diagonal is exact
    expect(d26.dk).toBeLessThan(1e-14);
    expect(d26.dt).toBeLessThan(1e-14);
    expect(byDegree[3].k).toBeLessThan(d26.k / 3);
    expect(byDegree[3].t).toBeLessThan(d26.t / 2);
  });

  it('in networks (dense > φ > dense, NTK parameterization and standard): NNGP and NTK agree with the closed forms', () => {
    // inputs of norm² about d/4: pre-activation variances about 0.4 (erf converges fast there; see the test above)
    const x1 = randomMatrix(6, 4, 11, 0.5);
    const x2 = randomMatrix(5, 4, 12, 0.5);
    const net = (act: Layer, parameterization: 'ntk' | 'standard'): NetworkSpec => ({
      ...serial(dense(16, { wStd: 1.2, bStd: 0.1 }), act, dense(3, { wStd: 0.9, bStd: 0.2 })),
      parameterization,
    });
    for (const p of ['ntk', 'standard'] as const) {
      // ReLU's NTK factor E[1(u > 0)1(v > 0)] integrates a step: Gauss–Hermite gets only ~1e-1 there at degree 26
      const cases = [[elementwise(ERF, { degree: 60 }), erfLayer(), 1e-10, 1e-10], [elementwise(RELU), relu(), 3e-2, 3e-1]] as const;
      for (const [num, closed, tolK, tolT] of cases) {
        const a = analyticKernelSync(net(num, p), x1, x2);
        const c = analyticKernelSync(net(closed, p), x1, x2);
        const en = maxRelErr(a.nngp!.data, c.nngp!.data);
        const et = maxRelErr(a.ntk!.data, c.ntk!.data);
        console.log(`${closed.json.type} network (${p}): NNGP ${en.toExponential(1)}, NTK ${et.toExponential(1)}`);
        expect(en).toBeLessThan(tolK);
        expect(et).toBeLessThan(tolT);
      }
    }
    // X2 = X1: the diagonal comes from the 1-D rule; it is the hardest entry (φ'(u)² is narrower than φ'(u)φ'(v)),
    // measured 7e-8 here
    const spec = net(elementwise(ERF, { degree: 60 }), 'ntk');
    const sym = analyticKernelSync(spec, x1);
    const ref = analyticKernelSync(net(erfLayer(), 'ntk'), x1);
    expect(maxRelErr(sym.ntk!.data, ref.ntk!.data)).toBeLessThan(5e-7);
  });

  it('without dphi, the central difference (h = 6e-6·max(1, |x|)) gives the NTK to 1e-9', () => {
    const b = psdBlock(8, 4, 0.1, 1);
    const withD = applyBlock(pointwiseTransform(elementwise(ERF).kernel(CTX)), b);
    const fd = applyBlock(pointwiseTransform(elementwise({ phi: ERF.phi, tfPhi: ERF.tfPhi }).kernel(CTX)), b);
    expect(maxRelErr(fd.k, withD.k)).toBe(0);
    expect(maxRelErr(fd.t, withD.t)).toBeLessThan(1e-9);
    expect(maxRelErr(fd.dt, withD.dt)).toBeLessThan(1e-9);
  });

  it('zero-variance inputs give φ(0)·E[φ(v)] (no NaN)', () => {
    const shifted: ElementwiseFunctions = { phi: (x) => Math.exp(x), tfPhi: (x: Tensor) => tf.exp(x) };
    const k = new Float64Array([0]);
    const t = new Float64Array([1]);
    pointwiseTransform(elementwise(shifted).kernel(CTX)).cross({ nr: 1, nc: 1, k, t, k11: new Float64Array([0]), k22: new Float64Array([0.5]) });
    expect(k[0]).toBeCloseTo(Math.exp(0.25), 12); // E[e^v] = e^{K22/2}
    expect(t[0]).toBeCloseTo(Math.exp(0.25), 8);
  });
});

describe('elementwise layer: contract', () => {
  beforeAll(async () => {
    await initTfjs('auto');
  });

  it('is a user layer: JSON names it, is not builtin, is refused when read back; homogeneity only on request', () => {
    const layer = elementwise(ERF, { name: 'myErf' });
    expect(layer.json).toEqual({ type: 'elementwise', name: 'myErf' });
    expect(isBuiltin(layer)).toBe(false);
    expect(layer.hasWeights).toBe(false);
    expect(layer.scaleParams(0.5)).toBe(layer);
    expect(layer.homogeneity).toBeNull();
    expect(elementwise(RELU, { homogeneous: true }).homogeneity).toBe(0);
    expect(homogeneityDegree(serial(dense(4), elementwise(RELU, { homogeneous: true }), dense(1)))).toBe(2);
    const json = specToJson(serial(dense(4), layer, dense(1)));
    expect(() => specFromJson(json)).toThrow(/built in code from functions/);
    expect(() => parseOneLineSpec('dense(4) > elementwise > dense(1)')).toThrow(/cannot be read from JSON/);
    expect(() => elementwise(ERF, { degree: 1 })).toThrow(/degree/);
    expect(() => elementwise(ERF, { degree: 2.5 })).toThrow(/degree/);
  });

  it('finite form: structured NTK (with tfDphi from autodiff) agrees with the Jacobian one to 1e-4', async () => {
    const softplus: ElementwiseFunctions = { phi: (x) => Math.log1p(Math.exp(x)), tfPhi: (x: Tensor) => tf.softplus(x) };
    const spec = serial(dense(20, { wStd: 1.3, bStd: 0.2 }), elementwise(softplus), dense(20), elementwise(ERF), dense(3));
    const x1 = randomMatrix(5, 6, 21);
    const x2 = randomMatrix(4, 6, 22);
    const s = await empiricalKernel(spec, x1, x2, { method: 'structured', seed: 5, full: true });
    const j = await empiricalKernel(spec, x1, x2, { method: 'jacobian', seed: 5, full: true });
    expect(relToMax(s.ntk.data, j.ntk.data)).toBeLessThan(1e-4);
    expect(relToMax(s.full!, j.full!)).toBeLessThan(1e-4);
  });
});
