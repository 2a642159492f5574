import { afterEach, describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import type { Images } from '../../src/data/images.js';
import { abrelu, relu } from '../../src/layers/abrelu.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { flatten } from '../../src/layers/flatten.js';
import { globalAvgPool } from '../../src/layers/globalAvgPool.js';
import { pointwiseTransform } from '../../src/layers/pointwise.js';
import { serial } from '../../src/layers/serial.js';
import { convStep, convStepSeparable, offsetRuns, type ConvCoefficients } from '../../src/layers/stencil.js';
import type { KernelBlock, LayerContext, NetworkSpec } from '../../src/layers/types.js';
import { windowTable, type Padding } from '../../src/layers/window.js';
import { loadNativeKernels, nativeKernels, setNativeKernelsEnabled } from '../../src/linalg/nativeKernels.js';
import { Rng } from '../../src/util/random.js';
import { maxRelErr, relToMax } from '../helpers.js';

// The native loops (native/src/kernels.c) against their TypeScript twins, on the same random inputs, through the
// layer modules that choose them (setNativeKernelsEnabled switches this thread between the two paths).
//
// Tolerances. Both paths run the same operations in the same order: the C side has no contraction of a·b + c
// (-ffp-contract=off, as V8), its acos is fdlibm's (V8's Math.acos algorithm) and sqrt is IEEE-exact, so the results
// agree to the last bit here (measured: maximum difference 0). The tests allow 1e-13 relative (the brief's bound):
// room for a platform whose libm sqrt or compiler rounds differently, far below any effect on a kernel. The random
// correlations stay within |cos θ| ≤ 0.999, where an ulp of θ could move K' by up to ~1e-11 relative (7e-12 was
// measured with glibc's acos; relu near cos θ = −1, K' ∝ (π − θ)³); the edge cases are compared on the entry's scale.

const loaded = loadNativeKernels();

/** The context of an activation after a dense/conv layer (Gaussian input). */
function ctx(spatial?: number[]): LayerContext {
  return { fanIn: 3, parameterization: 'ntk', inputGaussian: true, spatial };
}
const haveNative = loaded.kernels !== null;

// the setting this file started with (off under NTK_NATIVE_KERNELS=0), restored after each test
const initiallyEnabled = setNativeKernelsEnabled(true);
setNativeKernelsEnabled(initiallyEnabled);

afterEach(() => {
  setNativeKernelsEnabled(initiallyEnabled);
});

/** Runs `f` with the native loops off (TypeScript) and on, returning both results. */
function both<T>(f: () => T): { ts: T; native: T } {
  setNativeKernelsEnabled(false);
  const ts = f();
  setNativeKernelsEnabled(true);
  const native = f();
  return { ts, native };
}

describe('native kernel addon', () => {
  it('loads where it was built and can be switched off; where it was not, the reason is given and the TypeScript loops run', () => {
    if (!haveNative) {
      // no addon (not built, or NTK_SKIP_NATIVE): the layer modules run their TypeScript loops, which every other
      // test of the suite then exercises
      expect(loaded.error).toMatch(/ntk_kernels/);
      expect(nativeKernels()).toBeNull();
      return;
    }
    expect(loaded.error).toBeNull();
    setNativeKernelsEnabled(true);
    expect(nativeKernels()).not.toBeNull();
    setNativeKernelsEnabled(false);
    expect(nativeKernels()).toBeNull();
  });
});

describe.skipIf(!haveNative)('arc-cosine (abrelu) native vs TypeScript', () => {
  const slopes: [number, number][] = [
    [0, 1], // relu
    [0.1, 1], // leaky relu
    [-1, 1], // |x|
    [0.7, -1.9], // general a, b
  ];

  /** nr×nc pairs × S positions: variances in [0.1, 3], correlations in [−0.999, 0.999], plus exact edge cases. */
  function pairs(nr: number, nc: number, S: number, seed: number): { k: Float64Array; t: Float64Array; k11: Float64Array; k22: Float64Array } {
    const rng = new Rng(seed);
    const k11 = Float64Array.from({ length: nr * S }, () => 0.1 + 2.9 * rng.uniform());
    const k22 = Float64Array.from({ length: nc * S }, () => 0.1 + 2.9 * rng.uniform());
    const k = new Float64Array(nr * nc * S);
    const t = Float64Array.from({ length: nr * nc * S }, () => rng.uniform() * 5);
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) {
        for (let s = 0; s < S; s++) {
          const rho = 0.999 * (2 * rng.uniform() - 1);
          k[(r * nc + c) * S + s] = rho * Math.sqrt(k11[r * S + s] * k22[c * S + s]);
        }
      }
    }
    return { k, t, k11, k22 };
  }

  it('flat cross blocks: every entry within 1e-13 relative, for relu, leaky relu, |x| and general slopes', () => {
    for (const [a, b] of slopes) {
      const tr = pointwiseTransform(abrelu(a, b).kernel(ctx()));
      const inp = pairs(17, 23, 1, 11);
      const { ts, native } = both(() => {
        const k = inp.k.slice();
        const t = inp.t.slice();
        tr.cross({ nr: 17, nc: 23, k, t, k11: inp.k11, k22: inp.k22 });
        return { k, t };
      });
      expect(maxRelErr(native.k, ts.k)).toBeLessThanOrEqual(1e-13);
      expect(maxRelErr(native.t, ts.t)).toBeLessThanOrEqual(1e-13);
    }
  });

  it('edge cases (cos θ = ±1, zero variance, a NaN entry) agree on the entry scale; NaN stays NaN', () => {
    const tr = pointwiseTransform(relu().kernel(ctx()));
    const k11 = Float64Array.of(2, 2, 0, 2, 1e-300, 2);
    const k22 = Float64Array.of(2);
    const k0 = Float64Array.of(2, -2, 0, 2.0000000000000004, 1e-300, Number.NaN);
    const { ts, native } = both(() => {
      const k = k0.slice();
      const t = new Float64Array(6).fill(1);
      tr.cross({ nr: 6, nc: 1, k, t, k11, k22 });
      return { k, t };
    });
    for (let i = 0; i < 5; i++) {
      const scale = Math.sqrt(k11[i] * k22[0]) / Math.PI;
      expect(Math.abs(native.k[i] - ts.k[i])).toBeLessThanOrEqual(1e-13 * Math.max(scale, 1e-300));
      expect(Math.abs(native.t[i] - ts.t[i])).toBeLessThanOrEqual(1e-13);
    }
    expect(Number.isNaN(native.k[5])).toBe(Number.isNaN(ts.k[5]));
    expect(Number.isNaN(native.t[5])).toBe(Number.isNaN(ts.t[5]));
    // closed forms: cos θ = 1 → K' = K/2, K̇ = 1/2; cos θ = −1 → K' = 0, K̇ = 0
    expect(native.k[0]).toBeCloseTo(1, 14);
    expect(native.t[0]).toBeCloseTo(0.5, 14);
    expect(native.k[1]).toBe(0);
    expect(native.t[1]).toBe(0);
  });

  it("spatial 'diagonal' records (positions in place) and 'full' records through the relu layer", () => {
    const S = 12;
    for (const [a, b] of slopes) {
      const fn = abrelu(a, b).kernel(ctx([3, 4]));
      const inp = pairs(5, 7, S, 3);
      const self1 = pairs(5, 1, S, 4);
      const self2 = pairs(7, 1, S, 5);
      const block = (): KernelBlock => ({
        nr: 5,
        nc: 7,
        spatial: [3, 4],
        mode: 'diagonal',
        nngp: inp.k.slice(),
        ntk: inp.t.slice(),
        cov1: inp.k11.slice(),
        ntk1: self1.t.slice(0, 5 * S),
        cov2: inp.k22.slice(),
        ntk2: self2.t.slice(0, 7 * S),
      });
      const { ts, native } = both(() => fn(block()) as KernelBlock);
      for (const key of ['nngp', 'ntk', 'cov1', 'ntk1', 'cov2', 'ntk2'] as const) {
        expect(maxRelErr(native[key]!, ts[key]!)).toBeLessThanOrEqual(1e-13);
      }
    }
  });
});

describe.skipIf(!haveNative)('conv stencil native vs TypeScript', () => {
  const paddings: Padding[] = ['SAME', 'VALID', 'CIRCULAR'];
  const coefs: ConvCoefficients[] = [
    { w2: 2, b2: 0, ntkParam: true, fanIn: 27, biasTerm: 0 },
    { w2: 1.3, b2: 0.4, ntkParam: false, fanIn: 45, biasTerm: 1 },
  ];

  it('separable 2-D step: every padding, filters 3×3, 2×3, 1×1, 5×4, strides 1 and 2, both modes, with and without Θ', () => {
    const rng = new Rng(7);
    const [Hi, Wi] = [7, 6];
    let worst = 0;
    for (const padding of paddings) {
      for (const [filter, strides] of [
        [[3, 3], [1, 1]],
        [[2, 3], [2, 1]],
        [[1, 1], [1, 1]],
        [[5, 4], [2, 2]],
      ] as [number[], number[]][]) {
        const rows = windowTable([Hi], [filter[0]], [strides[0]], padding, 'conv');
        const cols = windowTable([Wi], [filter[1]], [strides[1]], padding, 'conv');
        const sep = { rows, cols, hi: Hi, wi: Wi };
        for (const full of [false, true]) {
          const n = 3;
          const P = full ? (Hi * Wi) ** 2 : Hi * Wi;
          const k = Float64Array.from(rng.normals(n * P));
          const t = Float64Array.from(rng.normals(n * P));
          for (const c of coefs) {
            for (const withT of [true, false]) {
              const { ts, native } = both(() => convStepSeparable(k, withT ? t : null, n, sep, full, c));
              worst = Math.max(worst, maxRelErr(native[0], ts[0]));
              if (withT) worst = Math.max(worst, maxRelErr(native[1]!, ts[1]!));
              else expect(native[1]).toBeNull();
              expect(native[0].length).toBe(ts[0].length);
            }
          }
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-13);
  });

  it('runs form (1-D convs and the general step): every padding, strides, both modes', () => {
    const rng = new Rng(8);
    const Si = 11;
    let worst = 0;
    for (const padding of paddings) {
      for (const [f, s] of [
        [3, 1],
        [4, 2],
        [1, 3],
        [6, 1],
      ]) {
        const tab = windowTable([Si], [f], [s], padding, 'conv');
        const runs = offsetRuns(tab, Si);
        for (const full of [false, true]) {
          const n = 4;
          const P = full ? Si * Si : Si;
          const k = Float64Array.from(rng.normals(n * P));
          const t = Float64Array.from(rng.normals(n * P));
          for (const c of coefs) {
            const { ts, native } = both(() => convStep(k, t, n, runs, full, c));
            worst = Math.max(worst, maxRelErr(native[0], ts[0]), maxRelErr(native[1]!, ts[1]!));
          }
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-13);
  });

  it('refuses inconsistent input in one line instead of reading out of bounds', () => {
    const nat = loaded.kernels!;
    const tab = windowTable([5], [3], [1], 'SAME', 'conv');
    const r = offsetRuns(tab, 5);
    const coef = Float64Array.of(1, 0, 1, 3, 0);
    // k too short for n = 2
    expect(() => nat.convRuns(new Float64Array(5), null, new Float64Array(10), null, 2, false, Int32Array.of(3, 5, 5), tab.idx, r.flat, r.off, coef)).toThrow(/inconsistent/);
    // a run reading past the input
    const bad = r.flat.slice();
    bad[2] = 99;
    expect(() => nat.convRuns(new Float64Array(5), null, new Float64Array(5), null, 1, false, Int32Array.of(3, 5, 5), tab.idx, bad, r.off, coef)).toThrow(/inconsistent/);
  });
});

describe.skipIf(!haveNative)('whole networks: native vs TypeScript results', () => {
  function images(n: number, h: number, w: number, c: number, seed: number): Images {
    return { shape: [n, h, w, c], data: Float64Array.from(new Rng(seed).normals(n * h * w * c)), dtype: 'float64' };
  }
  const c3 = (): ReturnType<typeof conv> => conv(4, { filter: [3, 3], padding: 'SAME', wStd: Math.SQRT2, bStd: 0.1 });

  it('image kernels (flatten and globalAvgPool readouts) agree to 1e-12 of the largest entry', () => {
    const x = images(6, 6, 5, 2, 21);
    const nets: NetworkSpec[] = [
      serial(c3(), relu(), c3(), relu(), flatten(), dense(1)),
      serial(c3(), abrelu(0.2, 1), conv(3, { filter: [2, 2], strides: [2, 2], padding: 'VALID' }), relu(), globalAvgPool(), dense(1)),
    ];
    for (const spec of nets) {
      const { ts, native } = both(() => analyticKernelSync(spec, x));
      expect(relToMax(native.nngp!.data, ts.nngp!.data)).toBeLessThanOrEqual(1e-12);
      expect(relToMax(native.ntk!.data, ts.ntk!.data)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('the dense ReLU kernel moves by ≤ 1e-12 relative per entry', () => {
    const rng = new Rng(5);
    const x = { rows: 40, cols: 9, data: Float64Array.from(rng.normals(40 * 9)) };
    const spec = serial(dense(8, { wStd: Math.SQRT2, bStd: 0.3 }), relu(), dense(8, { wStd: Math.SQRT2 }), relu(), dense(1));
    const { ts, native } = both(() => analyticKernelSync(spec, x));
    expect(maxRelErr(native.nngp!.data, ts.nngp!.data)).toBeLessThanOrEqual(1e-12);
    expect(maxRelErr(native.ntk!.data, ts.ntk!.data)).toBeLessThanOrEqual(1e-12);
  });
});
