import { describe, expect, it } from 'vitest';
import { analyticKernel, analyticKernelSync, kernelDiagonal } from '../../src/kernels/analytic.js';
import { abrelu, abs, leakyRelu, relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { identity } from '../../src/layers/identity.js';
import { serial } from '../../src/layers/serial.js';
import type { Layer, NetworkSpec } from '../../src/layers/types.js';
import { ntkUnderL2 } from '../../src/kernels/underL2.js';
import { getLinalg } from '../../src/linalg/index.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { dot, maxRelErr, randomMatrix, row } from '../helpers.js';

/**
 * Hand-derived kernels of one-hidden-layer nets, written from the input vectors directly.
 * With the augmented vectors x̃ = (σ_w1·x/√d, σ_b1), the first-layer covariance is K1 = x̃·x̃' and the
 * angle γ between x̃ and x̃' is computed geometrically (atan2 of |x̃ × x̃'| and x̃·x̃'), not through arccos.
 */
function augmented(x: Float64Array, w1: number, b1: number): number[] {
  return [...Array.from(x, (v) => (w1 * v) / Math.sqrt(x.length)), b1];
}

function angle(u: number[], v: number[]): number {
  // |u × v|² = |u|²|v|² − (u·v)², computed as Σ_{i<j} (u_i v_j − u_j v_i)² to avoid cancellation
  let cross2 = 0;
  for (let i = 0; i < u.length; i++) for (let j = i + 1; j < u.length; j++) cross2 += (u[i] * v[j] - u[j] * v[i]) ** 2;
  return Math.atan2(Math.sqrt(cross2), dot(u, v));
}

function handReluNet(x: Float64Array, y: Float64Array, w1: number, b1: number, w2: number, b2: number): { nngp: number; ntk: number } {
  const u = augmented(x, w1, b1);
  const v = augmented(y, w1, b1);
  const k1 = dot(u, v);
  const nu = Math.sqrt(dot(u, u));
  const nv = Math.sqrt(dot(v, v));
  const g = angle(u, v);
  const ephi = (nu * nv * (Math.sin(g) + (Math.PI - g) * Math.cos(g))) / (2 * Math.PI); // arc-cosine kernel, n = 1
  const edphi = (Math.PI - g) / (2 * Math.PI);
  const nngp = w2 * w2 * ephi + b2 * b2;
  return { nngp, ntk: w2 * w2 * k1 * edphi + nngp };
}

function handErfNet(x: Float64Array, y: Float64Array, w1: number, b1: number, w2: number, b2: number): { nngp: number; ntk: number } {
  const u = augmented(x, w1, b1);
  const v = augmented(y, w1, b1);
  const kxy = dot(u, v);
  const kxx = dot(u, u);
  const kyy = dot(v, v);
  const ephi = (2 / Math.PI) * Math.asin((2 * kxy) / Math.sqrt((1 + 2 * kxx) * (1 + 2 * kyy)));
  const edphi = 4 / Math.PI / Math.sqrt((1 + 2 * kxx) * (1 + 2 * kyy) - 4 * kxy * kxy);
  const nngp = w2 * w2 * ephi + b2 * b2;
  return { nngp, ntk: w2 * w2 * kxy * edphi + nngp };
}

function handKernel(hand: typeof handReluNet, x1: Mat, x2: Mat, p: [number, number, number, number]): { nngp: Float64Array; ntk: Float64Array } {
  const nngp = new Float64Array(x1.rows * x2.rows);
  const ntk = new Float64Array(x1.rows * x2.rows);
  for (let i = 0; i < x1.rows; i++) {
    for (let j = 0; j < x2.rows; j++) {
      const r = hand(row(x1, i), row(x2, j), ...p);
      nngp[i * x2.rows + j] = r.nngp;
      ntk[i * x2.rows + j] = r.ntk;
    }
  }
  return { nngp, ntk };
}

describe('analytic kernels against hand-derived closed forms (relative 1e-12)', () => {
  // 1e-12: both sides are O(10) float64 operations on O(1) numbers; acos/asin of well-separated
  // arguments (random Gaussian inputs, no near-duplicates) lose at most a few ulps.
  const x1 = randomMatrix(9, 5, 1);
  const x2 = randomMatrix(7, 5, 2);
  const cases: Array<[string, typeof handReluNet, NetworkSpec, [number, number, number, number]]> = [
    ['ReLU, no biases', handReluNet, serial(dense(64, { wStd: 1.3 }), relu(), dense(3, { wStd: 0.8 })), [1.3, 0, 0.8, 0]],
    ['ReLU, biases', handReluNet, serial(dense(64, { wStd: 1.5, bStd: 0.3 }), relu(), dense(1, { wStd: 1.1, bStd: 0.2 })), [1.5, 0.3, 1.1, 0.2]],
    ['Erf, biases', handErfNet, serial(dense(64, { wStd: 2, bStd: 0.5 }), erf(), dense(1, { wStd: 0.9, bStd: 0.1 })), [2, 0.5, 0.9, 0.1]],
    ['Erf, no biases', handErfNet, serial(dense(8, { wStd: 0.7 }), erf(), dense(2)), [0.7, 0, 1, 0]],
  ];
  for (const [name, hand, spec, p] of cases) {
    it(`${name}: cross kernel X1×X2`, () => {
      const ours = analyticKernelSync(spec, x1, x2);
      const ref = handKernel(hand, x1, x2, p);
      expect(maxRelErr(ours.nngp!.data, ref.nngp)).toBeLessThan(1e-12);
      expect(maxRelErr(ours.ntk!.data, ref.ntk)).toBeLessThan(1e-12);
    });
    it(`${name}: symmetric kernel and diagonal`, () => {
      const ours = analyticKernelSync(spec, x1);
      const ref = handKernel(hand, x1, x1, p);
      expect(maxRelErr(ours.nngp!.data, ref.nngp)).toBeLessThan(1e-12);
      expect(maxRelErr(ours.ntk!.data, ref.ntk)).toBeLessThan(1e-12);
      const diag = kernelDiagonal(spec, x1);
      for (let i = 0; i < x1.rows; i++) {
        expect(Math.abs(diag.ntk[i] - ref.ntk[i * x1.rows + i]) / ref.ntk[i * x1.rows + i]).toBeLessThan(1e-12);
        expect(Math.abs(diag.nngp[i] - ref.nngp[i * x1.rows + i]) / ref.nngp[i * x1.rows + i]).toBeLessThan(1e-12);
      }
    });
  }
});

describe('structure: symmetry, PSD, consistency', () => {
  const deep = serial(dense(512, { wStd: 1.4, bStd: 0.1 }), relu(), dense(512, { wStd: 1.4, bStd: 0.1 }), erf(), dense(256), abrelu(-0.3, 1.2), dense(1));
  const x = randomMatrix(60, 12, 3);

  it('X1 = X2 gives exactly symmetric, positive semi-definite kernels (λ_min ≥ −1e-10·λ_max)', () => {
    const res = analyticKernelSync(deep, x);
    const linalg = getLinalg();
    for (const k of [res.nngp!, res.ntk!]) {
      for (let i = 0; i < k.rows; i++) for (let j = 0; j < i; j++) expect(k.data[i * k.cols + j]).toBe(k.data[j * k.cols + i]);
      const { values } = linalg.eigh(k);
      const max = values[values.length - 1];
      console.info(`PSD check (${linalg.name} eigh): λ_min/λ_max = ${(values[0] / max).toExponential(2)}`);
      expect(values[0]).toBeGreaterThanOrEqual(-1e-10 * max);
    }
  });

  it('K(X1, X2) is the off-diagonal block of K([X1; X2]) (relative 1e-12)', () => {
    const a = randomMatrix(10, 12, 4);
    const b = randomMatrix(6, 12, 5);
    const both: Mat = { rows: 16, cols: 12, data: new Float64Array([...a.data, ...b.data]) };
    const full = analyticKernelSync(deep, both);
    const cross = analyticKernelSync(deep, a, b);
    const block = new Float64Array(60);
    for (let i = 0; i < 10; i++) for (let j = 0; j < 6; j++) block[i * 6 + j] = full.ntk!.data[i * 16 + 10 + j];
    expect(maxRelErr(cross.ntk!.data, block)).toBeLessThan(1e-12);
  });

  it('kernelDiagonal equals the diagonal of the full kernel (relative 1e-12)', () => {
    const res = analyticKernelSync(deep, x);
    const d = kernelDiagonal(deep, x);
    const full = Float64Array.from({ length: x.rows }, (_, i) => res.ntk!.data[i * x.rows + i]);
    expect(maxRelErr(d.ntk, full)).toBeLessThan(1e-12);
  });

  it('worker threads give the same numbers bit for bit as the inline path', async () => {
    // 800²·7/2 entry-layer updates: above the inline threshold, so two workers really run.
    const big = randomMatrix(800, 20, 6);
    const inline = analyticKernelSync(deep, big);
    let lastDone = 0;
    const threaded = await analyticKernel(deep, big, undefined, { threads: 2, onProgress: (d) => (lastDone = d) });
    expect(lastDone).toBe(800);
    expect(Buffer.compare(Buffer.from(threaded.ntk!.data.buffer), Buffer.from(inline.ntk!.data.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(threaded.nngp!.data.buffer), Buffer.from(inline.nngp!.data.buffer))).toBe(0);
    const b = randomMatrix(300, 20, 7);
    const crossInline = analyticKernelSync(deep, big, b);
    const crossThreaded = await analyticKernel(deep, big, b, { threads: 2 });
    expect(Buffer.compare(Buffer.from(crossThreaded.ntk!.data.buffer), Buffer.from(crossInline.ntk!.data.buffer))).toBe(0);
  });
});

describe('activation family', () => {
  const x = randomMatrix(8, 6, 8);
  const around = (act: ReturnType<typeof relu>) => serial(dense(16, { wStd: 1.2, bStd: 0.2 }), act, dense(1));
  it('abrelu(0, 1) is relu exactly; abrelu(1, 1) is the identity to 1e-12', () => {
    const a = analyticKernelSync(around(abrelu(0, 1)), x).ntk!.data;
    const r = analyticKernelSync(around(relu()), x).ntk!.data;
    expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(r.buffer))).toBe(0);
    const lin = analyticKernelSync(around(abrelu(1, 1)), x).ntk!.data;
    const id = analyticKernelSync(around(identity()), x).ntk!.data;
    expect(maxRelErr(lin, id)).toBeLessThan(1e-12);
  });
  it('abs satisfies E|u||v| = 4·E[relu(u)relu(v)] − E[uv]', () => {
    // From |u||v| + uv = 2(relu(u)relu(v) + relu(−u)relu(−v)) and the symmetry of the Gaussian.
    const kAbs = analyticKernelSync(serial(dense(16), abs()), x).nngp!.data;
    const kRelu = analyticKernelSync(serial(dense(16), relu()), x).nngp!.data;
    const kNeg = analyticKernelSync(serial(dense(16), leakyRelu(0)), x).nngp!.data;
    expect(maxRelErr(kNeg, kRelu)).toBe(0);
    const kLin = analyticKernelSync(serial(dense(16), identity()), x).nngp!.data;
    const recon = kRelu.map((v, i) => 4 * v - kLin[i]);
    expect(maxRelErr(kAbs, recon, 1e-12)).toBeLessThan(1e-12);
  });
});

describe('standard parameterization', () => {
  const x = randomMatrix(7, 9, 9);
  const hidden = (n: number, p: 'ntk' | 'standard'): NetworkSpec => ({
    ...serial(dense(n, { wStd: 1.3, bStd: 0.4 }), relu(), dense(1, { wStd: 0.9, bStd: 0.2 })),
    parameterization: p,
  });
  it('has the same NNGP as the NTK parameterization', () => {
    const a = analyticKernelSync(hidden(100, 'standard'), x).nngp!.data;
    const b = analyticKernelSync(hidden(100, 'ntk'), x).nngp!.data;
    expect(maxRelErr(a, b)).toBeLessThan(1e-15);
  });
  it('NTK = n·E[φφ] + 1 + σ_w2²·(x·x′ + 1)·E[φ′φ′]: linear in the hidden width n, as derived by hand', () => {
    for (const n of [10, 1000]) {
      const res = analyticKernelSync(hidden(n, 'standard'), x);
      for (let i = 0; i < x.rows; i++) {
        for (let j = 0; j < x.rows; j++) {
          const u = augmented(row(x, i), 1.3, 0.4);
          const v = augmented(row(x, j), 1.3, 0.4);
          const g = i === j ? 0 : angle(u, v);
          const nu = Math.sqrt(dot(u, u));
          const nv = Math.sqrt(dot(v, v));
          const ephi = (nu * nv * (Math.sin(g) + (Math.PI - g) * Math.cos(g))) / (2 * Math.PI);
          // first layer: gradient w.r.t. W1 (variance σ²/d) gives x·x', w.r.t. b1 gives 1
          const theta1 = dot(row(x, i), row(x, j)) + 1;
          const expected = n * ephi + 1 + 0.81 * theta1 * ((Math.PI - g) / (2 * Math.PI));
          expect(Math.abs(res.ntk!.data[i * x.rows + j] - expected) / expected).toBeLessThan(1e-12);
        }
      }
    }
  });
});

describe('user-written layers', () => {
  it('run through analyticKernel at N = 1200 with threads (on the calling thread) and equal the built-in layer', async () => {
    // a ReLU written in user code: the same transform as relu(), but not one of ntk-l2's own objects
    const builtinRelu = relu();
    // its own type name, which no worker could rebuild from JSON (the threaded path used to fail on it)
    const userRelu: Layer = { ...builtinRelu, json: { type: 'myRelu' } as unknown as Layer['json'] };
    const x = randomMatrix(1200, 5, 11);
    const mine = await analyticKernel(serial(dense(16), userRelu, dense(1)), x, undefined, { threads: 2, get: 'ntk' });
    const ref = await analyticKernel(serial(dense(16), builtinRelu, dense(1)), x, undefined, { threads: 2, get: 'ntk' });
    expect(mine.ntk!.data).toEqual(ref.ntk!.data); // bit for bit: the same recursion, in another thread layout
  }, 60_000);

  it('ntkUnderL2 rescales a user-written weighted layer through its own scaleParams rule', () => {
    const x = randomMatrix(6, 4, 12);
    const plain = dense(8, { wStd: 1.3, bStd: 0.2 });
    const wrapped: Layer = { ...plain, scaleParams: (s: number) => plain.scaleParams(s) };
    const spec = serial(wrapped, erf(), dense(1, { wStd: 0.9, bStd: 0.1 }));
    const ref = serial(plain, erf(), dense(1, { wStd: 0.9, bStd: 0.1 }));
    expect(maxRelErr(ntkUnderL2(spec, 0.7, x).data, ntkUnderL2(ref, 0.7, x).data)).toBe(0);
    // and the rule is what moves the kernel: Λ = 0.7 differs from Λ = 0
    expect(maxRelErr(ntkUnderL2(spec, 0.7, x).data, ntkUnderL2(spec, 0, x).data)).toBeGreaterThan(1e-3);
  });
});
