import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centredOneHot } from '../../src/data/preprocess.js';
import { krylovLambdaScan } from '../../src/experiments/lambdaScan.js';
import { readMatrix, writeNpy } from '../../src/io/npy.js';
import { inMemoryRowBlocks } from '../../src/linalg/rowBlocks.js';
import { withPassLog } from '../../src/cli/scanOnDisk.js';
import { runCliAsync } from '../cliHelpers.js';

// A small problem written to disk by `ntk kernel --out-of-core` (n = 150 train, m = 60 test, 3 classes), scanned
// from the files and from the inputs: the two routes must agree to round-off.
const dir = mkdtempSync(join(tmpdir(), 'ntk-scan-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (f: string) => join(dir, f);
const ARCH = 'dense(64) > relu > dense(64) > relu > dense(3)';
const N = 150;
const M = 60;
const D = 8;
const LAMBDAS = '1e-3:1e-1:4';

interface Curve {
  lambda: number;
  times: number[];
  testMse: number[];
  testAcc: number[];
  trainMse: number[];
}
interface Row {
  lambda: number;
  tStarMse: number;
  tStarAcc: number;
  bestTestMse: number;
}
interface Out {
  rows: Row[];
  solver: Record<string, unknown>;
  kernelDtype?: { train: string; test: string };
}
const readOut = (name: string): Out => JSON.parse(readFileSync(join(dir, name, 'tstar.json'), 'utf8')) as Out;
const readCurves = (name: string): Curve[] => (JSON.parse(readFileSync(join(dir, name, 'curves.json'), 'utf8')) as { curves: Curve[] }).curves;

/** Largest |a − b| / max|b| over every curve value (train MSE, test MSE) of every λ. */
function curveGap(a: Curve[], b: Curve[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((ca, i) => {
    const cb = b[i];
    expect(ca.lambda).toBe(cb.lambda);
    for (const key of ['trainMse', 'testMse'] as const) {
      const scale = Math.max(...cb[key].map(Math.abs));
      ca[key].forEach((v, j) => (worst = Math.max(worst, Math.abs(v - cb[key][j]) / scale)));
    }
  });
  return worst;
}

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 2 ** 32;
  };
  return Float64Array.from({ length: rows * cols }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** Labels 0..2 of a fixed rule on the inputs (learnable): the number of the first two coordinates that are positive. */
const labels = (x: Float64Array, rows: number) => Float64Array.from({ length: rows }, (_, i) => Number(x[i * D] > 0) + Number(x[i * D + 1] > 0));

const scanDisk = (kernel: string, kernelTest: string, out: string, extra: string[] = []) =>
  runCliAsync(['scan', '--arch', ARCH, '--kernel', kernel, '--kernel-test', kernelTest, '--y', p('Y.npy'), '--y-test', p('YT.npy'), '--lambdas', LAMBDAS, '--quiet', '--out', p(out), ...extra]);

beforeAll(async () => {
  const x = gaussian(N, D, 1);
  const xt = gaussian(M, D, 2);
  writeNpy(p('X.npy'), { shape: [N, D], data: x });
  writeNpy(p('XT.npy'), { shape: [M, D], data: xt });
  writeNpy(p('Y.npy'), { shape: [N], data: labels(x, N) });
  writeNpy(p('YT.npy'), { shape: [M], data: labels(xt, M) });
  writeNpy(p('Ybad.npy'), { shape: [N - 1], data: labels(x, N - 1) });
  writeNpy(p('Kwide.npy'), { shape: [M, N - 1], data: gaussian(M, N - 1, 3) });
  mkdirSync(p('parts'));
  const k = (args: string[]) => runCliAsync(['kernel', '--arch', ARCH, '--out-of-core', '--quiet', ...args]);
  const runs = await Promise.all([
    k(['--x1', p('X.npy'), '--out', p('K.npy')]),
    k(['--x1', p('XT.npy'), '--x2', p('X.npy'), '--out', p('KT.npy')]),
    k(['--x1', p('X.npy'), '--dtype', 'float32', '--out', p('K32.npy')]),
    k(['--x1', p('XT.npy'), '--x2', p('X.npy'), '--dtype', 'float32', '--out', p('KT32.npy')]),
    k(['--x1', p('X.npy'), '--tile', '0/2', '--tile-rows', '40', '--out', p('parts/K.npy')]),
    k(['--x1', p('X.npy'), '--tile', '1/2', '--tile-rows', '40', '--out', p('parts/K.npy')]),
  ]);
  for (const r of runs) expect(r.status, r.stderr).toBe(0);
}, 120_000);

describe('ntk scan --kernel (kernels on disk)', () => {
  it('float64 file: the in-memory Krylov scan from the inputs (same t*, curves ≤ 1e-12 relative); parts give the same', async () => {
    const [disk, mem, parts] = await Promise.all([
      scanDisk(p('K.npy'), p('KT.npy'), 'disk', ['--solver', 'krylov']),
      runCliAsync(['scan', '--arch', ARCH, '--x', p('X.npy'), '--x-test', p('XT.npy'), '--y', p('Y.npy'), '--y-test', p('YT.npy'), '--lambdas', LAMBDAS, '--quiet', '--solver', 'krylov', '--out', p('mem')]),
      scanDisk(p('parts'), p('KT.npy'), 'fromParts', ['--solver', 'krylov']),
    ]);
    for (const r of [disk, mem, parts]) expect(r.status, r.stderr).toBe(0);
    const d = readOut('disk');
    const m = readOut('mem');
    expect(d.solver.name).toBe('krylov');
    expect(d.solver.onDisk).toBe(true);
    expect(d.solver.converged).toBe(true);
    expect(d.solver.basisSize).toBe(m.solver.basisSize);
    expect(d.kernelDtype).toEqual({ train: 'float64', test: 'float64' });
    d.rows.forEach((r, i) => {
      expect(r.tStarMse).toBe(m.rows[i].tStarMse);
      expect(r.tStarAcc).toBe(m.rows[i].tStarAcc);
    });
    // Same Θ bits (the out-of-core writer computes the in-memory kernel's tiles) and the same float64 algorithm:
    // only the gemm blocking over rows differs, which is round-off (~1e-15); 1e-12 leaves room for its growth
    // through the basis and the Ritz eigendecomposition.
    expect(curveGap(readCurves('disk'), readCurves('mem'))).toBeLessThanOrEqual(1e-12);
    expect(curveGap(readCurves('fromParts'), readCurves('disk'))).toBeLessThanOrEqual(1e-12);
    expect(readOut('fromParts').rows.map((r) => r.tStarMse)).toEqual(d.rows.map((r) => r.tStarMse));
  }, 120_000);

  it('float32 file: exactly the Krylov scan of the float32-rounded kernel (≤ 1e-12), and the float64 scan to rounding', async () => {
    const r = await scanDisk(p('K32.npy'), p('KT32.npy'), 'disk32', ['--solver', 'krylov']);
    expect(r.status, r.stderr).toBe(0);
    expect(readOut('disk32').kernelDtype).toEqual({ train: 'float32', test: 'float32' });
    // independent route: the float32 files read whole (readMatrix widens them), scanned in memory by the library
    const k32 = readMatrix(p('K32.npy'));
    const kt32 = readMatrix(p('KT32.npy'));
    const lab = (f: string) => Int32Array.from(readMatrix(f).data);
    const ref = krylovLambdaScan(
      { train: inMemoryRowBlocks(k32, 1024), test: inMemoryRowBlocks(kt32, 1024), y: centredOneHot(lab(p('Y.npy')), 3), yTest: centredOneHot(lab(p('YT.npy')), 3) },
      readOut('disk32').rows.map((x) => x.lambda),
      3,
      { tol: 1e-8, lambdaTimeGrid: [1e-3, 1e2, 300] },
    );
    expect(curveGap(readCurves('disk32'), ref.curves)).toBeLessThanOrEqual(1e-12);
    // Against the float64 kernel: every entry moved by at most u = 2^-24 relative (float32 rounding). The curves are
    // smooth in Θ, so they move by u times an amplification the spectrum sets; measured 1.1e-9 relative here
    // (2026-12-02), so 16·u ≈ 9.5e-7 bounds it with a wide margin while still catching a mis-widened file (O(1) errors).
    // t* on the 300-point grid may then move by at most one grid step (factor 10^(5/299) ≈ 1.039).
    const gap = curveGap(readCurves('disk32'), readCurves('disk'));
    if (process.env.NTK_REPORT) process.stderr.write(`float32 vs float64 curve gap: ${gap}\n`);
    expect(gap).toBeLessThanOrEqual(16 * 2 ** -24);
    readOut('disk32').rows.forEach((x, i) => {
      const ratio = x.tStarMse / readOut('disk').rows[i].tStarMse;
      expect(ratio).toBeGreaterThan(1 / 1.04);
      expect(ratio).toBeLessThan(1.04);
    });
  }, 60_000);

  it('refuses bad input with one line on stderr, exit 2, nothing written', async () => {
    const cases: [string, string[], RegExp][] = [
      ['missing', ['--kernel', p('nope.npy'), '--kernel-test', p('KT.npy')], /no such file, and no parts of it/],
      ['nonsquare', ['--kernel', p('KT.npy'), '--kernel-test', p('KT.npy')], /must be square \(n×n\), got 60×150/],
      ['testshape', ['--kernel', p('K.npy'), '--kernel-test', p('Kwide.npy')], /the test kernel \(--kernel-test\) must be m×150 .*got 60×149/],
      ['yrows', ['--kernel', p('K.npy'), '--kernel-test', p('KT.npy'), '--y', p('Ybad.npy')], /Y \(--y\) has 149 rows but the train kernel \(--kernel\) is 150×150/],
      ['notest', ['--kernel', p('K.npy')], /--kernel needs --kernel-test/],
      ['memory', ['--kernel', p('K.npy'), '--kernel-test', p('KT.npy'), '--solver', 'krylov', '--max-memory', '1M'], /Krylov scan on disk .* over the memory limit .* lower --max-basis/],
      ['spectral', ['--kernel', p('K.npy'), '--kernel-test', p('KT.npy'), '--solver', 'spectral', '--max-memory', '100K'], /--solver spectral loads the kernels into memory.*use --solver krylov/],
      ['withx', ['--kernel', p('K.npy'), '--kernel-test', p('KT.npy'), '--x', p('X.npy')], /--kernel replaces the inputs/],
    ];
    const runs = await Promise.all(
      cases.map(([name, args]) => {
        const base = ['scan', '--arch', ARCH, '--y', p('Y.npy'), '--y-test', p('YT.npy'), '--quiet', '--out', p(`bad-${name}`)];
        return runCliAsync([...base, ...args]);
      }),
    );
    runs.forEach((r, i) => {
      const [name, , re] = cases[i];
      expect(r.status, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr, name).toMatch(re);
      expect(existsSync(p(`bad-${name}`)), name).toBe(false);
    });
  }, 60_000);

  it('the spectral solver loads a kernel file that fits the memory limit and gives the Krylov table', async () => {
    const r = await scanDisk(p('K.npy'), p('KT.npy'), 'spec', ['--solver', 'spectral']);
    expect(r.status, r.stderr).toBe(0);
    const s = readOut('spec');
    expect(s.solver.name).toBe('spectral');
    // the Krylov basis converged to 1e-8 (its estimate) on the same float64 kernel
    expect(curveGap(readCurves('disk'), readCurves('spec'))).toBeLessThanOrEqual(1e-6);
  }, 60_000);

  it('--max-basis caps the basis: results still written, converged false, one warning line', async () => {
    const r = await scanDisk(p('K.npy'), p('KT.npy'), 'capped', ['--solver', 'krylov', '--max-basis', '6']);
    expect(r.status, r.stderr).toBe(0);
    const s = readOut('capped').solver;
    expect(s.converged).toBe(false);
    expect(s.maxBasis).toBe(6);
    // blocks of 2 vectors (3 centred one-hot columns have rank 2): the basis stops within one block of the cap
    expect(s.basisSize as number).toBeGreaterThanOrEqual(6);
    expect(s.basisSize as number).toBeLessThanOrEqual(8);
    expect(s.errorEstimate as number).toBeGreaterThan(1e-8);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/warning: Krylov basis stopped at \d+ vectors \(--max-basis 6\)/);
  }, 60_000);

  it('withPassLog reports one pass per sweep over the rows', () => {
    const src = inMemoryRowBlocks({ rows: 5, cols: 2, data: new Float64Array(10) }, 2);
    const passes: number[] = [];
    const w = withPassLog(src, (n) => passes.push(n));
    for (let sweep = 0; sweep < 3; sweep++) for (let r = 0; r < 5; r += 2) w.readRows(r, Math.min(2, 5 - r));
    expect(passes).toEqual([1, 2, 3]);
  });
});
