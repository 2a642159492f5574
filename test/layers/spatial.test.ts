import { specErrorMessage } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import type { Images } from '../../src/data/images.js';
import { relu } from '../../src/layers/abrelu.js';
import { avgPool } from '../../src/layers/avgPool.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { flatten } from '../../src/layers/flatten.js';
import { globalAvgPool } from '../../src/layers/globalAvgPool.js';
import { specFromJson } from '../../src/layers/json.js';
import { residual } from '../../src/layers/residual.js';
import { serial } from '../../src/layers/serial.js';
import type { Layer } from '../../src/layers/types.js';
import { Rng } from '../../src/util/random.js';

/** Random N×H×W×C images. */
function images(n: number, h: number, w: number, c: number, seed: number): Images {
  const rng = new Rng(seed);
  return { shape: [n, h, w, c], data: Float64Array.from(rng.normals(n * h * w * c)), dtype: 'float64' };
}

// ---- an independent float64 reference: whole S×S covariance matrices of one pair, direct loops ----

/** State of one pair (x, y): full spatial matrices of (x, y), (x, x) and (y, y), H×W extent, NNGP and NTK. */
interface Ref {
  h: number;
  w: number;
  k: number[][][]; // [which: 0 = xy, 1 = xx, 2 = yy][s][t]
  t: number[][][];
}

type Pad = 'SAME' | 'VALID' | 'CIRCULAR';

type RefLayer =
  | { kind: 'conv'; f: [number, number]; st: [number, number]; pad: Pad; w2: number; b2: number }
  | { kind: 'relu' }
  | { kind: 'flatten' }
  | { kind: 'gap' }
  | { kind: 'pool'; f: [number, number]; st: [number, number]; pad?: 'VALID' | 'CIRCULAR' }
  | { kind: 'dense'; w2: number; b2: number }
  | { kind: 'residualConv'; f: [number, number]; w2: number; b2: number };

function refInput(x: Images, i: number, y: Images, j: number): Ref {
  const [, h, w, c] = x.shape;
  const S = h * w;
  const px = (a: Images, n: number, s: number, ch: number): number => a.data[(n * S + s) * c + ch];
  const cov = (a: Images, n: number, b: Images, m: number): number[][] =>
    Array.from({ length: S }, (_, s) =>
      Array.from({ length: S }, (_, t) => {
        let v = 0;
        for (let ch = 0; ch < c; ch++) v += px(a, n, s, ch) * px(b, m, t, ch);
        return v / c;
      }),
    );
  const zeros = (): number[][] => Array.from({ length: S }, () => new Array<number>(S).fill(0));
  return { h, w, k: [cov(x, i, y, j), cov(x, i, x, i), cov(y, j, y, j)], t: [zeros(), zeros(), zeros()] };
}

function outExtent(n: number, f: number, st: number, pad: Pad): { out: number; before: number } {
  if (pad === 'VALID') return { out: Math.floor((n - f) / st) + 1, before: 0 };
  const out = Math.ceil(n / st);
  return { out, before: Math.floor(Math.max((out - 1) * st + f - n, 0) / 2) };
}

function refStep(r: Ref, l: RefLayer): Ref {
  const S = r.h * r.w;
  if (l.kind === 'residualConv') {
    // x + conv(x): the branches are independent (conv ends in fresh weights), so the kernels add
    const c = refStep(r, { kind: 'conv', f: l.f, st: [1, 1], pad: 'SAME', w2: l.w2, b2: l.b2 });
    const add = (a: number[][][], b: number[][][]): number[][][] => a.map((m, w) => m.map((row, s) => row.map((v, u) => v + b[w][s][u])));
    return { h: r.h, w: r.w, k: add(r.k, c.k), t: add(r.t, c.t) };
  }
  if (l.kind === 'relu') {
    const k: number[][][] = [];
    const t: number[][][] = [];
    for (let which = 0; which < 3; which++) {
      const va = which === 2 ? r.k[2] : r.k[1];
      const vb = which === 1 ? r.k[1] : r.k[2];
      k.push([]);
      t.push([]);
      for (let s = 0; s < S; s++) {
        k[which].push([]);
        t[which].push([]);
        for (let u = 0; u < S; u++) {
          const kk = r.k[which][s][u];
          if (which > 0 && s === u) {
            k[which][s].push(kk / 2);
            t[which][s].push(r.t[which][s][u] / 2);
            continue;
          }
          const norm = Math.sqrt(va[s][s] * vb[u][u]);
          const cos = Math.min(1, Math.max(-1, kk / norm));
          const th = Math.acos(cos);
          k[which][s].push((norm * (Math.sin(th) + (Math.PI - th) * cos)) / (2 * Math.PI));
          t[which][s].push((r.t[which][s][u] * (Math.PI - th)) / (2 * Math.PI));
        }
      }
    }
    return { h: r.h, w: r.w, k, t };
  }
  if (l.kind === 'conv' || l.kind === 'pool') {
    const pad = l.kind === 'conv' ? l.pad : (l.pad ?? 'VALID');
    const ey = outExtent(r.h, l.f[0], l.st[0], pad);
    const ex = outExtent(r.w, l.f[1], l.st[1], pad);
    // CIRCULAR: periodic boundary, a row (column) index taken mod the extent
    const wrap = (a: number, n: number): number => ((a % n) + n) % n;
    const at = (a: number, b: number): number =>
      pad === 'CIRCULAR' ? wrap(a, r.h) * r.w + wrap(b, r.w) : a < 0 || a >= r.h || b < 0 || b >= r.w ? -1 : a * r.w + b;
    const map = (m: number[][]): number[][] => {
      const out: number[][] = [];
      for (let a1 = 0; a1 < ey.out; a1++)
        for (let b1 = 0; b1 < ex.out; b1++) {
          const row: number[] = [];
          for (let a2 = 0; a2 < ey.out; a2++)
            for (let b2 = 0; b2 < ex.out; b2++) {
              let v = 0;
              for (let i = 0; i < l.f[0]; i++)
                for (let j = 0; j < l.f[1]; j++) {
                  if (l.kind === 'conv') {
                    const p = at(a1 * l.st[0] - ey.before + i, b1 * l.st[1] - ex.before + j);
                    const q = at(a2 * l.st[0] - ey.before + i, b2 * l.st[1] - ex.before + j);
                    if (p >= 0 && q >= 0) v += m[p][q];
                  } else {
                    for (let i2 = 0; i2 < l.f[0]; i2++)
                      for (let j2 = 0; j2 < l.f[1]; j2++)
                        v += m[at(a1 * l.st[0] - ey.before + i, b1 * l.st[1] - ex.before + j)][at(a2 * l.st[0] - ey.before + i2, b2 * l.st[1] - ex.before + j2)];
                  }
                }
              const F = l.f[0] * l.f[1];
              row.push(l.kind === 'conv' ? v / F : v / (F * F));
            }
          out.push(row);
        }
      return out;
    };
    const k = r.k.map(map);
    const t = r.t.map(map);
    if (l.kind === 'conv') {
      for (let which = 0; which < 3; which++)
        for (const [s, row] of k[which].entries())
          for (let u = 0; u < row.length; u++) {
            row[u] = l.w2 * row[u] + l.b2;
            t[which][s][u] = l.w2 * t[which][s][u] + row[u];
          }
    }
    return { h: ey.out, w: ex.out, k, t };
  }
  if (l.kind === 'flatten' || l.kind === 'gap') {
    const red = (m: number[][]): number[][] => {
      let v = 0;
      for (let s = 0; s < S; s++) for (let u = 0; u < S; u++) if (l.kind === 'gap' || s === u) v += m[s][u];
      return [[l.kind === 'gap' ? v / (S * S) : v / S]];
    };
    return { h: 1, w: 1, k: r.k.map(red), t: r.t.map(red) };
  }
  const k = r.k.map((m) => [[l.w2 * m[0][0] + l.b2]]);
  const t = r.t.map((m, which) => [[l.w2 * m[0][0] + k[which][0][0]]]);
  return { h: 1, w: 1, k, t };
}

/** The reference kernels N1×N2 (x2 null: x1 against itself, the diagonal from the (x, x) record). */
function reference(layers: RefLayer[], x1: Images, x2: Images | null): { k: number[]; t: number[] } {
  const y = x2 ?? x1;
  const k: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < x1.shape[0]; i++)
    for (let j = 0; j < y.shape[0]; j++) {
      let r = refInput(x1, i, y, j);
      for (const l of layers) r = refStep(r, l);
      const which = x2 === null && i === j ? 1 : 0;
      k.push(r.k[which][0][0]);
      t.push(r.t[which][0][0]);
    }
  return { k, t };
}

function expectClose(got: Float64Array, want: number[]): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1e-300, Math.abs(want[i])));
  expect(worst).toBeLessThan(1e-10);
}

function check(layers: Layer[], ref: RefLayer[], x1: Images, x2: Images | null): void {
  const out = analyticKernelSync(serial(...layers), x1, x2 ?? undefined);
  const want = reference(ref, x1, x2);
  expectClose(out.nngp!.data, want.k);
  expectClose(out.ntk!.data, want.t);
}

const W2 = 2;
const B2 = 0.09;

describe('spatial kernels against a direct float64 implementation', () => {
  const x = images(4, 5, 5, 2, 1);
  const y = images(3, 5, 5, 2, 2);
  const cases: { name: string; f: [number, number]; st: [number, number]; pad: Pad; bias: boolean }[] = [
    { name: 'SAME, stride 1, no bias', f: [3, 3], st: [1, 1], pad: 'SAME', bias: false },
    { name: 'CIRCULAR, stride 1, bias', f: [3, 3], st: [1, 1], pad: 'CIRCULAR', bias: true },
    { name: 'CIRCULAR, strides 2×1, filter 4×2 (even: the odd pad after), no bias', f: [4, 2], st: [2, 1], pad: 'CIRCULAR', bias: false },
    { name: 'CIRCULAR, filter 7×3 wider than the 5×5 input (wraps more than once)', f: [7, 3], st: [1, 2], pad: 'CIRCULAR', bias: true },
    { name: 'SAME, stride 2, bias', f: [3, 2], st: [2, 2], pad: 'SAME', bias: true },
    { name: 'VALID, stride 1, bias', f: [2, 3], st: [1, 1], pad: 'VALID', bias: true },
    { name: 'VALID, stride 2, no bias', f: [3, 3], st: [2, 1], pad: 'VALID', bias: false },
  ];
  for (const c of cases) {
    it(`conv ${c.name} > relu > conv > relu > flatten > dense`, () => {
      const b2 = c.bias ? B2 : 0;
      const cv = (): Layer => conv(3, { filter: c.f, strides: c.st, padding: c.pad, wStd: Math.sqrt(W2), bStd: Math.sqrt(b2) });
      const layers = [cv(), relu(), conv(4, { filter: [2, 2], wStd: Math.sqrt(W2), bStd: Math.sqrt(b2) }), relu(), flatten(), dense(1, { wStd: 1.3, bStd: 0.2 })];
      const ref: RefLayer[] = [
        { kind: 'conv', f: c.f, st: c.st, pad: c.pad, w2: W2, b2 },
        { kind: 'relu' },
        { kind: 'conv', f: [2, 2], st: [1, 1], pad: 'SAME', w2: W2, b2 },
        { kind: 'relu' },
        { kind: 'flatten' },
        { kind: 'dense', w2: 1.69, b2: 0.04000000000000001 },
      ];
      check(layers, ref, x, null);
      check(layers, ref, x, y);
    });
  }
  it('conv > relu > conv > relu > globalAvgPool > dense', () => {
    const layers = [conv(3, { filter: [3, 3], wStd: 1.5, bStd: 0.3 }), relu(), conv(2, { filter: [2, 2], padding: 'VALID', wStd: 1.5 }), relu(), globalAvgPool(), dense(1)];
    const ref: RefLayer[] = [
      { kind: 'conv', f: [3, 3], st: [1, 1], pad: 'SAME', w2: 2.25, b2: 0.09 },
      { kind: 'relu' },
      { kind: 'conv', f: [2, 2], st: [1, 1], pad: 'VALID', w2: 2.25, b2: 0 },
      { kind: 'relu' },
      { kind: 'gap' },
      { kind: 'dense', w2: 1, b2: 0 },
    ];
    check(layers, ref, x, null);
    check(layers, ref, x, y);
  });
  it('full mode on non-square images: strided, non-square filters, SAME and VALID, bias > globalAvgPool > dense', () => {
    // 6×5 images: the separable offset sums must keep rows and columns apart (a transposition would show here)
    const xr = images(3, 6, 5, 2, 7);
    const yr = images(2, 6, 5, 2, 8);
    const layers = [
      conv(3, { filter: [3, 2], strides: [2, 1], padding: 'SAME', wStd: 1.5, bStd: 0.3 }),
      relu(),
      conv(2, { filter: [2, 3], strides: [1, 2], padding: 'VALID', wStd: 1.2 }),
      relu(),
      globalAvgPool(),
      dense(1, { wStd: 1.1, bStd: 0.1 }),
    ];
    const ref: RefLayer[] = [
      { kind: 'conv', f: [3, 2], st: [2, 1], pad: 'SAME', w2: 2.25, b2: 0.09 },
      { kind: 'relu' },
      { kind: 'conv', f: [2, 3], st: [1, 2], pad: 'VALID', w2: 1.44, b2: 0 },
      { kind: 'relu' },
      { kind: 'gap' },
      { kind: 'dense', w2: 1.2100000000000002, b2: 0.010000000000000002 },
    ];
    check(layers, ref, xr, null);
    check(layers, ref, xr, yr);
    // the same net with a flatten readout: 'diagonal' mode on the same non-square extents
    const flat = [...layers.slice(0, 4), flatten(), layers[5]];
    const flatRef: RefLayer[] = [...ref.slice(0, 4), { kind: 'flatten' }, ref[5]];
    check(flat, flatRef, xr, null);
    check(flat, flatRef, xr, yr);
  });
  it('conv > relu > avgPool > conv > relu > flatten > dense (a full value reduced before flatten)', () => {
    const layers = [conv(3, { filter: [3, 3], wStd: 1.5 }), relu(), avgPool({ window: [2, 2] }), conv(2, { filter: [2, 2], wStd: 1.5, bStd: 0.3 }), relu(), flatten(), dense(1)];
    const ref: RefLayer[] = [
      { kind: 'conv', f: [3, 3], st: [1, 1], pad: 'SAME', w2: 2.25, b2: 0 },
      { kind: 'relu' },
      { kind: 'pool', f: [2, 2], st: [2, 2] },
      { kind: 'conv', f: [2, 2], st: [1, 1], pad: 'SAME', w2: 2.25, b2: 0.09 },
      { kind: 'relu' },
      { kind: 'flatten' },
      { kind: 'dense', w2: 1, b2: 0 },
    ];
    check(layers, ref, x, null);
    check(layers, ref, x, y);
  });
  it('CIRCULAR: conv > relu > avgPool(3×3, strides 2, CIRCULAR) > conv(CIRCULAR) > relu > globalAvgPool > dense', () => {
    const layers = [
      conv(3, { filter: [3, 3], padding: 'CIRCULAR', wStd: 1.5, bStd: 0.3 }),
      relu(),
      avgPool({ window: [3, 3], strides: [2, 2], padding: 'CIRCULAR' }),
      conv(2, { filter: [2, 2], padding: 'CIRCULAR', wStd: 1.5 }),
      relu(),
      globalAvgPool(),
      dense(1),
    ];
    const ref: RefLayer[] = [
      { kind: 'conv', f: [3, 3], st: [1, 1], pad: 'CIRCULAR', w2: 2.25, b2: 0.09 },
      { kind: 'relu' },
      { kind: 'pool', f: [3, 3], st: [2, 2], pad: 'CIRCULAR' },
      { kind: 'conv', f: [2, 2], st: [1, 1], pad: 'CIRCULAR', w2: 2.25, b2: 0 },
      { kind: 'relu' },
      { kind: 'gap' },
      { kind: 'dense', w2: 1, b2: 0 },
    ];
    check(layers, ref, x, null);
    check(layers, ref, x, y);
  });
  // the residual input is a conv output (Gaussian), so x + conv(x) is Gaussian and the ReLU after it exact
  it('conv > residual(conv) > relu > globalAvgPool > dense', () => {
    const layers = [conv(3, { filter: [3, 3], wStd: 1.5 }), residual(conv(3, { filter: [2, 2], wStd: 1.2, bStd: 0.3 })), relu(), globalAvgPool(), dense(1)];
    const ref: RefLayer[] = [
      { kind: 'conv', f: [3, 3], st: [1, 1], pad: 'SAME', w2: 2.25, b2: 0 },
      { kind: 'residualConv', f: [2, 2], w2: 1.44, b2: 0.09 },
      { kind: 'relu' },
      { kind: 'gap' },
      { kind: 'dense', w2: 1, b2: 0 },
    ];
    check(layers, ref, x, null);
    check(layers, ref, x, y);
  });
  it('flatten > dense on images equals the flat kernel of the flattened images', () => {
    const flat = { rows: 4, cols: 50, data: x.data };
    const a = analyticKernelSync(serial(flatten(), dense(3, { wStd: 1.2, bStd: 0.1 }), relu(), dense(1)), x);
    const b = analyticKernelSync(serial(dense(3, { wStd: 1.2, bStd: 0.1 }), relu(), dense(1)), flat);
    for (let i = 0; i < 16; i++) {
      expect(a.nngp!.data[i]).toBeCloseTo(b.nngp!.data[i], 12);
      expect(a.ntk!.data[i]).toBeCloseTo(b.ntk!.data[i], 12);
    }
  });
});

describe('spatial specs: one-line errors', () => {
  const x = images(2, 4, 4, 1, 3);
  const msg = specErrorMessage;
  it('dense on images', () => {
    expect(msg(() => analyticKernelSync(serial(dense(2)), x))).toMatch(/add flatten or globalAvgPool first/);
  });
  it('a spatial output', () => {
    expect(msg(() => analyticKernelSync(serial(conv(2, { filter: [3, 3] })), x))).toMatch(/add flatten or globalAvgPool/);
  });
  it('bad conv fields', () => {
    expect(msg(() => conv(2, { filter: [3, 3], padding: 'CIRCLE' as 'SAME' }))).toMatch(/padding/);
    expect(msg(() => conv(0, { filter: [3, 3] }))).toMatch(/channels/);
    expect(msg(() => conv(2, { filter: [3, 0] }))).toMatch(/filter/);
    expect(msg(() => analyticKernelSync(serial(conv(2, { filter: [5, 5], padding: 'VALID' }), flatten(), dense(1)), x))).toMatch(/larger than the input/);
  });
  it('JSON form', () => {
    const spec = specFromJson({
      layers: [
        { type: 'conv', channels: 4, filter: [3, 3], strides: [1, 1], padding: 'SAME', wStd: 1.41421356, bStd: 0 },
        { type: 'relu' },
        { type: 'avgPool', window: [2, 2], strides: [2, 2], padding: 'VALID' },
        { type: 'globalAvgPool' },
        { type: 'dense', width: 1 },
      ],
    });
    const k = analyticKernelSync(spec, x);
    expect(k.nngp!.rows).toBe(2);
    expect(msg(() => specFromJson({ layers: [{ type: 'conv', channels: 4 }] }))).toMatch(/missing field "filter"/);
    expect(msg(() => specFromJson({ layers: [{ type: 'flatten', x: 1 }] }))).toMatch(/unknown field/);
  });
});

describe('spatial engine: tiles, memory, layer properties', () => {
  it('tiles shrink with P and give the same entries as one pair at a time, symmetric by mirroring (full mode, 12×12)', () => {
    const x = images(7, 12, 12, 1, 5);
    const y = images(3, 12, 12, 1, 6);
    const spec = serial(conv(2, { filter: [3, 3], wStd: 1.4, bStd: 0.1 }), relu(), globalAvgPool(), dense(1));
    const one = (a: Images, i: number): Images => ({ shape: [1, 12, 12, 1], data: a.data.slice(i * 144, (i + 1) * 144), dtype: 'float64' });
    const all = analyticKernelSync(spec, x);
    const cross = analyticKernelSync(spec, x, y);
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 7; j++) {
        // X2 = X1 computes the upper triangle and mirrors it: exactly symmetric
        const want = i === j ? analyticKernelSync(spec, one(x, i)) : analyticKernelSync(spec, one(x, Math.min(i, j)), one(x, Math.max(i, j)));
        expect(all.ntk!.data[i * 7 + j]).toBe(want.ntk!.data[0]);
        expect(all.nngp!.data[i * 7 + j]).toBe(want.nngp!.data[0]);
      }
      for (let j = 0; j < 3; j++) expect(cross.nngp!.data[i * 3 + j]).toBe(analyticKernelSync(spec, one(x, i), one(y, j)).nngp!.data[0]);
    }
  });
  it('the memory estimate counts P and refuses up front with the estimate', () => {
    const x = images(2, 16, 16, 1, 5);
    const spec = serial(conv(2, { filter: [3, 3] }), relu(), globalAvgPool(), dense(1));
    expect(() => analyticKernelSync(spec, x, undefined, { maxMemoryBytes: 1e6 })).toThrow(/full spatial covariances\) needs about [\d.]+ MiB, over the memory limit/);
    // the same net ending in flatten needs only the diagonal entries: far less
    expect(() => analyticKernelSync(serial(conv(2, { filter: [3, 3] }), relu(), flatten(), dense(1)), x, undefined, { maxMemoryBytes: 1e6 })).not.toThrow();
  });
  it('conv: withWidth, scaleParams, homogeneity, JSON round trip', () => {
    const c = conv(8, { filter: [3, 3], strides: [2, 2], padding: 'VALID', wStd: 1.5 });
    expect(c.withWidth!(32).json).toEqual({ type: 'conv', channels: 32, filter: [3, 3], strides: [2, 2], padding: 'VALID', wStd: 1.5, bStd: 0 });
    expect(c.scaleParams(2).json).toMatchObject({ wStd: 3, bStd: 0 });
    expect(c.homogeneity).toBe(1);
    expect(conv(8, { filter: [3, 3], bStd: 0.1 }).homogeneity).toBeNull();
    const spec = specFromJson({ layers: [c.json, { type: 'flatten' }, { type: 'dense', width: 1 }] });
    expect(spec.layers[0].json).toEqual(c.json);
  });
});

describe('1-D: sequences N×L×C', () => {
  it('conv 1-D (filter [f]) on N×L×C equals conv 2-D (filter [1, f]) on N×1×L×C, with avgPool and globalAvgPool', () => {
    const x2d = images(4, 1, 7, 2, 8);
    const x1d: Images = { shape: [4, 7, 2], data: x2d.data, dtype: 'float64' };
    const net = (d2: boolean): Layer[] => [
      conv(3, { filter: d2 ? [1, 3] : [3], strides: d2 ? [1, 2] : [2], wStd: 1.4, bStd: 0.2 }),
      relu(),
      avgPool({ window: d2 ? [1, 2] : [2], padding: 'SAME' }),
      conv(2, { filter: d2 ? [1, 2] : [2], padding: 'VALID' }),
      relu(),
      globalAvgPool(),
      dense(1),
    ];
    const a = analyticKernelSync(serial(...net(false)), x1d);
    const b = analyticKernelSync(serial(...net(true)), x2d);
    for (let i = 0; i < 16; i++) {
      expect(a.nngp!.data[i]).toBe(b.nngp!.data[i]);
      expect(a.ntk!.data[i]).toBe(b.ntk!.data[i]);
    }
  });
});
