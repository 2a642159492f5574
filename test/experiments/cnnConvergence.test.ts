import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONVERGENCE_SLOPE_RANGE, convConvergence, convNet } from '../../src/experiments/cnnConvergence.js';
import { bundledImages } from '../../src/experiments/dataset.js';
import { intervalVerdict } from '../../src/experiments/claim.js';
import { CONV_CONVERGENCE_FIGURES, FIGURE_NAMES } from '../../src/experiments/figureNames.js';
import { ntkConvergenceFigure } from '../../src/figures/finite.js';
import { writeFigure } from '../../src/figures/figure.js';
import { analyticKernel } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-cnnconv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The CNN / residual-CNN convergence figures at a tiny size (3 digits of 7×7, channels 4 and 8, 2 networks): the
 * plumbing, not the slope (test/experiments/ntkConvergence.test.ts asserts the slope at a real size). Every
 * number is re-derived independently: one error from a direct empirical and analytic kernel, the slope by a
 * least-squares fit written here, the verdict from the slope.
 */
describe('convolutional convergence figures (tiny)', () => {
  it('are in the figure set', () => {
    for (const n of CONV_CONVERGENCE_FIGURES) expect(FIGURE_NAMES).toContain(n);
  });

  for (const kind of ['cnn', 'resnet'] as const) {
    it(`${kind}: the study's numbers, its claim and the figure written from them`, async () => {
      const study = await convConvergence(kind, { widths: [4, 8], seeds: 2, points: 3 });
      const res = study.result;
      expect(res.inputShape).toEqual([3, 7, 7, 1]);
      expect(res.rows.map((r) => r.width)).toEqual([4, 8]);
      // one error recomputed directly: network seed 1 at 8 channels
      const x = bundledImages('mnist:3:1', { size: 7 }).x;
      const a = (await analyticKernel(convNet(kind), x, undefined, { get: 'ntk', threads: 1 })).ntk!.data;
      const e = (await empiricalKernel(convNet(kind, 8), x, undefined, { seed: 1 })).ntk.data;
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (e[i] - a[i]) ** 2;
        den += a[i] ** 2;
      }
      expect(res.rows[1].errors[1]).toBeCloseTo(Math.sqrt(num / den), 12);
      // two points: the slope is the line through them
      const slope = Math.log(res.rows[1].meanError / res.rows[0].meanError) / Math.log(2);
      expect(res.slope).toBeCloseTo(slope, 10);
      // the verdict is the 2-s.e. interval rule on the fitted slope, and the rule is written in the claim
      expect(study.claim.verdict).toBe(intervalVerdict(res.slope, res.slopeStderr, ...CONVERGENCE_SLOPE_RANGE));
      expect(study.claim.rule).toContain(`[${CONVERGENCE_SLOPE_RANGE[0]}, ${CONVERGENCE_SLOPE_RANGE[1]}]`);
      expect(study.claim.measured).toContain(res.slope.toFixed(3));
      const name = kind === 'cnn' ? 'ntk_convergence_cnn' : 'ntk_convergence_resnet';
      expect(study.claim.figure).toBe(name);
      const out = await writeFigure(ntkConvergenceFigure(res, study.context, { name, title: 't', widthAxis: 'channels (every conv)' }), dir, null);
      const json = JSON.parse(readFileSync(out.json, 'utf8'));
      expect(json.name).toBe(name);
      expect(json.slope).toBe(res.slope);
      expect(json.plotly.layout.xaxis.title.text).toBe('channels (every conv)');
      expect(json.plotly.data[1].y).toEqual(res.rows.map((r) => r.meanError));
      expect(json.plotly.data[2].name).toContain(`± ${res.slopeStderr.toFixed(3)}`);
    }, 120_000);
  }
});
