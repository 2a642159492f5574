import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { spectralSolve } from '../../src/dynamics/spectral.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import { maxRelErr, randomMatrix } from '../helpers.js';

const BIN = new URL('../../bin/ntk.js', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NTK_QUIET: '1' } });

let dir = '';
const spec = parseSpec('dense(32, wStd=1.4) > relu > dense(32, wStd=1.4) > relu > dense(2, wStd=1.4)');
const x = randomMatrix(10, 4, 51);
const xt = randomMatrix(6, 4, 52);
const th = analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!;
const tt = analyticKernelSync(spec, xt, x, { get: 'ntk' }).ntk!;
const y = randomMatrix(10, 2, 53);
const yt = randomMatrix(6, 2, 54);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-flow-'));
  const w = (name: string, rows: number, cols: number, data: Float64Array) => writeNpy(join(dir, name), { shape: [rows, cols], data });
  w('K.npy', 10, 10, th.data);
  w('KT.npy', 6, 10, tt.data);
  w('Y.npy', 10, 2, y.data);
  w('YT.npy', 6, 2, yt.data);
  w('Knonsq.npy', 10, 9, th.data.slice(0, 90));
  const asym = Float64Array.from(th.data);
  asym[3] += 0.5;
  w('Kasym.npy', 10, 10, asym);
  const nan = Float64Array.from(th.data);
  nan[5] = NaN;
  w('Knan.npy', 10, 10, nan);
  w('Y9.npy', 9, 2, y.data.slice(0, 18));
  writeNpy(join(dir, 'T.npy'), { shape: [4], data: Float64Array.from([0.5, 2, 10, 50]) });
  writeNpy(join(dir, 'Tbad.npy'), { shape: [3], data: Float64Array.from([1, 5, 2]) });
  writeFileSync(join(dir, 'sched.json'), JSON.stringify({ starts: [0, 5], values: [0.1, 0.01] }));
  writeFileSync(join(dir, 'schedneg.json'), JSON.stringify({ starts: [0, 5], values: [0.1, -0.01] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ntk flow', () => {
  const base = () => ['flow', '--theta', join(dir, 'K.npy'), '--theta-test', join(dir, 'KT.npy'), '--y', join(dir, 'Y.npy'), '--y-test', join(dir, 'YT.npy')];

  it('writes f_train (T×n×k), f_test (T×m×k) and summary.json equal to the library', () => {
    const out = join(dir, 'run1');
    const r = run([...base(), '--lambda', '0.05', '--depth', '3', '--times', join(dir, 'T.npy'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const ft = readNpy(join(out, 'f_train.npy'));
    const fs = readNpy(join(out, 'f_test.npy'));
    expect(ft.shape).toEqual([4, 10, 2]);
    expect(fs.shape).toEqual([4, 6, 2]);
    const lib = spectralSolve(eigenbasis({ thetaTrain: th, thetaTest: tt, y, yTest: yt }), 0.05, 3, Float64Array.from([0.5, 2, 10, 50]));
    // 1e-10: the same float64 computation in another process (multi-threaded BLAS may reorder sums)
    expect(maxRelErr(ft.data, lib.fTrain, 1e-3)).toBeLessThan(1e-10);
    expect(maxRelErr(fs.data, lib.fTest!, 1e-3)).toBeLessThan(1e-10);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.trainMse).toHaveLength(4);
    expect(summary.testMse).toHaveLength(4);
    expect(summary.kernelScale[3]).toBeCloseTo(Math.exp(-4 * 0.05 * 50), 14);
    expect(typeof summary.tStarMse).toBe('number');
  });

  it('--y with integer labels one-hot encodes them (centred, as scan) or takes them as values with --targets values', () => {
    const labels = Float64Array.from([0, 2, 1, 1, 0, 2, 2, 1, 0, 1]);
    const labelsTest = Float64Array.from([1, 0, 2, 2, 1, 0]);
    writeNpy(join(dir, 'L.npy'), { shape: [10], data: labels });
    writeNpy(join(dir, 'LT.npy'), { shape: [6], data: labelsTest });
    const args = (out: string, ...more: string[]) => ['flow', '--theta', join(dir, 'K.npy'), '--theta-test', join(dir, 'KT.npy'), '--y', join(dir, 'L.npy'), '--y-test', join(dir, 'LT.npy'), '--lambda', '0.05', '--depth', '3', '--times', join(dir, 'T.npy'), '--out', join(dir, out), ...more];
    const r = run(args('labels'));
    expect(r.status, r.stderr).toBe(0);
    expect(readNpy(join(dir, 'labels', 'f_train.npy')).shape).toEqual([4, 10, 3]);
    // independent truth: the library's flow on centred one-hot targets built here (one-hot − 1/k, k = 3)
    const centred = (l: Float64Array) => ({ rows: l.length, cols: 3, data: Float64Array.from({ length: 3 * l.length }, (_, q) => (l[Math.floor(q / 3)] === q % 3 ? 1 : 0) - 1 / 3) });
    const lib = spectralSolve(eigenbasis({ thetaTrain: th, thetaTest: tt, y: centred(labels), yTest: centred(labelsTest) }), 0.05, 3, [0.5, 2, 10, 50]);
    expect(maxRelErr(readNpy(join(dir, 'labels', 'f_train.npy')).data, lib.fTrain, 1e-3)).toBeLessThan(1e-10);
    expect(JSON.parse(readFileSync(join(dir, 'labels', 'summary.json'), 'utf8')).targets).toBe('labels 0..2 as centred one-hot targets (3 outputs)');
    const v = run(args('values', '--targets', 'values'));
    expect(v.status, v.stderr).toBe(0);
    expect(readNpy(join(dir, 'values', 'f_train.npy')).shape).toEqual([4, 10, 1]);
    const bad = run(args('bad', '--targets', 'ordinal'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--targets must be centred, onehot or values/);
  });

  it('--model linear, a schedule, and log-spaced times', () => {
    expect(run([...base(), '--lambda', '0.05', '--model', 'linear', '--times', 'log:0.1:100:20', '--out', join(dir, 'lin')]).status).toBe(0);
    expect(readNpy(join(dir, 'lin', 'f_train.npy')).shape).toEqual([20, 10, 2]);
    const r = run([...base(), '--schedule', join(dir, 'sched.json'), '--depth', '3', '--times', 'lin:0:20:5', '--out', join(dir, 'sched')]);
    expect(r.status, r.stderr).toBe(0);
  });

  const bad: Array<[string, () => string[], RegExp]> = [
    ['a non-square Θ', () => ['flow', '--theta', join(dir, 'Knonsq.npy'), '--y', join(dir, 'Y.npy'), '--lambda', '0.1', '--depth', '2', '--times', join(dir, 'T.npy')], /must be square/],
    ['a non-symmetric Θ', () => ['flow', '--theta', join(dir, 'Kasym.npy'), '--y', join(dir, 'Y.npy'), '--lambda', '0.1', '--depth', '2', '--times', join(dir, 'T.npy')], /not symmetric/],
    ['Y that does not match Θ', () => ['flow', '--theta', join(dir, 'K.npy'), '--y', join(dir, 'Y9.npy'), '--lambda', '0.1', '--depth', '2', '--times', join(dir, 'T.npy')], /Y has 9 rows/],
    ['λ < 0', () => [...base(), '--lambda', '-0.1', '--depth', '2', '--times', join(dir, 'T.npy')], /--lambda must be ≥ 0/],
    ['a negative λ in a schedule', () => [...base(), '--schedule', join(dir, 'schedneg.json'), '--depth', '2', '--times', join(dir, 'T.npy')], /λ must be ≥ 0/],
    ['NaN in Θ', () => ['flow', '--theta', join(dir, 'Knan.npy'), '--y', join(dir, 'Y.npy'), '--lambda', '0.1', '--depth', '2', '--times', join(dir, 'T.npy')], /NaN or Inf/],
    ['times not increasing', () => [...base(), '--lambda', '0.1', '--depth', '2', '--times', join(dir, 'Tbad.npy')], /strictly increasing/],
    ['depth < 1', () => [...base(), '--lambda', '0.1', '--depth', '0', '--times', join(dir, 'T.npy')], /--depth must be an integer ≥ 1/],
    ['both --lambda and --schedule', () => [...base(), '--lambda', '0.1', '--schedule', join(dir, 'sched.json'), '--depth', '2', '--times', join(dir, 'T.npy')], /exactly one of --lambda and --schedule/],
  ];
  for (const [name, args, msg] of bad) {
    it(`rejects ${name}: exit 2, one line, no output folder`, () => {
      const out = join(dir, `bad-${name.replace(/\W+/g, '_')}`);
      const before = readdirSync(dir).sort();
      const r = run([...args(), '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(before);
    });
  }
});

describe('ntk scan', () => {
  it('refuses non-homogeneous specs unless --kernel-only, and writes the kernel decay then', () => {
    const r = run(['scan', '--arch', 'dense(64, bStd=0.1) > relu > dense(10)', '--data', 'mnist:40:40', '--out', join(dir, 'scan-bias')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/positively homogeneous/);
    expect(existsSync(join(dir, 'scan-bias'))).toBe(false);
    const ok = run(['scan', '--arch', 'dense(64, bStd=0.1) > erf > dense(10)', '--data', 'mnist:40:40', '--kernel-only', '--out', join(dir, 'scan-k')]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, 'scan-k', 'kernel_decay.csv'), 'utf8')).toMatch(/^bigLambda,traceRatio\n/);
    expect(JSON.parse(ok.stdout)).toMatchObject({ kernelOnly: true, files: ['kernel_decay.csv', 'kernel_decay.json'] });
    expect(ok.stdout.trim().split('\n')).toHaveLength(1);
  });
  it('writes tstar.csv/json, the table on stderr and one JSON line on stdout for a small bundled-data scan', () => {
    const r = run(['scan', '--arch', 'dense(64) > relu > dense(64) > relu > dense(10)', '--data', 'mnist:60:60', '--lambdas', '1e-3:1e-1:5', '--out', join(dir, 'scan-ok')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/slope of log t\* vs log λ/);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(readFileSync(join(dir, 'scan-ok', 'tstar.json'), 'utf8'));
    expect(j.rows).toHaveLength(5);
    expect(j.depth).toBe(3);
    const line = JSON.parse(r.stdout);
    expect(line).toMatchObject({ out: join(dir, 'scan-ok'), depth: 3, model: 'deep', n: 60, m: 60, k: 10, lambdas: 5, slopeMse: j.slopeMse, slopeAccuracy: j.slopeAccuracy });
    // the CSV's columns are the JSON rows' keys (one camelCase name per quantity), with the same values
    const [head, ...rows] = readFileSync(join(dir, 'scan-ok', 'tstar.csv'), 'utf8').trim().split('\n');
    expect(head.split(',')).toEqual(Object.keys(j.rows[0]));
    rows.forEach((row, i) => expect(row.split(',')).toEqual(Object.values(j.rows[i] as Record<string, unknown>).map(String)));
  });
});
