import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledDataset } from '../../src/experiments/dataset.js';
import { finiteVsInfinite } from '../../src/experiments/finiteVsInfinite.js';
import { parseOneLineSpec } from '../../src/layers/json.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-fvi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Finite nets trained with SGD + L2 approach the infinite-width theory as the width grows: the kernel scale on
 * a probe set follows exp(−2(L−1)Λ) (bias-free ReLU) or the scaled-σ kernel (biases), and the test loss follows
 * the infinite-width flow started from the network's own initial outputs. Tolerances: 10% for the kernel at
 * width 1024 (the bar), and a clear improvement from width 128 to 1024.
 */
describe('finite versus infinite width', () => {
  const data = bundledDataset('mnist:256:200');
  it('bias-free ReLU: kernel within 10% of exp(−4Λ) at width 1024, test loss close to the infinite-width flow', async () => {
    const spec = parseOneLineSpec('[dense(1, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
    const r = await finiteVsInfinite({ spec, data, widths: [128, 1024], lambda: 0.05, lr: 0.5, probe: 32, evalsPerDecade: 8, dir: join(dir, 'a') });
    const [narrow, wide] = r.widths;
    expect(r.homogeneous).toBe(true);
    expect(wide.maxKernelDeviation).toBeLessThan(0.1);
    expect(wide.maxKernelDeviation).toBeLessThan(narrow.maxKernelDeviation);
    let worst = 0;
    wide.testLoss.forEach((l, i) => {
      if (wide.t[i] > 0) worst = Math.max(worst, Math.abs(l / wide.flowTestLoss![i] - 1));
    });
    expect(worst).toBeLessThan(0.15);
  }, 300_000);

  it('with biases: kernel within 10% of the scaled-σ prediction at width 1024', async () => {
    const spec = parseOneLineSpec('[dense(1, wStd=1.41421356, bStd=0.2) > relu]*2 > dense(10, wStd=1.41421356, bStd=0.2)');
    const r = await finiteVsInfinite({ spec, data, widths: [1024], lambda: 0.05, lr: 0.5, probe: 32, evalsPerDecade: 8, dir: join(dir, 'b') });
    expect(r.homogeneous).toBe(false);
    expect(r.widths[0].flowTestLoss).toBeNull();
    expect(r.widths[0].maxKernelDeviation).toBeLessThan(0.1);
  }, 300_000);
});
