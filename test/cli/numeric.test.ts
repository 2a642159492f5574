/** CLI contract for numerically bad input: exit 2, one "ntk: error:" line, nothing written. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { runCliAsync } from '../cliHelpers.js';
import { randomMatrix } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-numeric-'));
const p = (name: string) => join(dir, name);
const spec = parseSpec('dense(16, wStd=1.4) > relu > dense(16, wStd=1.4) > relu > dense(2, wStd=1.4)');
const x = randomMatrix(10, 4, 61);
const xt = randomMatrix(6, 4, 62);
const y = randomMatrix(10, 2, 63);
const yt = randomMatrix(6, 2, 64);
const save = (name: string, m: Mat, scale = 1) => writeNpy(p(name), { shape: [m.rows, m.cols], data: m.data.map((v) => v * scale) });
const save1 = (name: string, values: number[]) => writeNpy(p(name), { shape: [values.length], data: Float64Array.from(values) });

beforeAll(() => {
  save('x.npy', x);
  save('xt.npy', xt);
  save('x300.npy', x, 1e300);
  save('x152.npy', x, 1e152);
  save('K.npy', analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!);
  save('KT.npy', analyticKernelSync(spec, xt, x, { get: 'ntk' }).ntk!);
  save('Y.npy', y);
  save('YT.npy', yt);
  save('Ybig.npy', y, 1e200);
  const f0 = Float64Array.from(y.data);
  f0[7] = NaN;
  writeNpy(p('f0nan.npy'), { shape: [10, 2], data: f0 });
  // Θ = I − 2·e0e0ᵀ/… : symmetric with one eigenvalue −1
  const ind = new Float64Array(100);
  for (let i = 0; i < 10; i++) ind[i * 10 + i] = i === 0 ? -1 : 1 + i;
  writeNpy(p('Kind.npy'), { shape: [10, 10], data: ind });
  writeNpy(p('T22.npy'), { shape: [2, 2], data: Float64Array.from([0, 1, 2, 3]) });
  save1('labels.npy', [0, 1, 2, 1, 0, 2, 1, 0, 2, 1]);
  save1('labelsT.npy', [0, 1, 2, 1, 0, 2]);
  save1('labelsHuge.npy', [0, 1, 2, 1, 0, 2 ** 31, 1, 0, 2, 1]);
  save1('labelsTfrac.npy', [0, 1, 2.5, 1, 0, 2]);
  writeFileSync(p('typo.csv'), '0.1,0.2x,0.3,0.4\n1,2,3,4\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectRefused(args: string[], out: string, pattern: RegExp): Promise<void> {
  const r = await runCliAsync([...args, '--out', out]);
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ntk: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0].length).toBeLessThanOrEqual(300 + 'ntk: error: '.length);
  expect(r.stdout).toBe('');
  expect(existsSync(out)).toBe(false);
}

describe('ntk kernel refuses what would overflow', () => {
  const deep = 'dense(8, wStd=100) > relu > dense(8, wStd=100) > relu > dense(1, wStd=100)';
  const cases: Array<[string, string[], RegExp]> = [
    ['inputs ×1e300', ['kernel', '--arch', deep, '--x1', 'x300.npy'], /X1 row 0 has \|x\|² beyond the float64 range: the inputs are too large/],
    ['a kernel that overflows in the layers', ['kernel', '--arch', deep, '--x1', 'x152.npy'], /NTK is not finite at row 0, column 0 \(value Infinity\): the inputs are too large \(max \|x\|² = /],
    ['a CSV whose first row has a typo', ['kernel', '--arch', deep, '--x1', 'typo.csv'], /line 1, field 2 is "0\.2x", not a number; the first row mixes numbers and text/],
    ['--max-memory above the machine', ['kernel', '--arch', deep, '--x1', 'x.npy', '--max-memory', '100T'], /--max-memory .* is more than this machine's total memory/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      await expectRefused(args.map((a) => (/\.(npy|csv)$/.test(a) ? p(a) : a)), p(`k-${name.replace(/\W+/g, '_')}.npy`), pattern);
    });
  }
});

describe('ntk flow refuses non-finite outputs, indefinite Θ, matrices as times and oversized work', () => {
  const base = (theta = 'K.npy', yy = 'Y.npy') => ['flow', '--theta', p(theta), '--theta-test', p('KT.npy'), '--y', p(yy), '--y-test', p('YT.npy'), '--lambda', '0.01', '--depth', '3'];
  const cases: Array<[string, string[], RegExp]> = [
    ['targets ×1e200', [...base('K.npy', 'Ybig.npy'), '--times', 'log:0.1:100:5'], /the flow's train MSE is not finite at t = 0\.1 \(time index 0; value Infinity\)/],
    ['an indefinite Θ', ['flow', '--theta', p('Kind.npy'), '--y', p('Y.npy'), '--lambda', '0.01', '--depth', '2', '--times', 'log:0.1:100:5'], /Θ \(train\) is not positive semi-definite: lowest eigenvalue -1\.00, largest 10\.0 .*--regularize/],
    ['a 2×2 --times file', [...base(), '--times', p('T22.npy')], /--times .* has shape \(2, 2\); give a 1-D array or a single row or column/],
    ['1e9 times', [...base(), '--times', 'log:0.1:10:1e9'], /--times count is 1000000000, over the limit of 1000000/],
    ['outputs over --max-memory', [...base(), '--times', 'lin:0:10:100000', '--max-memory', '1M'], /the flow \(n = 10, m = 6, k = 2, 100000 times\) needs about .* over the memory limit of 1\.0 MiB/],
    ['--max-memory above the machine', [...base(), '--times', 'log:0.1:100:5', '--max-memory', '100T'], /is more than this machine's total memory/],
    ['NaN in f0', [...base(), '--f0', p('f0nan.npy'), '--times', 'log:0.1:100:5'], /f0 contains NaN or Inf at row 3, column 1/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => expectRefused(args, p(`flow-${name.replace(/\W+/g, '_')}`), pattern));
  }

  it('--regularize clips an indefinite Θ, says so on stderr and records the amount in summary.json', async () => {
    const out = p('flow-regularized');
    const r = await runCliAsync(['flow', '--theta', p('Kind.npy'), '--y', p('Y.npy'), '--lambda', '0.01', '--depth', '2', '--times', 'log:0.1:100:5', '--regularize', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^ntk: warning: regularized Θ: clipped 1 negative eigenvalue of Θ to 0 \(lowest -1\.00, largest 10\.0; \|ΔΘ\|_F = 1\.00\)/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.spectrum).toMatchObject({ clipped: 1, lowest: -1, largest: 10, frobeniusChange: 1, regularized: true });
  });

  it('a valid kernel records its (round-off) clipping without a warning', async () => {
    const out = p('flow-ok');
    const r = await runCliAsync([...base(), '--times', 'log:0.1:100:5', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.spectrum.regularized).toBe(false);
    expect(summary.trainMse.every(Number.isFinite)).toBe(true);
  });
});

describe('ntk scan refuses bad labels, huge grids and non-finite results', () => {
  const files = (yy: string, yyt: string) => ['scan', '--arch', 'dense(16, wStd=1.4) > relu > dense(2, wStd=1.4)', '--x', p('x.npy'), '--y', p(yy), '--x-test', p('xt.npy'), '--y-test', p(yyt), '--lambdas', '1e-2:1e-1:3', '--quiet'];
  const cases: Array<[string, string[], RegExp]> = [
    ['1e9 λ values', [...files('labels.npy', 'labelsT.npy'), '--lambdas', '1e-3:1e-1:1e9'], /--lambdas count is 1000000000, over the limit of 10000/],
    ['a label of 2^31', files('labelsHuge.npy', 'labelsT.npy'), /Y \(--y\) row 5 is 2147483648: over the limit of 10000 classes/],
    ['fractional test labels', files('labels.npy', 'labelsTfrac.npy'), /Y test \(--y-test\) \(Y holds integer labels\) row 2 is 2\.5: not an integer/],
    ['targets ×1e200', files('Ybig.npy', 'YT.npy'), /the flow's train MSE is not finite at t = /],
    ['--max-memory above the machine', [...files('labels.npy', 'labelsT.npy'), '--max-memory', '100T'], /is more than this machine's total memory/],
    ['work over --max-memory', [...files('labels.npy', 'labelsT.npy'), '--max-memory', '10K'], /the scan \(n = 10, m = 6, k = 3, 3 λ values\) needs about .* over the memory limit of 10\.0 KiB/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => expectRefused(args, p(`scan-${name.replace(/\W+/g, '_')}`), pattern));
  }
});
