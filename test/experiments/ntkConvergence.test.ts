import { describe, expect, it } from 'vitest';
import { bundledDataset } from '../../src/experiments/dataset.js';
import { ntkConvergence } from '../../src/experiments/ntkConvergence.js';
import { parseOneLineSpec } from '../../src/layers/json.js';

/**
 * The convergence criterion: for a depth-3 ReLU net on 32 inputs (bundled MNIST digits, unit norm),
 * the relative Frobenius error of the empirical NTK against the analytic one, averaged over 8 networks per
 * width, falls like width^(−1/2): fitted log-log slope within [−0.65, −0.35] over widths 128…4096.
 * Seeds are fixed, so the numbers are reproducible; an independent numpy computation of the same setup
 * (16 networks per width) gave mean errors 0.083 (1024), 0.046 (4096), 0.031 (8192).
 */
describe('empirical NTK → analytic NTK as the width grows', () => {
  it('relative Frobenius error falls like width^(−1/2) over widths 128…4096', async () => {
    const data = bundledDataset('mnist:32:1');
    const spec = parseOneLineSpec('[dense(1, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
    const res = await ntkConvergence(spec, data.x, { widths: [128, 256, 512, 1024, 2048, 4096], seeds: 8 });
    const summary = res.rows.map((r) => `${r.width}: ${r.meanError.toFixed(4)} ± ${r.stderr.toFixed(4)}`).join(', ');
    expect(res.slope, `${summary}; slope ${res.slope} ± ${res.slopeStderr}`).toBeGreaterThan(-0.65);
    expect(res.slope, summary).toBeLessThan(-0.35);
    expect(res.rows[0].meanError).toBeGreaterThan(3 * res.rows[5].meanError); // 32× the width: ~5.7× smaller error
    expect(res.points).toBe(32);
    for (const r of res.rows) expect(r.errors).toHaveLength(8);
  }, 600_000);
});
