import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFigureSet } from '../../src/experiments/figureSet.js';
import { PLOTLY_FILE } from '../../src/figures/plotlyAsset.js';
import { OUTPUT_MARKER } from '../../src/io/outputPath.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-figset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('figure set (theory figures)', () => {
  it('writes each figure and the index, with claims measured in the run and a verdict decided from them', async () => {
    const { written, claims } = await makeFigureSet({ dir, only: ['tstar_vs_lambda_theory', 'collapse_theory', 'linear_vs_deep'] });
    expect(written.map((w) => w.html).sort()).toEqual(['collapse_theory', 'linear_vs_deep', 'tstar_vs_lambda_theory'].map((n) => join(dir, `${n}.html`)));
    for (const n of ['tstar_vs_lambda_theory', 'collapse_theory', 'linear_vs_deep']) {
      expect(existsSync(join(dir, `${n}.html`))).toBe(true);
      expect(existsSync(join(dir, `${n}.json`))).toBe(true);
    }
    expect(claims).toHaveLength(3);
    // the verdicts must follow from the numbers: re-derive them from the JSON the figures wrote
    const scan = JSON.parse(readFileSync(join(dir, 'tstar_vs_lambda_theory.json'), 'utf8')) as { slopeMse: { slope: number }; rows: { lambdaTStarMse: number }[] };
    const lt = scan.rows.map((r) => r.lambdaTStarMse);
    const slopeOk = scan.slopeMse.slope >= -1.1 && scan.slopeMse.slope <= -0.75 && Math.max(...lt) / Math.min(...lt) < 4;
    expect(claims.find((c) => c.figure === 'tstar_vs_lambda_theory')!.holds).toBe(slopeOk);
    expect(claims.find((c) => c.figure === 'tstar_vs_lambda_theory')!.measured).toContain(scan.slopeMse.slope.toFixed(3));
    // the linear model's end point against kernel ridge regression solved directly: agreement to rounding
    const lin = claims.find((c) => c.figure === 'linear_vs_deep')!;
    const rel = Number(/relative difference ([0-9.e+-]+)/.exec(lin.measured)![1]);
    expect(rel).toBeLessThan(1e-9);
    expect(lin.holds).toBe(true);
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const c of claims) expect(index).toContain(c.holds ? 'Holds' : 'Does not hold');
    // one shared plotly.min.js: every page loads it, none carries plotly itself
    expect(existsSync(join(dir, PLOTLY_FILE))).toBe(true);
    for (const w of written) expect(readFileSync(w.html, 'utf8').length).toBeLessThan(500_000);
  }, 240_000); // the analytic NTK of 1500 digits and two λ scans: ~30 s alone, minutes on a loaded 2-core machine

  it('refuses at once, before any computing, a figures folder whose plotly.min.js ntk did not write', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ntk-figset-foreign-'));
    try {
      // an ntk figures folder (its marker), in which someone put their own plotly.min.js
      writeFileSync(join(d, OUTPUT_MARKER), JSON.stringify({ tool: 'ntk-l2', kind: 'figures' }) + '\n');
      writeFileSync(join(d, PLOTLY_FILE), '// mine');
      const t0 = Date.now();
      await expect(makeFigureSet({ dir: d, only: ['tstar_vs_lambda_theory'] })).rejects.toThrow(/plotly\.min\.js" exists and ntk did not write it/);
      expect(Date.now() - t0).toBeLessThan(5_000); // the kernel and the scan take ~30 s: they never started
      expect(readdirSync(d).sort()).toEqual([OUTPUT_MARKER, PLOTLY_FILE]);
      expect(readFileSync(join(d, PLOTLY_FILE), 'utf8')).toBe('// mine');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
