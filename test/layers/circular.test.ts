import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Images } from '../../src/data/images.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { monteCarloKernel } from '../../src/kernels/monteCarlo.js';
import { relu } from '../../src/layers/abrelu.js';
import { avgPool } from '../../src/layers/avgPool.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { flatten } from '../../src/layers/flatten.js';
import { globalAvgPool } from '../../src/layers/globalAvgPool.js';
import { residual } from '../../src/layers/residual.js';
import { serial } from '../../src/layers/serial.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { tfRuntime } from '../../src/tfjs/runtime.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await initTfjs('auto');
});

function images(n: number, h: number, w: number, c: number, seed: number): Images {
  const rng = new Rng(seed);
  return { shape: [n, h, w, c], data: Float64Array.from(rng.normals(n * h * w * c)), dtype: 'float64' };
}

const wrap = (a: number, n: number): number => ((a % n) + n) % n;

/** TensorFlow's SAME geometry (CIRCULAR uses its amounts): output extent and padding before, per axis. */
function geometry(n: number, f: number, s: number): { out: number; before: number } {
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + f - n, 0) / 2) };
}

/**
 * A direct float64 loop for one periodic (CIRCULAR) window map of a batch N×H×W×C: for every output position, the
 * window's input pixels wrapped mod the extent, handed to `reduce` as (row, column) lists.
 */
function periodicWindows(h: number, w: number, f: [number, number], st: [number, number], visit: (q: number, pix: number[]) => void): [number, number] {
  const gy = geometry(h, f[0], st[0]);
  const gx = geometry(w, f[1], st[1]);
  for (let a = 0; a < gy.out; a++)
    for (let b = 0; b < gx.out; b++) {
      const pix: number[] = [];
      for (let i = 0; i < f[0]; i++) for (let j = 0; j < f[1]; j++) pix.push(wrap(a * st[0] - gy.before + i, h) * w + wrap(b * st[1] - gx.before + j, w));
      visit(a * gx.out + b, pix);
    }
  return [gy.out, gx.out];
}

function expectSameValues(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
}

describe('finite CIRCULAR conv and avgPool against a direct float64 loop', () => {
  // float32 forward against float64 loops: sums of ≤ 63 terms of size O(1), so |error| ≲ 1e-5 relative
  const cases: { f: [number, number]; st: [number, number] }[] = [
    { f: [3, 3], st: [1, 1] },
    { f: [4, 2], st: [2, 1] },
    { f: [7, 3], st: [1, 2] }, // wider than the 5-row input: wraps more than once
  ];
  for (const c of cases) {
    it(`filter ${c.f.join('×')}, strides ${c.st.join('×')}`, () => {
      const tf = tfRuntime();
      const [n, h, w, cin, cout] = [2, 5, 6, 3, 4];
      const x = images(n, h, w, cin, 31);
      const xs = tf.tensor4d(Float32Array.from(x.data), [n, h, w, cin]);
      const ctx = { parameterization: 'ntk' as const, fanIn: cin, spatial: [h, w] };
      const wStd = 1.3;
      const bStd = 0.2;
      const cv = conv(cout, { filter: c.f, strides: c.st, padding: 'CIRCULAR', wStd, bStd }).finite!(ctx);
      const init = cv.init(new Rng(4));
      const params = init.map((v, i) => tf.tensor(v, cv.paramShapes[i] as number[]));
      const got = (cv.apply(params, xs as unknown as Tensor2D) as unknown as Tensor).dataSync();
      const [W, B] = init;
      const F = c.f[0] * c.f[1];
      const want: number[] = [];
      const wantPool: number[] = [];
      for (let e = 0; e < n; e++) {
        const z: number[][] = [];
        const pooled: number[][] = [];
        periodicWindows(h, w, c.f, c.st, (q, pix) => {
          z[q] = [];
          pooled[q] = [];
          for (let co = 0; co < cout; co++) {
            let s = 0;
            pix.forEach((p, o) => {
              for (let ci = 0; ci < cin; ci++) s += x.data[(e * h * w + p) * cin + ci] * W[(o * cin + ci) * cout + co];
            });
            z[q].push((wStd / Math.sqrt(cin * F)) * s + bStd * B[co]);
          }
          for (let ci = 0; ci < cin; ci++) pooled[q].push(pix.reduce((a, p) => a + x.data[(e * h * w + p) * cin + ci], 0) / F);
        });
        want.push(...z.flat());
        wantPool.push(...pooled.flat());
      }
      expectSameValues(got, want, 1e-5);
      const ap = avgPool({ window: c.f, strides: c.st, padding: 'CIRCULAR' }).finite!(ctx);
      expectSameValues((ap.apply([], xs as unknown as Tensor2D) as unknown as Tensor).dataSync(), wantPool, 1e-5);
      params.forEach((p) => p.dispose());
      xs.dispose();
    });
  }

  it('1-D (sequences N×L×C): conv and avgPool, filter 3, strides 2', () => {
    const tf = tfRuntime();
    const [n, L, cin, cout] = [2, 5, 2, 3];
    const x = images(n, 1, L, cin, 33);
    const xs = tf.tensor3d(Float32Array.from(x.data), [n, L, cin]);
    const ctx = { parameterization: 'ntk' as const, fanIn: cin, spatial: [L] };
    const cv = conv(cout, { filter: [3], strides: [2], padding: 'CIRCULAR' }).finite!(ctx);
    const init = cv.init(new Rng(6));
    const params = init.map((v, i) => tf.tensor(v, cv.paramShapes[i] as number[]));
    const got = (cv.apply(params, xs as unknown as Tensor2D) as unknown as Tensor).dataSync();
    const want: number[] = [];
    const wantPool: number[] = [];
    for (let e = 0; e < n; e++)
      periodicWindows(1, L, [1, 3], [1, 2], (_q, pix) => {
        for (let co = 0; co < cout; co++) {
          let s = 0;
          pix.forEach((p, o) => {
            for (let ci = 0; ci < cin; ci++) s += x.data[(e * L + p) * cin + ci] * init[0][(o * cin + ci) * cout + co];
          });
          want.push(s / Math.sqrt(cin * 3));
        }
        for (let ci = 0; ci < cin; ci++) wantPool.push(pix.reduce((a, p) => a + x.data[(e * L + p) * cin + ci], 0) / 3);
      });
    expectSameValues(got, want, 1e-5);
    const ap = avgPool({ window: [3], strides: [2], padding: 'CIRCULAR' }).finite!(ctx);
    expectSameValues((ap.apply([], xs as unknown as Tensor2D) as unknown as Tensor).dataSync(), wantPool, 1e-5);
    params.forEach((p) => p.dispose());
    xs.dispose();
  });
});

describe('CIRCULAR: structured ≡ Jacobian NTK, and finite nets converge to the analytic kernel', () => {
  it('structured ≡ Jacobian (≤ 1e-4 relative) on CIRCULAR conv / avgPool / residual nets, full Θ_cc′', async () => {
    const xa = images(3, 5, 4, 2, 41);
    const xb = images(2, 5, 4, 2, 42);
    const specs = [
      serial(conv(6, { filter: [3, 3], padding: 'CIRCULAR', wStd: 1.4, bStd: 0.3 }), relu(), conv(5, { filter: [4, 3], strides: [2, 1], padding: 'CIRCULAR', wStd: 1.3 }), relu(), flatten(), dense(2)),
      serial(conv(5, { filter: [3, 2], strides: [2, 2], padding: 'CIRCULAR', wStd: 1.4 }), relu(), avgPool({ window: [2, 2], strides: [1, 1], padding: 'CIRCULAR' }), globalAvgPool(), dense(2, { bStd: 0.1 })),
      serial(conv(4, { filter: [3, 3], padding: 'CIRCULAR', wStd: 1.4 }), relu(), residual(conv(4, { filter: [2, 2], padding: 'CIRCULAR', bStd: 0.2 }), relu()), globalAvgPool(), dense(2)),
    ];
    for (const spec of specs) {
      for (const x2 of [undefined, xb]) {
        const a = await empiricalKernel(spec, xa, x2, { method: 'structured', seed: 5, full: true });
        const b = await empiricalKernel(spec, xa, x2, { method: 'jacobian', seed: 5, full: true });
        for (let i = 0; i < a.full!.length; i++) expect(Math.abs(a.full![i] - b.full![i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(b.full![i])));
      }
    }
  });

  it('Monte Carlo NTK (channels 256, 8 seeds) of a CIRCULAR CNN with avgPool within 4 standard errors of the analytic NTK', async () => {
    const spec = serial(
      conv(256, { filter: [3, 3], padding: 'CIRCULAR', wStd: 1.4, bStd: 0.2 }),
      relu(),
      avgPool({ window: [2, 2], strides: [1, 1], padding: 'CIRCULAR' }),
      conv(256, { filter: [2, 2], padding: 'CIRCULAR', wStd: 1.4 }),
      relu(),
      globalAvgPool(),
      dense(1),
    );
    const x = images(3, 4, 4, 1, 43);
    const want = analyticKernelSync(spec, x);
    const mc = await monteCarloKernel(spec, x, undefined, { seeds: 8, method: 'structured' });
    // the same spec with SAME padding gives a kernel farther away than the error bars: the check can tell them apart
    const same = analyticKernelSync(serial(conv(256, { filter: [3, 3], wStd: 1.4, bStd: 0.2 }), relu(), avgPool({ window: [2, 2], strides: [1, 1], padding: 'SAME' }), conv(256, { filter: [2, 2], wStd: 1.4 }), relu(), globalAvgPool(), dense(1)), x);
    let apart = 0;
    for (let i = 0; i < 9; i++) {
      const se = mc.ntkStderr!.data[i];
      expect(Math.abs(mc.ntk.data[i] - want.ntk!.data[i])).toBeLessThanOrEqual(4 * se + 1e-5 * Math.abs(want.ntk!.data[i]));
      if (Math.abs(same.ntk!.data[i] - want.ntk!.data[i]) > 4 * se) apart++;
    }
    expect(apart).toBeGreaterThan(0);
  }, 120_000);

  it('differentiable on every backend: the Jacobian NTK of a CIRCULAR CNN is the same on wasm and cpu (float32 precision) and equals the structured one', async () => {
    const spec = serial(conv(4, { filter: [3, 3], strides: [2, 1], padding: 'CIRCULAR', wStd: 1.4 }), relu(), avgPool({ window: [2, 2], padding: 'CIRCULAR' }), flatten(), dense(1));
    const x = images(3, 5, 4, 1, 44);
    const w = await empiricalKernel(spec, x, undefined, { method: 'jacobian', seed: 2, backend: 'wasm' });
    const c = await empiricalKernel(spec, x, undefined, { method: 'jacobian', seed: 2, backend: 'cpu' });
    const s = await empiricalKernel(spec, x, undefined, { method: 'structured', seed: 2, backend: 'cpu' });
    expect(w.backend).toBe('wasm');
    expect(c.backend).toBe('cpu');
    const max = Math.max(...Array.from(c.ntk.data, Math.abs));
    for (let i = 0; i < 9; i++) {
      expect(Math.abs(w.ntk.data[i] - c.ntk.data[i])).toBeLessThanOrEqual(1e-5 * max);
      expect(Math.abs(s.ntk.data[i] - c.ntk.data[i])).toBeLessThanOrEqual(1e-4 * max);
    }
  }, 60_000);
});
