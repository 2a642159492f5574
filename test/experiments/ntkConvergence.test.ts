import { describe, expect, it } from 'vitest';
import { bundledDataset } from '../../src/experiments/dataset.js';
import { ntkConvergence } from '../../src/experiments/ntkConvergence.js';
import { CONVERGENCE_SLOPE_RANGE, convConvergence } from '../../src/experiments/cnnConvergence.js';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { intervalVerdict } from '../../src/experiments/claim.js';

/**
 * The issue's convergence criterion: for a depth-3 ReLU net on 32 inputs (bundled MNIST digits, unit norm),
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

/**
 * Issue 12's convergence criterion on convolutional nets (src/experiments/cnnConvergence.ts): 8 bundled digits as
 * 7×7 images, channels 8…128, 16 networks per channel count, for a CNN with globalAvgPool and a pre-activation
 * residual CNN. The quantity is the relative Frobenius error of ONE network's empirical NTK (its mean over the
 * seeds), whose theory slope is −1/2 (fluctuations of C independent channels; the O(1/C) bias is subleading).
 * Seeds are fixed, so the numbers are reproducible. The slope's standard error here is ≈ 0.07 (16 seeds, a 16×
 * width range; with 8 seeds it was 0.11–0.15, too close to the interval's half-width); the larger measurement
 * (channels 8…256, 16 seeds) is recorded in docs/design/cnn-convergence.md. The test fails on a wrong analytic kernel: a
 * 45% error of the analytic NTK (what the post-activation residual block conv > relu > residual(conv > relu >
 * conv) > relu gives, see that note) leaves the error flat near 0.4 and the slope near −0.1.
 */
describe('empirical NTK → analytic NTK on convolutional nets as the channel count grows', () => {
  for (const kind of ['cnn', 'resnet'] as const) {
    it(`${kind}: relative Frobenius error falls like channels^(−1/2) over 8…128 channels`, async () => {
      const { result: res, claim } = await convConvergence(kind, { widths: [8, 16, 32, 64, 128], seeds: 16 });
      const summary = `${res.rows.map((r) => `${r.width}: ${r.meanError.toFixed(4)} ± ${r.stderr.toFixed(4)}`).join(', ')}; slope ${res.slope.toFixed(3)} ± ${res.slopeStderr.toFixed(3)}`;
      console.info(`${kind}: ${summary}`);
      expect(res.slope, summary).toBeGreaterThanOrEqual(CONVERGENCE_SLOPE_RANGE[0]);
      expect(res.slope, summary).toBeLessThanOrEqual(CONVERGENCE_SLOPE_RANGE[1]);
      // 16× the channels: ~4× smaller error; at 128 channels a correct kernel leaves ≈ 0.15 (measured 0.15 for the CNN at 16 seeds)
      expect(res.rows[4].meanError, summary).toBeLessThan(0.25);
      expect(res.rows[0].meanError, summary).toBeGreaterThan(2 * res.rows[4].meanError);
      expect(res.inputShape).toEqual([8, 7, 7, 1]);
      expect(claim.verdict).toBe(intervalVerdict(res.slope, res.slopeStderr, ...CONVERGENCE_SLOPE_RANGE));
      for (const r of res.rows) expect(r.errors).toHaveLength(16);
    }, 300_000);
  }
});
