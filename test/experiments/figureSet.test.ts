import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimHtml, makeFigureSet } from '../../src/experiments/figureSet.js';
import { allOf, boundVerdict, intervalVerdict, verdictSummary, type Claim } from '../../src/experiments/claim.js';
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
    const scan = JSON.parse(readFileSync(join(dir, 'tstar_vs_lambda_theory.json'), 'utf8')) as { slopeMse: { slope: number; stderr: number }; rows: { lambdaTStarMse: number }[] };
    const lt = scan.rows.map((r) => r.lambdaTStarMse);
    const ratio = Math.max(...lt) / Math.min(...lt);
    // the λ·t grid has 600 points over 5 decades: neighbours 1.94% apart; the spread is known to (1.0194)² − 1
    const spreadRes = Math.exp((2 * Math.log(1e5)) / 599) - 1;
    const tstar = claims.find((c) => c.figure === 'tstar_vs_lambda_theory')!;
    expect(tstar.verdict).toBe(allOf([intervalVerdict(scan.slopeMse.slope, scan.slopeMse.stderr, -1.1, -0.75), boundVerdict([ratio], 4, 'below', 4 * spreadRes)]));
    expect(tstar.measured).toContain(scan.slopeMse.slope.toFixed(3));
    expect(tstar.measured).toContain('t* resolved to 1.9%');
    expect(claims.find((c) => c.figure === 'collapse_theory')!.verdict).toBe(boundVerdict([ratio], 4, 'below', 4 * spreadRes));
    // the linear model's end point against kernel ridge regression solved directly: agreement to rounding
    const lin = claims.find((c) => c.figure === 'linear_vs_deep')!;
    const rel = Number(/relative difference ([0-9.e+-]+)/.exec(lin.measured)![1]);
    expect(rel).toBeLessThan(1e-9);
    expect(lin.verdict).toBe('holds');
    // index.html: every claim with its measured numbers, its rule and its verdict; the summary counts the three
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    for (const c of claims) {
      expect(index).toContain(claimHtml(c));
      expect(claimHtml(c)).toContain(`<b>Rule:</b> ${esc(c.rule)}`);
      expect(claimHtml(c)).toContain(`>${c.verdict}</span>`);
    }
    expect(index).toContain(verdictSummary(claims));
    // and the JSON beside it
    const json = JSON.parse(readFileSync(join(dir, 'claims.json'), 'utf8')) as { summary: string; claims: Claim[] };
    expect(json.claims).toEqual(claims);
    expect(json.summary).toBe(verdictSummary(claims));
    // one shared plotly.min.js: every page loads it, none carries plotly itself
    expect(existsSync(join(dir, PLOTLY_FILE))).toBe(true);
    for (const w of written) expect(readFileSync(w.html, 'utf8').length).toBeLessThan(500_000);
  }, 400_000); // the analytic NTK of 1500 digits and two λ scans (600 times each): ~30 s alone, 225 s measured at load 30 on 2 cores

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
