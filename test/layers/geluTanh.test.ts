import { beforeAll, describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { dense } from '../../src/layers/dense.js';
import { isBuiltin } from '../../src/layers/builtin.js';
import { quadratureTransform } from '../../src/layers/elementwiseNumerical.js';
import { gelu } from '../../src/layers/gelu.js';
import { parseOneLineSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { pointwiseTransform } from '../../src/layers/pointwise.js';
import { serial } from '../../src/layers/serial.js';
import { tanh } from '../../src/layers/tanh.js';
import type { KernelTransform, Layer } from '../../src/layers/types.js';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { Rng } from '../../src/util/random.js';
import { normalCdf, normalPdf } from '../../src/util/special.js';
import { maxRelErr, randomMatrix, relToMax } from '../helpers.js';

const CTX = { parameterization: 'ntk' as const, fanIn: 4 };
const geluF = (x: number) => x * normalCdf(x);
const geluD = (x: number) => normalCdf(x) + x * normalPdf(x);
const tanhD = (x: number) => 1 - Math.tanh(x) ** 2;

/** One cross entry (NTK starting at 1: the result is E[φ'φ']) and the diagonal entry of K11. */
function moments(tr: KernelTransform, k11: number, k22: number, k12: number): { k: number; dk: number; diag: number; ddiag: number } {
  const k = new Float64Array([k12]);
  const t = new Float64Array([1]);
  tr.cross({ nr: 1, nc: 1, k, t, k11: new Float64Array([k11]), k22: new Float64Array([k22]) });
  const dk = new Float64Array([k11]);
  const dt = new Float64Array([1]);
  tr.diag({ n: 1, k: dk, t: dt });
  return { k: k[0], dk: t[0], diag: dk[0], ddiag: dt[0] };
}

/** Monte Carlo mean and standard error of f(u)f(v) and f'(u)f'(v), (u, v) ~ N(0, [[k11, k12], [k12, k22]]), seeded. */
function monteCarlo(f: (x: number) => number, df: (x: number) => number, k11: number, k22: number, k12: number, n: number, seed: number) {
  const rng = new Rng(seed);
  const z = rng.normals(2 * n);
  const rho = k12 / Math.sqrt(k11 * k22);
  const s = Math.sqrt(1 - rho * rho);
  const acc = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const u = Math.sqrt(k11) * z[2 * i];
    const v = Math.sqrt(k22) * (rho * z[2 * i] + s * z[2 * i + 1]);
    const a = f(u) * f(v);
    const b = df(u) * df(v);
    acc[0] += a;
    acc[1] += a * a;
    acc[2] += b;
    acc[3] += b * b;
  }
  const stat = (sum: number, sq: number) => ({ mean: sum / n, se: Math.sqrt((sq / n - (sum / n) ** 2) / n) });
  return { k: stat(acc[0], acc[1]), dk: stat(acc[2], acc[3]) };
}

const CASES: readonly [number, number, number][] = [
  [1, 1, 0.6],
  [0.3, 2, -0.5],
  [2.5, 0.7, 1.2],
  [1.5, 1.5, 1.5], // ρ = 1: the diagonal
];

describe('gelu and tanh kernels', () => {
  it('gelu closed form (arXiv:2002.08517) equals Gauss–Hermite quadrature at degree 150 to 1e-12', () => {
    const closed = pointwiseTransform(gelu().kernel(CTX));
    const quad = quadratureTransform(geluF, geluD, 150);
    for (const [k11, k22, k12] of [...CASES, [0.05, 0.1, 0.01], [0, 1, 0]] as const) {
      const c = moments(closed, k11, k22, k12);
      const q = moments(quad, k11, k22, k12);
      for (const key of ['k', 'dk', 'diag', 'ddiag'] as const) expect(Math.abs(c[key] - q[key])).toBeLessThan(1e-12 * Math.max(1, Math.abs(q[key])));
    }
  });

  for (const [name, layer, f, df] of [['gelu', gelu, geluF, geluD], ['tanh', tanh, Math.tanh, tanhD]] as const) {
    it(`${name}: E[φ(u)φ(v)] and E[φ'(u)φ'(v)] agree with 1e6 seeded Monte Carlo samples within 4 standard errors`, () => {
      const tr = pointwiseTransform(layer().kernel(CTX));
      CASES.forEach(([k11, k22, k12], i) => {
        const m = moments(tr, k11, k22, k12);
        const mc = monteCarlo(f, df, k11, k22, k12, 1_000_000, 100 + i);
        expect(Math.abs(m.k - mc.k.mean)).toBeLessThan(4 * mc.k.se);
        expect(Math.abs(m.dk - mc.dk.mean)).toBeLessThan(4 * mc.dk.se);
        // the diagonal rule against the ρ = 1 Monte Carlo
        const d = monteCarlo(f, df, k11, k11, k11, 1_000_000, 200 + i);
        expect(Math.abs(m.diag - d.k.mean)).toBeLessThan(4 * d.k.se);
        expect(Math.abs(m.ddiag - d.dk.mean)).toBeLessThan(4 * d.dk.se);
      });
    });
  }

  it('tanh at degree 60 agrees with degree 150 to 1e-6 (NNGP) and 3e-5 (NTK) at variances ≤ 1.5', () => {
    const tr = pointwiseTransform(tanh().kernel(CTX));
    const ref = quadratureTransform(Math.tanh, tanhD, 150);
    for (const [k11, k22, k12] of CASES) {
      const a = moments(tr, k11, k22, k12);
      const b = moments(ref, k11, k22, k12);
      if (k11 > 1.5 || k22 > 1.5) continue;
      expect(Math.abs(a.k / b.k - 1)).toBeLessThan(1e-6);
      expect(Math.abs(a.dk / b.dk - 1)).toBeLessThan(3e-5);
      expect(Math.abs(a.diag / b.diag - 1)).toBeLessThan(1e-13);
      expect(Math.abs(a.ddiag / b.ddiag - 1)).toBeLessThan(1e-13);
    }
  });

  it('are builtin registry layers: JSON {"type":"gelu"}, one-line names, no homogeneity; the symmetric path matches', () => {
    for (const [name, make] of [['gelu', gelu], ['tanh', tanh]] as const) {
      const l: Layer = make();
      expect(l.json).toEqual({ type: name });
      expect(isBuiltin(l)).toBe(true);
      expect(l.homogeneity).toBeNull();
      const spec = parseOneLineSpec(`dense(8, 1.2, 0.1) > ${name} > dense(2)`);
      expect(specToJson(spec).layers[1]).toEqual({ type: name });
      expect(specFromJson(specToJson(spec)).layers[1].json.type).toBe(name);
      const x = randomMatrix(5, 3, 7, 0.7);
      const sym = analyticKernelSync(spec, x);
      const gen = analyticKernelSync(spec, x, { rows: x.rows, cols: x.cols, data: x.data.slice() });
      // tanh: the symmetric path's diagonal is the 1-D rule at degree 150, the general one the 2-D rule at 60
      const tol = name === 'gelu' ? 1e-12 : 1e-5;
      expect(maxRelErr(sym.nngp!.data, gen.nngp!.data)).toBeLessThan(tol);
      expect(maxRelErr(sym.ntk!.data, gen.ntk!.data)).toBeLessThan(tol);
    }
  });
});

describe('gelu and tanh finite forms', () => {
  beforeAll(async () => {
    await initTfjs('auto');
  });

  it("the written-out φ' equals tfjs autodiff of φ (float32, 1e-5)", () => {
    for (const make of [gelu, tanh]) {
      const fin = make().finite!(CTX);
      const x = tf.tensor2d(Array.from({ length: 41 }, (_, i) => -5 + i / 4), [41, 1]) as Tensor2D;
      const auto = tf.grad((y) => tf.sum(fin.apply([], y as Tensor2D) as Tensor2D))(x);
      const delta = tf.ones([1, 41, 1]) as Tensor3D;
      const written = (fin.structured!.backward([], x, delta) as Tensor3D).reshape([41, 1]);
      const diff = tf.max(tf.abs(tf.sub(auto, written))).dataSync()[0];
      expect(diff).toBeLessThan(1e-5);
    }
  });

  it('gelu forward is x·Φ(x) (exact erf form), to float32 accuracy', () => {
    const xs = [-3, -1, -0.2, 0, 0.5, 2, 4];
    const out = (gelu().finite!(CTX).apply([], tf.tensor2d(xs, [7, 1])) as Tensor2D).dataSync();
    xs.forEach((x, i) => expect(Math.abs(out[i] - geluF(x))).toBeLessThan(2e-6));
  });

  it('structured empirical NTK equals the Jacobian one to 1e-4 for a net with gelu and tanh', async () => {
    const spec = serial(dense(24, { wStd: 1.3, bStd: 0.2 }), gelu(), dense(24, { wStd: 1.2, bStd: 0.1 }), tanh(), dense(3, { bStd: 0.3 }));
    const x1 = randomMatrix(5, 6, 1);
    const x2 = randomMatrix(4, 6, 2);
    const s = await empiricalKernel(spec, x1, x2, { method: 'structured', seed: 9, full: true });
    const j = await empiricalKernel(spec, x1, x2, { method: 'jacobian', seed: 9, full: true });
    expect(relToMax(s.ntk.data, j.ntk.data)).toBeLessThan(1e-4);
    expect(relToMax(s.full!, j.full!)).toBeLessThan(1e-4);
    expect(relToMax(s.nngp.data, j.nngp.data)).toBeLessThan(1e-5);
  });
});
