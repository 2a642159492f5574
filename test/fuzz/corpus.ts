/**
 * A seeded corpus of bad `ntk` command lines for test/cli/fuzz.test.ts.
 *
 * Every case is a valid base command line of one subcommand with exactly ONE thing made invalid (a number, a
 * grid, a spec, a file, an output path), or a usage error (unknown option, missing value…). Fixture files
 * (valid and broken) are written by buildFixtures into a folder of their own; command lines name them by
 * absolute path, the user's folder (the child's cwd) by relative paths.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';

export interface FuzzCase {
  /** the `it` this case is reported under */
  group: string;
  /** what was broken (for the report) */
  what: string;
  args: string[];
}

/** mulberry32: a tiny seeded PRNG in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------- fixtures

/** A .npy file with a hand-written header (any dict text) and body. */
export function npyBytes(header: string, body: Uint8Array = new Uint8Array(0), version = 1): Buffer {
  const pre = version === 1 ? 10 : 12;
  let h = header;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const head = Buffer.alloc(pre);
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(h.length, 8);
  else head.writeUInt32LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(body)]);
}

function f64(values: number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

function randn(rand: () => number, n: number): number[] {
  return Array.from({ length: n }, () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  });
}

export const N = 8; // training points of the file data
export const M = 4; // test points
export const D = 4; // input dimension
/** Images of the image cases: N (or M) × 6×6×2. */
const IMG_H = 6;
const IMG_W = 6;
const IMG_C = 2;
const IMG_PER = IMG_H * IMG_W * IMG_C;
const convLayer = (channels: number | string, padding = 'SAME') =>
  `{"type":"conv","channels":${channels},"filter":[3,3],"strides":[1,1],"padding":"${padding}","wStd":1.41421356,"bStd":0}`;
/** A small CNN for 6×6×2 images and 3 classes (the file data's labels). */
const CNN_ARCH = `{"layers":[${convLayer(4)},{"type":"relu"},{"type":"globalAvgPool"},{"type":"dense","width":3,"wStd":1.41421356}]}`;

/** Writes every fixture into `dir`; returns nothing (paths are `${dir}/<name>`). */
export function buildFixtures(dir: string, seed: number): void {
  const rand = mulberry32(seed ^ 0x5eed);
  mkdirSync(dir, { recursive: true });
  const w = (name: string, data: string | Uint8Array) => writeFileSync(join(dir, name), data);
  const npy = (name: string, shape: number[], data: number[]) => writeNpy(join(dir, name), { shape, data: Float64Array.from(data) });

  const x = randn(rand, N * D);
  const xt = randn(rand, M * D);
  npy('X.npy', [N, D], x);
  npy('Xt.npy', [M, D], xt);
  const labels = Array.from({ length: N }, (_, i) => i % 3);
  const labelsT = Array.from({ length: M }, (_, i) => i % 3);
  npy('labels.npy', [N], labels);
  npy('labelsT.npy', [M], labelsT);
  npy('Y.npy', [N, 2], randn(rand, N * 2));
  npy('Yt.npy', [M, 2], randn(rand, M * 2));
  // Θ = X·Xᵀ + I (symmetric positive definite), Θ* = X*·Xᵀ
  const dot = (a: number[], i: number, b: number[], j: number) => {
    let s = 0;
    for (let c = 0; c < D; c++) s += a[i * D + c] * b[j * D + c];
    return s;
  };
  const theta: number[] = [];
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) theta.push(dot(x, i, x, j) + (i === j ? 1 : 0));
  const thetaT: number[] = [];
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) thetaT.push(dot(xt, i, x, j));
  npy('theta.npy', [N, N], theta);
  npy('thetaT.npy', [M, N], thetaT);
  w('sched.json', '{"starts":[0,10],"values":[0.01,0.001]}');
  w('arch.json', '{"parameterization":"ntk","layers":[{"type":"dense","width":16,"wStd":1.41421356},{"type":"relu"},{"type":"dense","width":3,"wStd":1.41421356}]}');
  w('X.csv', Array.from({ length: N }, (_, i) => x.slice(i * D, i * D + D).join(',')).join('\n') + '\n');

  // ---- broken matrices
  w('empty.npy', '');
  w('empty.csv', '');
  w('empty.json', '');
  w('text.npy', 'hello, I am text\n');
  w('junk.npy', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rand() * 256))));
  w('junk.csv', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rand() * 256))));
  const good = npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (${N}, ${D}), }`, f64(x));
  w('trunc-body.npy', good.subarray(0, good.length - 13));
  w('trunc-header.npy', good.subarray(0, 30));
  w('magic-only.npy', good.subarray(0, 6));
  w('dtype-complex.npy', npyBytes(`{'descr': '<c16', 'fortran_order': False, 'shape': (${N}, ${D}), }`, new Uint8Array(N * D * 16)));
  w('dtype-str.npy', npyBytes(`{'descr': '|S4', 'fortran_order': False, 'shape': (${N}, ${D}), }`, new Uint8Array(N * D * 4)));
  w('dtype-object.npy', npyBytes(`{'descr': '|O', 'fortran_order': False, 'shape': (${N}, ${D}), }`, new Uint8Array(N * D * 8)));
  w('dtype-bigendian.npy', npyBytes(`{'descr': '>f8', 'fortran_order': False, 'shape': (${N}, ${D}), }`, f64(x)));
  w('dtype-bogus.npy', npyBytes(`{'descr': '<q99', 'fortran_order': False, 'shape': (${N}, ${D}), }`, f64(x)));
  w('shape-neg.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (-1, ${D}), }`, f64(x)));
  w('shape-huge.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }`, f64(x)));
  w('shape-2p53.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (9007199254740993, 1), }`, f64(x)));
  w('shape-float.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (8.5, ${D}), }`, f64(x)));
  w('header-garbage.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (${N}, ${D}), `, f64(x)));
  w('header-proto.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (${N}, ${D}), '__proto__': {'shape': 1}, 'constructor': 1}`, f64(x)));
  w('header-dup.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (${N}, ${D}), 'shape': (1000000, 1000000)}`, f64(x)));
  w('header-deep.npy', npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': ${'('.repeat(3000)}${')'.repeat(3000)}}`, f64(x)));
  w('version9.npy', Buffer.concat([Buffer.from('\x93NUMPY\x09\x00', 'latin1'), good.subarray(8)]));
  w('fortran-bogus.npy', npyBytes(`{'descr': '<f8', 'fortran_order': 'maybe', 'shape': (${N}, ${D}), }`, f64(x)));
  npy('3d.npy', [2, N, D], [...x, ...x]);
  npy('zero-rows.npy', [0, D], []);
  npy('zero-cols.npy', [N, 0], []);
  const withNaN = x.slice();
  withNaN[5] = NaN;
  npy('X-nan.npy', [N, D], withNaN);
  const withInf = x.slice();
  withInf[7] = Infinity;
  npy('X-inf.npy', [N, D], withInf);
  npy('X-d5.npy', [N, 5], randn(rand, N * 5)); // wrong dimension for X test of dimension 4
  npy('X-rows7.npy', [7, D], x.slice(0, 7 * D)); // 7 rows against 8 labels
  w('X-nan.csv', Array.from({ length: N }, (_, i) => (i === 3 ? ['1', 'NaN', '2', '3'] : x.slice(i * D, i * D + D)).join(',')).join('\n') + '\n');
  // a typo in the first row: "1.O" (letter O); silently taking it as a header would drop a data row
  w('X-typo-first-row.csv', ['0.5,1.O,0.25,2', ...Array.from({ length: N - 1 }, (_, i) => x.slice(i * D, i * D + D).join(','))].join('\n') + '\n');
  w('X-typo-mid.csv', Array.from({ length: N }, (_, i) => (i === 4 ? ['1', '2', '3e', '4'] : x.slice(i * D, i * D + D)).join(',')).join('\n') + '\n');
  w('X-ragged.csv', Array.from({ length: N }, (_, i) => x.slice(i * D, i * D + (i === 5 ? D - 1 : D)).join(',')).join('\n') + '\n');
  w('X-semicolon.csv', Array.from({ length: N }, (_, i) => x.slice(i * D, i * D + D).join(';')).join('\n') + '\n');
  w('X-header-only.csv', 'a,b,c,d\n');
  w('X-ragged.json', JSON.stringify([[1, 2, 3, 4], [1, 2, 3]]));
  w('X-bad.json', '[[1,2,3,4],[1,2,3,');
  w('X-strings.json', JSON.stringify(Array.from({ length: N }, () => ['1', '2', '3', '4'])));
  w('X-deep.json', '['.repeat(100000) + ']'.repeat(100000));
  w('X.bin', f64(x));
  // labels
  npy('labels-huge.npy', [N], [0, 1, 2, 2147483648, 0, 1, 2, 0]);
  npy('labels-huge-t.npy', [M], [0, 1, 2, 2147483648]);
  npy('labels-1e15.npy', [N], [0, 1, 2, 1e15, 0, 1, 2, 0]);
  npy('labels-rows5.npy', [5], [0, 1, 2, 0, 1]);
  npy('labels-nan.npy', [N], [0, 1, NaN, 2, 0, 1, 2, 0]);
  npy('labels-inf.npy', [N], [0, 1, Infinity, 2, 0, 1, 2, 0]);
  npy('labels-one-class.npy', [N], [0, 0, 0, 0, 0, 0, 0, 0]);
  npy('labels-one-class-t.npy', [M], [0, 0, 0, 0]);
  // kernels
  const nanTheta = theta.slice();
  nanTheta[9] = NaN;
  nanTheta[(9 % N) * N + Math.floor(9 / N)] = NaN;
  npy('theta-nan.npy', [N, N], nanTheta);
  const infTheta = theta.slice();
  infTheta[0] = Infinity;
  npy('theta-inf.npy', [N, N], infTheta);
  npy('theta-nonsquare.npy', [N, N - 1], theta.slice(0, N * (N - 1)));
  npy('theta-6.npy', [6, 6], Array.from({ length: 36 }, (_, k) => (k % 7 === 0 ? 2 : 0)));
  const asym = theta.slice();
  asym[1] += 5;
  npy('theta-asym.npy', [N, N], asym);
  npy('theta-negdef.npy', [N, N], theta.map((v) => -v));
  npy('thetaT-wrongcols.npy', [M, N - 1], thetaT.slice(0, M * (N - 1)));
  npy('Y-rows5.npy', [5, 2], randn(rand, 10));
  npy('Yt-cols3.npy', [M, 3], randn(rand, M * 3));
  npy('Y-nan.npy', [N, 2], [NaN, ...randn(rand, N * 2 - 1)]);
  // times files
  npy('times-decreasing.npy', [3], [10, 5, 1]);
  npy('times-nan.npy', [3], [0, NaN, 2]);
  npy('times-neg.npy', [3], [-5, 1, 2]);
  npy('times-empty.npy', [0], []);
  // schedules
  w('sched-bad.json', '{"starts":[0,10],"values":[0.01]');
  w('sched-shape.json', '{"starts":[0,10],"values":[0.01]}');
  w('sched-neg.json', '{"starts":[0,10],"values":[0.01,-1]}');
  w('sched-nan.json', '{"starts":[0,10],"values":[0.01,"NaN"]}');
  w('sched-unsorted.json', '{"starts":[10,0],"values":[0.01,0.001]}');
  w('sched-start5.json', '{"starts":[5,10],"values":[0.01,0.001]}');
  w('sched-array.json', '[0.01, 0.001]');
  w('sched-proto.json', '{"__proto__":{"starts":[0],"values":[0.1]}}');
  w('sched-huge-num.json', '{"starts":[0,1e309],"values":[0.01,0.001]}');
  w('sched-empty.json', '{"starts":[],"values":[]}');
  // architectures
  w('arch-junk.json', Buffer.from(Array.from({ length: 2048 }, () => Math.floor(rand() * 256))));
  w('arch-empty.json', '');
  w('arch-400k.json', JSON.stringify({ layers: [{ type: 'x'.repeat(400_000) }] }));
  w('arch-400k-field.json', JSON.stringify({ layers: [{ type: 'relu', ['k'.repeat(400_000)]: 1 }] }));
  w('arch-deep.json', '{"layers":' + '['.repeat(200000) + ']'.repeat(200000) + '}');
  w('arch-proto.json', '{"__proto__":{"layers":[{"type":"relu"}]},"layers":[{"type":"dense","width":16},{"type":"relu"},{"type":"dense","width":3}]}');
  w('arch-dup.json', '{"layers":[{"type":"dense","width":16,"width":-5},{"type":"relu"},{"type":"dense","width":3}]}');
  w('arch-type-proto.json', '{"layers":[{"type":"__proto__"},{"type":"dense","width":3}]}');
  w('arch-type-constructor.json', '{"layers":[{"type":"constructor"},{"type":"dense","width":3}]}');
  w('arch-layers-obj.json', '{"layers":{"0":{"type":"relu"},"length":1}}');
  w('arch-width-str.json', '{"layers":[{"type":"dense","width":"16"},{"type":"relu"},{"type":"dense","width":3}]}');
  w('arch-width-huge.json', '{"layers":[{"type":"dense","width":4294967296},{"type":"relu"},{"type":"dense","width":3}]}');
  w('arch-null.json', 'null');
  w('arch-array.json', '[{"type":"relu"}]');
  // ---- images (N×H×W×C, channels last) and their broken forms
  const img = randn(rand, N * IMG_PER);
  npy('IMG.npy', [N, IMG_H, IMG_W, IMG_C], img);
  npy('IMGt.npy', [M, IMG_H, IMG_W, IMG_C], randn(rand, M * IMG_PER));
  npy('IMG-small.npy', [M, IMG_H - 1, IMG_W - 1, IMG_C], randn(rand, M * (IMG_H - 1) * (IMG_W - 1) * IMG_C));
  npy('IMG-rank5.npy', [1, N, IMG_H, IMG_W, IMG_C], img);
  npy('IMG-c0.npy', [N, IMG_H, IMG_W, 0], []);
  const imgNaN = img.slice();
  imgNaN[IMG_PER + 7] = NaN;
  npy('IMG-nan.npy', [N, IMG_H, IMG_W, IMG_C], imgNaN);
  const imgGood = npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (${N}, ${IMG_H}, ${IMG_W}, ${IMG_C}), }`, f64(img));
  w('IMG-trunc.npy', imgGood.subarray(0, imgGood.length - 8));
  w('IMG-u8-short.npy', npyBytes(`{'descr': '|u1', 'fortran_order': False, 'shape': (${N}, ${IMG_H}, ${IMG_W}, ${IMG_C}), }`, new Uint8Array(N * IMG_PER - 1)));
  w('cnn.json', CNN_ARCH);
  mkdirSync(join(dir, 'a-folder.npy'), { recursive: true });
  mkdirSync(join(dir, 'a-folder.json'), { recursive: true });
  mkdirSync(join(dir, 'a-folder.csv'), { recursive: true });
}

// ------------------------------------------------------------------------------------------------ corpus

type Args = [string, string][]; // [flag, value]; a value of null-like '' is kept ('--out=')

function line(cmd: string[], opts: Args, extra: string[] = []): string[] {
  return [...cmd, ...opts.map(([k, v]) => `${k}=${v}`), ...extra];
}

function setOpt(opts: Args, flag: string, value: string | null): Args {
  const out = opts.filter(([k]) => k !== flag);
  if (value !== null) out.push([flag, value]);
  return out;
}

const NONFINITE = ['NaN', 'nan', 'Infinity', 'Inf', '-Infinity', '1e309', '-1e309', '', ' ', 'abc', '1..2', '0x1g', '1e', '--', '½', '1_000'];
const NEG = ['-1', '-1e-9', '-0.5'];
const NOT_INT = ['1.5', '0.999', '1e-3'];
const UNSAFE = ['9007199254740993', '1e21'];

/** Bad values for a number of a given kind. `pick` takes a seeded sample of the big pools. */
function badNumbers(kind: 'pos' | 'nonneg' | 'int1' | 'int0' | 'finite' | 'unit', pick: <T>(xs: T[], k: number) => T[]): string[] {
  const base = pick(NONFINITE, 5);
  switch (kind) {
    case 'pos':
      return [...base, '0', '-0', ...pick(NEG, 1)];
    case 'nonneg':
      return [...base, ...pick(NEG, 2)];
    case 'int1':
      return [...base, '0', '-1', ...pick(NOT_INT, 1), ...pick(UNSAFE, 1)];
    case 'int0':
      return [...base, '-1', ...pick(NOT_INT, 1), ...pick(UNSAFE, 1)];
    case 'finite':
      return base;
    case 'unit':
      return [...base, '1', '-0.1', '1.5'];
  }
}

export interface CorpusInfo {
  cases: FuzzCase[];
}

/**
 * The corpus. `fx` is the fixture folder (absolute). Deterministic for a seed.
 */
export function buildCorpus(fx: string, seed: number): FuzzCase[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[], k: number): T[] => {
    const a = xs.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a.slice(0, k);
  };
  const F = (name: string) => join(fx, name);
  const cases: FuzzCase[] = [];
  const add = (group: string, what: string, args: string[]) => cases.push({ group, what, args });

  /** one option of a base set to each bad value */
  const mutate = (group: string, cmd: string[], base: Args, flag: string, values: string[], extra: string[] = []) => {
    for (const v of values) add(group, `${flag}=${JSON.stringify(v)}`, line(cmd, setOpt(base, flag, v), extra));
  };
  /** a random junk string appended to a valid number: always not a number */
  const junkSuffix = () => pick(['x', 'abc', '%', ' 1', '..', 'e+', '#', 'z', '1e', '/2'], 1)[0];

  // ---- shared pools
  const badSpecs: [string, string][] = [
    ['empty spec', ''],
    ['only spaces', '   '],
    ['unknown layer', 'dense(16) > sigmoid > dense(3)'],
    ['unknown layer (typo)', 'dense(16) > rleu > dense(3)'],
    ['width 0', 'dense(0) > relu > dense(3)'],
    ['width -1', 'dense(-1) > relu > dense(3)'],
    ['width 1.5', 'dense(1.5) > relu > dense(3)'],
    ['width 1e309', 'dense(1e309) > relu > dense(3)'],
    ['width 2^32', 'dense(4294967296) > relu > dense(3)'],
    ['width 2^53+1', 'dense(9007199254740993) > relu > dense(3)'],
    ['width NaN', 'dense(NaN) > relu > dense(3)'],
    ['wStd NaN', 'dense(16, wStd=NaN) > relu > dense(3)'],
    ['unknown field', 'dense(16, foo=1) > relu > dense(3)'],
    ['duplicate named field', 'dense(16, wStd=1, wStd=2) > relu > dense(3)'],
    ['too many args', 'dense(16, 1, 0, 5, 6) > relu > dense(3)'],
    ['repeat *0', '[dense(16) > relu]*0 > dense(3)'],
    ['repeat *4294967296', '[dense(16) > relu]*4294967296 > dense(3)'],
    ['repeat *1e9', '[relu]*1000000000 > dense(3)'],
    ['repeat *2^53+1', '[relu]*9007199254740993 > dense(3)'],
    ['nested repeats 1000^4', '[[[[relu]*1000]*1000]*1000]*1000 > dense(3)'],
    ['unclosed [', '[dense(16) > relu > dense(3)'],
    ['unclosed (', 'dense(16 > relu > dense(3)'],
    ['stray )', 'dense(16)) > relu > dense(3)'],
    ['dangling >', 'dense(16) > relu >'],
    ['leading >', '> dense(16) > relu > dense(3)'],
    ['deep nesting 20000', '['.repeat(20000) + 'relu' + ']'.repeat(20000) + ' > dense(3)'],
    ['layer named constructor', 'dense(16) > constructor > dense(3)'],
    ['layer named __proto__', 'dense(16) > __proto__ > dense(3)'],
    ['layer named toString', 'dense(16) > toString > dense(3)'],
    ['layer named hasOwnProperty', 'dense(16) > hasOwnProperty(1) > dense(3)'],
    ['field named __proto__', 'dense(16, __proto__=1) > relu > dense(3)'],
    ['field named constructor', 'dense(16, constructor=1) > relu > dense(3)'],
    ['unknown parameterization', 'mean-field: dense(16) > relu > dense(3)'],
    ['empty after prefix', 'ntk:'],
    ['100 KB layer name (an argv string is at most 128 KB; 400 KB ones are in files)', 'dense(16) > ' + 'r'.repeat(100_000) + ' > dense(3)'],
    ['100 KB of spaces then junk', ' '.repeat(100_000) + '?'],
    ['control characters', 'dense(16)\u0007 > relu\u001b[31m > dense(3)'],
    ['JSON: not an object', '{"layers": 5}'],
    ['JSON: unknown field', '{"layers":[{"type":"dense","width":16},{"type":"relu"},{"type":"dense","width":3}],"extra":1}'],
    ['JSON: truncated', '{"layers":[{"type":"dense","width":16}'],
    ['JSON: __proto__ key', '{"__proto__":{"x":1},"layers":[{"type":"dense","width":16},{"type":"relu"},{"type":"dense","width":3}]}'],
    ['JSON: layer type constructor', '{"layers":[{"type":"constructor"},{"type":"dense","width":3}]}'],
    ['JSON: duplicate width', '{"layers":[{"type":"dense","width":16,"width":0},{"type":"relu"},{"type":"dense","width":3}]}'],
    ['file: missing', F('no-such-arch.json')],
    ['file: binary junk', F('arch-junk.json')],
    ['file: empty', F('arch-empty.json')],
    ['file: 400 KB type', F('arch-400k.json')],
    ['file: 400 KB field name', F('arch-400k-field.json')],
    ['file: deep nesting', F('arch-deep.json')],
    ['file: duplicate width', F('arch-dup.json')],
    ['file: type __proto__', F('arch-type-proto.json')],
    ['file: type constructor', F('arch-type-constructor.json')],
    ['file: layers is an object', F('arch-layers-obj.json')],
    ['file: width a string', F('arch-width-str.json')],
    ['file: width 2^32', F('arch-width-huge.json')],
    ['file: null', F('arch-null.json')],
    ['file: array', F('arch-array.json')],
    ['file: a folder', F('a-folder.json')],
    ['file: __proto__ key', F('arch-proto.json')],
  ];
  const badMatrixFiles: [string, string][] = [
    ['missing', F('missing.npy')],
    ['folder', F('a-folder.npy')],
    ['folder .csv', F('a-folder.csv')],
    ['empty .npy', F('empty.npy')],
    ['empty .csv', F('empty.csv')],
    ['empty .json', F('empty.json')],
    ['text in .npy', F('text.npy')],
    ['binary junk .npy', F('junk.npy')],
    ['binary junk .csv', F('junk.csv')],
    ['truncated body', F('trunc-body.npy')],
    ['truncated header', F('trunc-header.npy')],
    ['magic only', F('magic-only.npy')],
    ['dtype complex', F('dtype-complex.npy')],
    ['dtype bytes', F('dtype-str.npy')],
    ['dtype object', F('dtype-object.npy')],
    ['dtype big-endian', F('dtype-bigendian.npy')],
    ['dtype bogus', F('dtype-bogus.npy')],
    ['shape -1', F('shape-neg.npy')],
    ['shape 1e9×1e9', F('shape-huge.npy')],
    ['shape 2^53+1', F('shape-2p53.npy')],
    ['shape 8.5', F('shape-float.npy')],
    ['header unterminated', F('header-garbage.npy')],
    ['header __proto__', F('header-proto.npy')],
    ['header duplicate shape', F('header-dup.npy')],
    ['header deep nesting', F('header-deep.npy')],
    ['version 9', F('version9.npy')],
    ['fortran_order bogus', F('fortran-bogus.npy')],
    ['3-D array', F('3d.npy')],
    ['zero rows', F('zero-rows.npy')],
    ['zero columns', F('zero-cols.npy')],
    ['NaN inside', F('X-nan.npy')],
    ['Inf inside', F('X-inf.npy')],
    ['NaN inside .csv', F('X-nan.csv')],
    ['CSV typo mid-file', F('X-typo-mid.csv')],
    ['CSV ragged', F('X-ragged.csv')],
    ['CSV semicolons', F('X-semicolon.csv')],
    ['CSV header only', F('X-header-only.csv')],
    ['JSON ragged', F('X-ragged.json')],
    ['JSON truncated', F('X-bad.json')],
    ['JSON strings', F('X-strings.json')],
    ['JSON deep nesting', F('X-deep.json')],
    ['unknown extension', F('X.bin')],
  ];

  // ================================================================ kernel
  {
    const cmd = ['kernel'];
    const base: Args = [['--arch', 'dense(16) > relu > dense(3)'], ['--x1', F('X.npy')], ['--out', 'K.npy']];
    const g = 'kernel';
    add('valid', 'kernel', line(cmd, base));
    for (const [what, s] of badSpecs) add(g, `--arch ${what}`, line(cmd, setOpt(base, '--arch', s)));
    for (const [what, f] of pick(badMatrixFiles, 30)) add(g, `--x1 ${what}`, line(cmd, setOpt(base, '--x1', f)));
    for (const [what, f] of pick(badMatrixFiles, 8)) add(g, `--x2 ${what}`, line(cmd, [...base, ['--x2', f]]));
    add(g, '--x2 of another dimension', line(cmd, [...base, ['--x2', F('X-d5.npy')]]));
    // images: one thing wrong with the network or the image data (class "images:", so the sample keeps hitting it)
    const ibase: Args = [['--arch', F('cnn.json')], ['--x1', F('IMG.npy')], ['--out', 'K.npy']];
    add('valid', 'kernel images', line(cmd, ibase));
    add('valid', 'kernel images empirical', line(cmd, setOpt(ibase, '--out', 'Kemp.npy'), ['--empirical', '--width', '8']));
    const imgNet = (...layers: string[]) => `{"layers":[${layers.join(',')}]}`;
    add(g, 'images: dense on images without flatten', line(cmd, setOpt(ibase, '--arch', 'dense(16) > relu > dense(3)')));
    add(g, 'images: dense on images, --empirical', line(cmd, setOpt(ibase, '--arch', 'dense(16) > relu > dense(3)'), ['--empirical']));
    add(g, 'images: pooling window larger than the image', line(cmd, setOpt(ibase, '--arch', imgNet('{"type":"avgPool","window":[7,7],"strides":[1,1],"padding":"VALID"}', '{"type":"flatten"}', '{"type":"dense","width":3}'))));
    add(g, 'images: unknown padding', line(cmd, setOpt(ibase, '--arch', imgNet(convLayer(4, 'REFLECT'), '{"type":"flatten"}', '{"type":"dense","width":3}'))));
    add(g, 'images: zero channels in the spec', line(cmd, setOpt(ibase, '--arch', imgNet(convLayer(0), '{"type":"flatten"}', '{"type":"dense","width":3}'))));
    add(g, 'images: zero channels in the data', line(cmd, setOpt(ibase, '--x1', F('IMG-c0.npy'))));
    add(g, 'images: conv on N×d data', line(cmd, setOpt(ibase, '--x1', F('X.npy'))));
    add(g, 'images: rank 5 for a 2-D conv', line(cmd, setOpt(ibase, '--x1', F('IMG-rank5.npy'))));
    add(g, 'images: NaN pixel', line(cmd, setOpt(ibase, '--x1', F('IMG-nan.npy'))));
    add(g, 'images: wrong byte count (float64)', line(cmd, setOpt(ibase, '--x1', F('IMG-trunc.npy'))));
    add(g, 'images: wrong byte count (uint8)', line(cmd, setOpt(ibase, '--x1', F('IMG-u8-short.npy'))));
    add(g, 'images: analytic kernel of batchNorm', line(cmd, setOpt(ibase, '--arch', imgNet(convLayer(4), '{"type":"batchNorm"}', '{"type":"flatten"}', '{"type":"dense","width":3}'))));
    add(g, 'images: --x2 of another image size', line(cmd, [...ibase, ['--x2', F('IMG-small.npy')]]));
    add(g, 'images: --x2 vectors, --x1 images', line(cmd, [...ibase, ['--x2', F('Xt.npy')]]));
    add(g, 'images: spatial kernel over --max-memory', line(cmd, [...ibase, ['--max-memory', '256K']]));
    mutate(g, cmd, base, '--get', ['', 'NTK ', 'both', 'constructor', '__proto__']);
    mutate(g, cmd, base, '--linalg', ['', 'gpu', 'toString']);
    mutate(g, cmd, base, '--threads', badNumbers('int1', pick).slice(0, 6));
    mutate(g, cmd, base, '--max-memory', ['', 'abc', '-1G', '0', 'NaN', '1e309', '16Q', '1.5.5G']);
    // output paths
    mutate(g, cmd, base, '--out', ['', '.', './', '..', '/', 'K.txt', 'thesis.tex', 'thesis.tex/K.npy', 'data/mine.npy', 'notes.npy', 'old.npy', 'results']);
    add(g, '--out notes.npy (not an .npy) --force', line(cmd, setOpt(base, '--out', 'notes.npy'), ['--force']));
    add(g, '--out old.npy (a folder) --force', line(cmd, setOpt(base, '--out', 'old.npy'), ['--force']));
    add(g, '--out under a file (data/keep.csv/K.npy)', line(cmd, setOpt(base, '--out', 'data/keep.csv/K.npy')));
    // analytic-only misuse, empirical mutations
    add(g, '--width without --empirical', line(cmd, [...base, ['--width', '16']]));
    add(g, '--seeds without --empirical', line(cmd, [...base, ['--seeds', '2']]));
    const emp: Args = [...base, ['--width', '16'], ['--seeds', '2']];
    const empExtra = ['--empirical'];
    add('valid', 'kernel --empirical', line(cmd, [...emp, ['--stderr', 'se.npy']], empExtra));
    mutate(g, cmd, emp, '--seeds', ['0', '-1', '1.5', 'NaN', '', '1e309'], empExtra);
    mutate(g, cmd, emp, '--width', ['0', '-3', '2.5', 'abc', '4294967296', '9007199254740993'], empExtra);
    mutate(g, cmd, emp, '--seed', ['-1', '0.5', 'NaN', '9007199254740993'], empExtra);
    mutate(g, cmd, emp, '--method', ['', 'exact', 'constructor'], empExtra);
    mutate(g, cmd, emp, '--backend', ['', 'webgl', 'tensorflow-gpu'], empExtra);
    mutate(g, cmd, emp, '--stderr', ['', '.', 'se.txt', 'thesis.tex', 'K.npy', 'thesis.tex/se.npy', 'old.npy', 'notes.npy'], empExtra);
    add(g, '--stderr with --seeds 1', line(cmd, [...setOpt(emp, '--seeds', '1'), ['--stderr', 'se.npy']], empExtra));
    add(g, '--empirical with bad --x1 (NaN)', line(cmd, setOpt(emp, '--x1', F('X-nan.npy')), empExtra));
    add(g, '--empirical with --arch unknown layer', line(cmd, setOpt(emp, '--arch', 'dense(16) > sigmoid > dense(3)'), empExtra));
    add(g, '--force with --out results (folder)', line(cmd, setOpt(base, '--out', 'results'), ['--force']));
    // seeded: junk appended to a numeric option
    for (let i = 0; i < 3; i++) add(g, 'junk-suffixed --threads', line(cmd, [...base, ['--threads', `2${junkSuffix()}`]]));
  }

  // ================================================================ flow
  {
    const cmd = ['flow'];
    const base: Args = [
      ['--theta', F('theta.npy')],
      ['--theta-test', F('thetaT.npy')],
      ['--y', F('Y.npy')],
      ['--y-test', F('Yt.npy')],
      ['--lambda', '0.01'],
      ['--depth', '3'],
      ['--times', 'log:0.1:100:5'],
      ['--out', 'flow1'],
    ];
    const g = 'flow';
    add('valid', 'flow', line(cmd, base));
    add('valid', 'flow --schedule', line(cmd, [...setOpt(base, '--lambda', null), ['--schedule', F('sched.json')]]));
    mutate(g, cmd, base, '--lambda', badNumbers('nonneg', pick));
    mutate(g, cmd, base, '--depth', [...badNumbers('int1', pick), '4294967296']);
    mutate(g, cmd, base, '--model', ['', 'shallow', 'constructor']);
    add(g, '--model linear with --depth 3', line(cmd, [...base, ['--model', 'linear']]));
    mutate(g, cmd, base, '--times', [
      'log:1:0:5', 'log:0:10:5', 'log:-1:10:5', 'log:1:10:1', 'log:1:10:0', 'log:1:10:1e9', 'log:1:10:9007199254740993', 'log:1:NaN:5', 'log:1:1e309:5', 'log:1:10:2.5',
      'lin:5:1:5', 'lin:-1:1:5', 'lin:0:1:1e9', 'lin:0:1:1', 'lin:0:0:5', 'lin:0:Inf:5', 'lin::1:5', 'exp:1:10:5', 'log:1:10', 'log:1:10:5:7', '',
      F('times-decreasing.npy'), F('times-nan.npy'), F('times-neg.npy'), F('times-empty.npy'), F('missing-times.npy'), F('a-folder.npy'), F('junk.npy'),
    ]);
    add(g, '--lambda and --schedule both', line(cmd, [...base, ['--schedule', F('sched.json')]]));
    add(g, 'neither --lambda nor --schedule', line(cmd, setOpt(base, '--lambda', null)));
    const sched = setOpt(base, '--lambda', null);
    for (const s of ['sched-bad.json', 'sched-shape.json', 'sched-neg.json', 'sched-nan.json', 'sched-unsorted.json', 'sched-start5.json', 'sched-array.json', 'sched-proto.json', 'sched-huge-num.json', 'sched-empty.json', 'arch-deep.json', 'arch-junk.json', 'missing.json', 'a-folder.json']) {
      add(g, `--schedule ${s}`, line(cmd, [...sched, ['--schedule', F(s)]]));
    }
    for (const [what, f] of pick(badMatrixFiles, 18)) add(g, `--theta ${what}`, line(cmd, setOpt(base, '--theta', f)));
    add(g, '--theta non-square', line(cmd, setOpt(base, '--theta', F('theta-nonsquare.npy'))));
    add(g, '--theta 6×6 vs 8 targets', line(cmd, setOpt(base, '--theta', F('theta-6.npy'))));
    add(g, '--theta NaN', line(cmd, setOpt(base, '--theta', F('theta-nan.npy'))));
    add(g, '--theta Inf', line(cmd, setOpt(base, '--theta', F('theta-inf.npy'))));
    add(g, '--theta asymmetric', line(cmd, setOpt(base, '--theta', F('theta-asym.npy'))));
    add(g, '--theta negative definite', line(cmd, setOpt(base, '--theta', F('theta-negdef.npy'))));
    add(g, '--theta-test wrong columns', line(cmd, setOpt(base, '--theta-test', F('thetaT-wrongcols.npy'))));
    add(g, '--theta-test NaN', line(cmd, setOpt(base, '--theta-test', F('X-nan.npy'))));
    add(g, '--y 5 rows', line(cmd, setOpt(base, '--y', F('Y-rows5.npy'))));
    add(g, '--y NaN', line(cmd, setOpt(base, '--y', F('Y-nan.npy'))));
    add(g, '--y-test 3 columns vs 2', line(cmd, setOpt(base, '--y-test', F('Yt-cols3.npy'))));
    for (const [what, f] of pick(badMatrixFiles, 4)) add(g, `--y ${what}`, line(cmd, setOpt(base, '--y', f)));
    add(g, '--f0 wrong shape', line(cmd, [...base, ['--f0', F('Yt.npy')]]));
    add(g, '--f0-test wrong shape', line(cmd, [...base, ['--f0-test', F('Y.npy')]]));
    add(g, '--f0 NaN', line(cmd, [...base, ['--f0', F('Y-nan.npy')]]));
    mutate(g, cmd, base, '--out', ['', '.', './', '..', 'results', 'thesis.tex', 'thesis.tex/flow1', 'data', '/']);
    add(g, '--out results --force', line(cmd, setOpt(base, '--out', 'results'), ['--force']));
    add(g, '--out data --force', line(cmd, setOpt(base, '--out', 'data'), ['--force']));
    add(g, '--force with bad --theta (NaN) and new --out', line(cmd, setOpt(base, '--theta', F('theta-nan.npy')), ['--force']));
    for (let i = 0; i < 3; i++) add(g, 'junk-suffixed --lambda', line(cmd, setOpt(base, '--lambda', `0.01${junkSuffix()}`)));
  }

  // ================================================================ scan
  {
    const cmd = ['scan'];
    const arch = 'dense(16, wStd=1.41421356) > relu > dense(10, wStd=1.41421356)';
    const mbase: Args = [['--arch', arch], ['--data', 'mnist:64:32'], ['--lambdas', '1e-3:1e-1:3'], ['--out', 'scan1']];
    // file data (8 points) for every mutation but --data's: no MNIST loading
    const base: Args = [['--arch', arch], ['--x', F('X.npy')], ['--y', F('labels.npy')], ['--x-test', F('Xt.npy')], ['--y-test', F('labelsT.npy')], ['--lambdas', '1e-3:1e-1:3'], ['--out', 'scan1']];
    const g = 'scan';
    add('valid', 'scan', line(cmd, mbase));
    for (const [what, s] of pick(badSpecs, 14)) add(g, `--arch ${what}`, line(cmd, setOpt(base, '--arch', s)));
    add(g, '--arch standard parameterization', line(cmd, setOpt(base, '--arch', 'standard: dense(16) > relu > dense(10)')));
    mutate(g, cmd, base, '--lambdas', [
      '', '0:1:5', '1e-3:1e-1:1', '1e-3:1e-1:0', '1e-3:1e-1:1e9', '1e-3:1e-1:9007199254740993', '1e-3:NaN:5', 'Inf:1:5', '1e-3:1e-1:2.5',
      '-0.1,0.1', '0.1,,0.2', '0.1,abc', '0', ',', ':::', '1e309',
    ]);
    mutate(g, cmd, mbase, '--data', ['', 'mnist', 'mnist:64', 'mnist:0:32', 'mnist:64:0', 'mnist:-1:32', 'mnist:1e9:32', 'mnist:64:1e9', 'mnist:2147483648:32', 'mnist:64.5:32', 'cifar:64:32', 'mnist:64:32:7', 'mnist:9007199254740993:1']);
    mutate(g, cmd, base, '--seed', badNumbers('int0', pick));
    mutate(g, cmd, base, '--standardize', ['', 'zscore', 'constructor']);
    mutate(g, cmd, base, '--targets', ['', 'one-hot', '__proto__']);
    mutate(g, cmd, base, '--model', ['', 'wide']);
    const files: Args = [['--arch', arch], ['--x', F('X.npy')], ['--y', F('labels.npy')], ['--x-test', F('Xt.npy')], ['--y-test', F('labelsT.npy')], ['--lambdas', '1e-3:1e-1:3'], ['--out', 'scan1']];
    add('valid', 'scan files', line(cmd, setOpt(files, '--out', 'scan2')));
    add(g, '--data and --x together', line(cmd, [...files, ['--data', 'mnist:64:32']]));
    add(g, '--x without --y-test', line(cmd, setOpt(files, '--y-test', null)));
    for (const [what, f] of pick(badMatrixFiles, 10)) add(g, `--x ${what}`, line(cmd, setOpt(files, '--x', f)));
    add(g, '--x CSV typo in the first row', line(cmd, setOpt(files, '--x', F('X-typo-first-row.csv'))));
    add(g, '--x 7 rows vs 8 labels', line(cmd, setOpt(files, '--x', F('X-rows7.npy'))));
    add(g, '--x-test other dimension', line(cmd, setOpt(files, '--x-test', F('X-d5.npy'))));
    const ifiles: Args = [['--arch', F('cnn.json')], ['--x', F('IMG.npy')], ['--y', F('labels.npy')], ['--x-test', F('IMGt.npy')], ['--y-test', F('labelsT.npy')], ['--lambdas', '1e-3:1e-1:3'], ['--out', 'scan1']];
    add('valid', 'scan images', line(cmd, setOpt(ifiles, '--out', 'scan3')));
    add(g, 'images: dense-first spec on rank-4 data', line(cmd, setOpt(ifiles, '--arch', arch)));
    add(g, 'images: conv spec on 2-D data', line(cmd, setOpt(setOpt(ifiles, '--x', F('X.npy')), '--x-test', F('Xt.npy'))));
    add(g, 'images: --x-test vectors, --x images', line(cmd, setOpt(ifiles, '--x-test', F('Xt.npy'))));
    add(g, 'images: --image-size 9', line(cmd, [...setOpt(mbase, '--arch', F('cnn.json')), ['--image-size', '9']]));
    add(g, 'images: spatial kernel over --max-memory', line(cmd, [...ifiles, ['--max-memory', '1M']]));
    add(g, '--y labels 2147483648', line(cmd, setOpt(files, '--y', F('labels-huge.npy'))));
    add(g, '--y-test labels 2147483648', line(cmd, setOpt(files, '--y-test', F('labels-huge-t.npy'))));
    add(g, '--y labels 1e15', line(cmd, setOpt(files, '--y', F('labels-1e15.npy'))));
    add(g, '--y NaN label', line(cmd, setOpt(files, '--y', F('labels-nan.npy'))));
    add(g, '--y Inf label', line(cmd, setOpt(files, '--y', F('labels-inf.npy'))));
    add(g, '--y 5 labels vs 8 rows', line(cmd, setOpt(files, '--y', F('labels-rows5.npy'))));
    mutate(g, cmd, base, '--out', ['', '.', './', '..', 'results', 'thesis.tex', 'thesis.tex/scan1', 'data/keep.csv', '/']);
    add(g, '--out results --force', line(cmd, setOpt(base, '--out', 'results'), ['--force']));
    add(g, '--force with bad --data', line(cmd, setOpt(mbase, '--data', 'mnist:0:0'), ['--force']));
    for (let i = 0; i < 2; i++) add(g, 'junk-suffixed --seed', line(cmd, setOpt(base, '--seed', `1${junkSuffix()}`)));
  }

  // ================================================================ the training commands' shared options
  const FILE_ARCH = '[dense(16, wStd=1.41421356) > relu] > dense(3, wStd=1.41421356)';
  /** the same command line on the small file data (8 points, 3 classes) instead of bundled MNIST: cheaper */
  const toFiles = (mbase: Args): Args => [
    ...setOpt(setOpt(mbase, '--data', null), '--arch', FILE_ARCH),
    ['--x', F('X.npy')],
    ['--y', F('labels.npy')],
    ['--x-test', F('Xt.npy')],
    ['--y-test', F('labelsT.npy')],
  ];
  /** `base` on file data; `mbase` (bundled MNIST) is used for the --data mutations only */
  const trainShared = (g: string, cmd: string[], mbase: Args, fileArch: string, sample: number) => {
    const base = toFiles(mbase);
    const all: [string, string[]][] = [
      ['--width', [...badNumbers('int1', pick), '4294967296']],
      ['--data', ['', 'mnist', 'mnist:0:32', 'mnist:64:0', 'mnist:1e9:32', 'mnist:2147483648:32', 'mnist:64:32:7', 'fashion:64:32', 'mnist:-5:32']],
      ['--seed', badNumbers('int0', pick)],
      ['--loss', ['', 'mae', 'constructor']],
      ['--batch', badNumbers('int1', pick).filter((v) => !UNSAFE.includes(v))],
      ['--momentum', badNumbers('unit', pick)],
      ['--backend', ['', 'webgl', 'toString']],
      ['--evals', badNumbers('int1', pick).filter((v) => !UNSAFE.includes(v))],
      ['--standardize', ['', 'zscore']],
      ['--targets', ['', 'one-hot']],
    ];
    const flat: [string, string][] = all.flatMap(([flag, vs]) => vs.map((v) => [flag, v] as [string, string]));
    for (const [flag, v] of pick(flat, sample)) add(g, `${flag}=${JSON.stringify(v)}`, line(cmd, setOpt(flag === '--data' ? mbase : base, flag, v)));
    for (const [what, s] of pick(badSpecs, 8)) add(g, `--arch ${what}`, line(cmd, setOpt(setOpt(base, '--width', null), '--arch', s)));
    add(g, '--arch readout 7 vs 3 classes', line(cmd, setOpt(setOpt(base, '--width', null), '--arch', 'dense(16) > relu > dense(7)')));
    add(g, '--arch readout 3 vs 10 classes (MNIST)', line(cmd, setOpt(setOpt(mbase, '--width', null), '--arch', 'dense(16) > relu > dense(3)')));
    add(g, '--data with --x given too', line(cmd, [...base, ['--data', 'mnist:64:32']]));
    const files: Args = [...setOpt(setOpt(mbase, '--data', null), '--arch', fileArch), ['--x', F('X.npy')], ['--y', F('labels.npy')], ['--x-test', F('Xt.npy')], ['--y-test', F('labelsT.npy')]];
    add('valid', g, line(cmd, mbase));
    add('valid', `${g} files`, line(cmd, setOpt(files, '--out', 'files1')));
    add(g, '--x without --y', line(cmd, setOpt(files, '--y', null)));
    for (const [what, f] of pick(badMatrixFiles, 5)) add(g, `--x ${what}`, line(cmd, setOpt(files, '--x', f)));
    add(g, '--y labels 2147483648', line(cmd, setOpt(files, '--y', F('labels-huge.npy'))));
    add(g, '--y NaN label', line(cmd, setOpt(files, '--y', F('labels-nan.npy'))));
    add(g, '--x NaN', line(cmd, setOpt(files, '--x', F('X-nan.npy'))));
    add(g, '--x-test Inf', line(cmd, setOpt(files, '--x-test', F('X-inf.npy'))));
    add(g, '--x CSV typo in the first row', line(cmd, setOpt(files, '--x', F('X-typo-first-row.csv'))));
    add(g, 'one class only (labels all 0)', line(cmd, setOpt(setOpt(files, '--y', F('labels-one-class.npy')), '--y-test', F('labels-one-class-t.npy'))));
    const ifiles: Args = [...setOpt(setOpt(setOpt(mbase, '--data', null), '--arch', F('cnn.json')), '--width', null), ['--x', F('IMG.npy')], ['--y', F('labels.npy')], ['--x-test', F('IMGt.npy')], ['--y-test', F('labelsT.npy')]];
    // the small CNN on 8 random images learns slowly: predict-lambda's short run needs a longer --short-factor to pass its peak
    add('valid', `${g} images`, line(cmd, setOpt(ifiles, '--out', `${g}-images1`), g === 'predict-lambda' ? ['--short-factor=10'] : []));
    add(g, 'images: dense-first spec on rank-4 data', line(cmd, setOpt(ifiles, '--arch', fileArch)));
    add(g, 'images: conv spec on 2-D data', line(cmd, setOpt(setOpt(ifiles, '--x', F('X.npy')), '--x-test', F('Xt.npy'))));
    add(g, 'images: NaN pixel', line(cmd, setOpt(ifiles, '--x', F('IMG-nan.npy'))));
    add(g, 'images: --standardize features on images', line(cmd, [...ifiles, ['--standardize', 'features']]));
    add(g, 'images: --image-size with files', line(cmd, [...ifiles, ['--image-size', '14']]));
    add(g, 'images: --image-size 9', line(cmd, [...setOpt(setOpt(mbase, '--arch', F('cnn.json')), '--width', null), ['--image-size', '9']]));
    const outs = ['', '.', './', '..', 'results', 'thesis.tex', 'thesis.tex/run', 'data', '/'];
    mutate(g, cmd, base, '--out', outs);
    add(g, '--out=results/ (trailing slash)', line(cmd, setOpt(base, '--out', 'results/')));
  };

  // ================================================================ train
  {
    const cmd = ['train'];
    const mbase: Args = [['--lambda', '0.01'], ['--budget', '1'], ['--data', 'mnist:64:32'], ['--width', '16'], ['--batch', '32'], ['--out', 'run1']];
    const g = 'train';
    const base = toFiles(mbase);
    mutate(g, cmd, base, '--lambda', badNumbers('nonneg', pick));
    mutate(g, cmd, base, '--lr', badNumbers('pos', pick));
    mutate(g, cmd, base, '--budget', [...badNumbers('pos', pick), '1e300']);
    mutate(g, cmd, base, '--net-seed', badNumbers('int0', pick));
    mutate(g, cmd, base, '--kernel-probe', ['-1', '1.5', 'NaN', '', '2147483648', '9']);
    trainShared(g, cmd, mbase, FILE_ARCH, 22);
    add(g, '--force with bad --data', line(cmd, setOpt(mbase, '--data', 'mnist:0:0'), ['--force']));
    add(g, '--force with bad --x (NaN)', line(cmd, setOpt(base, '--x', F('X-nan.npy')), ['--force']));
    add(g, '--force --out results', line(cmd, setOpt(base, '--out', 'results'), ['--force']));
    add(g, '--force --out data', line(cmd, setOpt(base, '--out', 'data'), ['--force']));
    add(g, '--force --out .', line(cmd, setOpt(base, '--out', '.'), ['--force']));
    for (let i = 0; i < 2; i++) add(g, 'junk-suffixed --budget', line(cmd, setOpt(base, '--budget', `1${junkSuffix()}`)));
  }

  // ================================================================ sweep
  {
    const cmd = ['sweep'];
    const mbase: Args = [['--lambdas', '1e-2:1e-1:2'], ['--budget-factor', '0.01'], ['--data', 'mnist:64:32'], ['--width', '16'], ['--batch', '32'], ['--jobs', '1'], ['--out', 'sweep1']];
    const g = 'sweep';
    const base = toFiles(mbase);
    mutate(g, cmd, base, '--lambdas', ['', '0.1', '1e-2:1e-1:1', '0:1:3', '1e-2:1e-1:1e9', '-0.1,0.1', '0.1,abc', 'NaN,0.1', '1e-2:1e-1:2.5']);
    mutate(g, cmd, base, '--lrs', ['', '0', '-0.5', '0.5,', 'abc', '0.5:1:0', '0.5:1:1e9', 'Infinity']);
    mutate(g, cmd, base, '--budget-factor', badNumbers('pos', pick).slice(0, 6));
    mutate(g, cmd, base, '--net-seeds', ['', '0,0', '-1', '1.5', '0,,1', 'a', '9007199254740993']);
    mutate(g, cmd, base, '--jobs', ['0', '-1', '1.5', 'abc', '']);
    trainShared(g, cmd, mbase, FILE_ARCH, 12);
  }

  // ================================================================ predict-lambda
  {
    const cmd = ['predict-lambda'];
    const mbase: Args = [['--budget', '1'], ['--grid', 'none'], ['--data', 'mnist:64:32'], ['--width', '16'], ['--batch', '32'], ['--jobs', '1'], ['--out', 'pl1']];
    const g = 'predict-lambda';
    const base = toFiles(mbase);
    mutate(g, cmd, base, '--budget', badNumbers('pos', pick).slice(0, 6));
    mutate(g, cmd, base, '--lr', ['0', '-1', 'NaN']);
    mutate(g, cmd, base, '--lambda0', ['0', '-0.1', 'Inf', '']);
    mutate(g, cmd, base, '--short-factor', ['0', '-1', 'abc']);
    mutate(g, cmd, base, '--grid', ['', 'None', '0:1:3', '1e-4:1e-2:0', '1e-4:1e-2:1e9', '-1,0.1', '0.1,abc']);
    mutate(g, cmd, base, '--metric', ['', 'accuracy', 'constructor']);
    mutate(g, cmd, base, '--net-seeds', ['', '0,0', '-1', 'x']);
    mutate(g, cmd, base, '--jobs', ['0', 'abc']);
    trainShared(g, cmd, mbase, FILE_ARCH, 8);
  }

  // ================================================================ autol2
  {
    const cmd = ['autol2'];
    const mbase: Args = [['--budget', '1'], ['--grid', '0.01,0.1'], ['--net-seeds', '0'], ['--data', 'mnist:64:32'], ['--width', '16'], ['--batch', '32'], ['--jobs', '1'], ['--out', 'al1']];
    const g = 'autol2';
    const base = toFiles(mbase);
    mutate(g, cmd, base, '--budget', ['0', '-1', 'NaN', '']);
    mutate(g, cmd, base, '--lambda0', ['0', '-1', 'Inf']);
    mutate(g, cmd, base, '--interval', ['0', '-1', '1.5', 'abc']);
    mutate(g, cmd, base, '--factor', ['0', '-10', 'NaN']);
    mutate(g, cmd, base, '--refractory', ['NaN', 'Inf', '']);
    mutate(g, cmd, base, '--floor', ['-1', 'NaN', 'abc']);
    mutate(g, cmd, base, '--grid', ['', 'none', '0,0.1', '1e-4:1e-2:0', '1e-4:1e-2:1e9']);
    mutate(g, cmd, base, '--net-seeds', ['', '0,0', '-1']);
    mutate(g, cmd, base, '--jobs', ['0', '-2']);
    trainShared(g, cmd, mbase, FILE_ARCH, 6);
  }

  // ================================================================ figures / figure
  {
    const g = 'figures';
    const base: Args = [['--out', 'figs'], ['--jobs', '1']];
    mutate(g, ['figures'], base, '--jobs', ['0', '-1', '1.5', 'abc', '', 'NaN']);
    mutate(g, ['figures'], base, '--out', ['', '.', './', '..', 'results', 'thesis.tex', 'thesis.tex/figs', 'data', '/']);
    add(g, '--work same as --out', line(['figures'], [...base, ['--work', 'figs']]));
    mutate(g, ['figures'], base, '--work', ['', '.', 'results', 'thesis.tex', 'thesis.tex/w']);
    const g1 = 'figure';
    const one = ['figure', 'kernel_scale'];
    for (const name of ['', 'nope', 'constructor', '__proto__', 'toString', 'kernel_scale ', 'KERNEL_SCALE', 'x'.repeat(100_000)]) {
      add(g1, `<name> ${JSON.stringify(name.length > 40 ? name.slice(0, 10) + '…' : name)}`, line(['figure', name], base));
    }
    mutate(g1, one, base, '--jobs', ['0', 'abc', '']);
    mutate(g1, one, base, '--out', ['', '.', 'results', 'thesis.tex', 'thesis.tex/f']);
    mutate(g1, one, base, '--work', ['results', 'thesis.tex']);
    add(g1, '--work same as --out', line(one, [...base, ['--work', 'figs']]));
  }

  // ================================================================ usage errors (commander)
  {
    const g = 'usage';
    const valid: Record<string, string[]> = {
      kernel: ['kernel', '--arch=relu > dense(3)', `--x1=${F('X.npy')}`, '--out=K.npy'],
      flow: ['flow', `--theta=${F('theta.npy')}`, `--y=${F('Y.npy')}`, '--lambda=0.01', '--depth=3', '--times=log:0.1:100:5', '--out=flow1'],
      scan: ['scan', '--arch=dense(16) > relu > dense(10)', '--data=mnist:64:32', '--out=scan1'],
      train: ['train', '--lambda=0.01', '--budget=1', '--data=mnist:64:32', '--width=16', '--out=run1'],
      sweep: ['sweep', '--data=mnist:64:32', '--width=16', '--out=sweep1'],
      'predict-lambda': ['predict-lambda', '--budget=1', '--data=mnist:64:32', '--width=16', '--out=pl1'],
      autol2: ['autol2', '--budget=1', '--data=mnist:64:32', '--width=16', '--out=al1'],
      figures: ['figures', '--out=figs'],
      figure: ['figure', 'kernel_scale', '--out=figs'],
      info: ['info', '--no-tfjs'],
    };
    for (const [name, args] of Object.entries(valid)) {
      add(g, `${name}: unknown option`, [...args, '--bogus=1']);
      add(g, `${name}: stray argument`, [...args, 'stray']);
      if (name !== 'info') {
        const last = args[args.length - 1].split('=')[0];
        add(g, `${name}: ${last} without its value`, [...args.slice(0, -1), last]);
      }
    }
    add(g, 'no command', ['--bogus']);
    add(g, 'unknown command', ['kernal']);
    add(g, 'kernel: required --out missing', ['kernel', '--arch=relu > dense(3)', `--x1=${F('X.npy')}`]);
    add(g, 'train: required --budget missing', ['train', '--lambda=0.01', '--data=mnist:64:32', '--out=run1']);
    add(g, 'flow: required --times missing', valid.flow.filter((a) => !a.startsWith('--times')));
    add(g, 'figure: name missing', ['figure']);
    add(g, 'info: --no-tfjs with a value', ['info', '--no-tfjs=yes']);
    add(g, 'scan: --force=yes (boolean with a value)', [...valid.scan, '--force=yes']);
  }
  return cases;
}

/** Cases per group in the default (sampled) run: ≥ 300 in all, small enough for 3 minutes on 2 cores. */
export const QUOTA: Record<string, number> = {
  kernel: 55,
  flow: 48,
  scan: 38,
  train: 42,
  sweep: 26,
  'predict-lambda': 22,
  autol2: 22,
  figures: 14,
  figure: 12,
  usage: 24,
};

/**
 * A seeded, stratified sample of the corpus: per group at most QUOTA[group] cases, taken round-robin over the
 * group's classes (the flag that was broken; for usage errors the subcommand) so that every class is hit.
 */
export function sampleCorpus(cases: FuzzCase[], seed: number, quota: Record<string, number> = QUOTA): FuzzCase[] {
  const rand = mulberry32(seed ^ 0xa5a5a5a5);
  const shuffle = <T>(xs: T[]): T[] => {
    const a = xs.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const index = new Map(cases.map((c, i) => [c, i]));
  const chosen: FuzzCase[] = [];
  for (const [group, n] of Object.entries(quota)) {
    const mine = cases.filter((c) => c.group === group);
    const classes = new Map<string, FuzzCase[]>();
    for (const c of mine) {
      const key = group === 'usage' ? c.what.split(':')[0] : c.what.split(/[= ]/)[0];
      classes.set(key, [...(classes.get(key) ?? []), c]);
    }
    const queues = shuffle([...classes.values()].map(shuffle));
    const take: FuzzCase[] = [];
    while (take.length < Math.min(n, mine.length)) {
      for (const q of queues) if (q.length && take.length < n) take.push(q.shift()!);
    }
    chosen.push(...take);
  }
  return chosen.sort((a, b) => index.get(a)! - index.get(b)!);
}
