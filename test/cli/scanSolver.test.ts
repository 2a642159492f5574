import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTO_SPECTRAL_MAX_N, chooseScanSolver } from '../../src/experiments/lambdaScan.js';
import { InputError } from '../../src/util/errors.js';
import { runCliAsync } from '../cliHelpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-scan-solver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const common = ['scan', '--arch', 'dense(64) > relu > dense(64) > relu > dense(10)', '--data', 'mnist:200:100', '--lambdas', '1e-3:1e-1:4', '--quiet'];

interface Row {
  lambda: number;
  tStarMse: number;
  tStarAcc: number;
  bestTestMse: number;
  finalTestMse: number;
  mseAtEdge: boolean;
}
const read = (name: string) => JSON.parse(readFileSync(join(dir, name, 'tstar.json'), 'utf8')) as { rows: Row[]; solver: Record<string, unknown> };

describe('ntk scan --solver', () => {
  it('auto resolves by n; bad names are refused', () => {
    expect(chooseScanSolver('auto', AUTO_SPECTRAL_MAX_N)).toBe('spectral');
    expect(chooseScanSolver('auto', AUTO_SPECTRAL_MAX_N + 1)).toBe('krylov');
    expect(chooseScanSolver('krylov', 10)).toBe('krylov');
    expect(chooseScanSolver('spectral', 1e6)).toBe('spectral');
    expect(() => chooseScanSolver('lanczos', 10)).toThrow(InputError);
  });

  it('refuses --solver lanczos with one line on stderr, exit 2, nothing written', async () => {
    const out = join(dir, 'bad');
    const r = await runCliAsync([...common, '--solver', 'lanczos', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--solver must be auto, spectral or krylov, got "lanczos"/);
    expect(existsSync(out)).toBe(false);
  });

  it('krylov gives the spectral t* table (t* ≤ 1e-6, MSE ≤ 1e-8 relative); auto at n = 200 is the spectral run', async () => {
    const [s, k, a] = await Promise.all(
      (['spectral', 'krylov', 'auto'] as const).map((solver) => runCliAsync([...common, '--solver', solver, '--out', join(dir, solver)])),
    );
    for (const r of [s, k, a]) expect(r.status, r.stderr).toBe(0);
    const sp = read('spectral');
    const kr = read('krylov');
    expect(sp.solver.name).toBe('spectral');
    expect(kr.solver.name).toBe('krylov');
    expect(kr.solver.converged).toBe(true);
    expect(kr.solver.basisSize as number).toBeLessThan(200);
    expect(kr.solver.errorEstimate as number).toBeLessThanOrEqual(1e-8);
    expect(kr.rows).toHaveLength(4);
    kr.rows.forEach((r, i) => {
      const q = sp.rows[i];
      expect(r.tStarAcc).toBe(q.tStarAcc);
      expect(r.mseAtEdge).toBe(q.mseAtEdge);
      expect(Math.abs(r.tStarMse - q.tStarMse) / q.tStarMse).toBeLessThan(1e-6);
      expect(Math.abs(r.bestTestMse - q.bestTestMse) / q.bestTestMse).toBeLessThan(1e-8);
      expect(Math.abs(r.finalTestMse - q.finalTestMse) / q.finalTestMse).toBeLessThan(1e-8);
    });
    expect(read('auto').solver.name).toBe('spectral');
    expect(readFileSync(join(dir, 'auto', 'tstar.csv'), 'utf8')).toBe(readFileSync(join(dir, 'spectral', 'tstar.csv'), 'utf8'));
  });
}, 120_000);
