import { describe, expect, it } from 'vitest';
import { FIGURE_NAMES } from '../../src/experiments/figureNames.js';
import { kernelDecayCnnRun, kernelDecayDefaults } from '../../src/experiments/l2Architectures.js';

describe('kernel_decay_cnn figure (tiny size)', () => {
  it('plots each network, their mean and the prediction; the claim follows the verdicts', async () => {
    const { figure, claim, panels } = await kernelDecayCnnRun({ channels: 4, seeds: 2, n: 3, probe: 2, steps: 4, evalEvery: 2, lambda: 0.1, lr: 0.5, backend: 'cpu' });
    expect(FIGURE_NAMES).toContain('kernel_decay_cnn');
    expect(figure.name).toBe('kernel_decay_cnn');
    expect(panels.map((p) => p.label)).toEqual(['CNN', 'residual CNN']);
    expect(figure.traces).toHaveLength(6);
    panels.forEach(({ result }, i) => {
      const [dots, mean, pred] = figure.traces.slice(3 * i, 3 * i + 3);
      expect(dots.y).toEqual(result.rows.flatMap((r) => r.measuredRatio));
      expect(mean.y).toEqual(result.rows.map((r) => (r.measuredRatio[0] + r.measuredRatio[1]) / 2));
      expect(pred.y).toEqual(result.rows.map((r) => r.predictedRatio));
      expect(result.rows.map((r) => r.step)).toEqual([0, 2, 4]);
    });
    // the CNN is homogeneous (L = 3): its prediction is the closed form e^{−4Λ}, Λ = −s·ln(1 − ηλ)
    const cnn = panels[0].result;
    expect(cnn.rule).toEqual({ kind: 'homogeneous', degree: 3, rate: 4 });
    for (const r of cnn.rows) expect(Math.abs(r.predictedRatio - Math.exp(4 * r.step * Math.log(0.95)))).toBeLessThan(1e-12);
    // the residual CNN's paths carry 2 (conv, skip, dense) and 4 (conv, conv, conv, dense) weight layers: its
    // predicted decay lies between the two homogeneous laws e^{−6Λ} and e^{−2Λ}, and is neither
    const res = panels[1].result;
    expect(res.rule.kind).toBe('scaledSigma');
    const last = res.rows[res.rows.length - 1];
    expect(last.predictedRatio).toBeGreaterThan(Math.exp(-6 * last.bigLambda) * 1.1);
    expect(last.predictedRatio).toBeLessThan(Math.exp(-2 * last.bigLambda) / 1.1);
    expect(claim.figure).toBe('kernel_decay_cnn');
    expect(claim.verdict).toBe(panels.some((p) => p.result.verdict === 'does not hold') ? 'does not hold' : panels.every((p) => p.result.verdict === 'holds') ? 'holds' : 'not resolved');
    expect(claim.rule).toContain('2 s.e.');
    expect(claim.measured).toContain(`CNN: ${cnn.verdict}`);
  });

  it('small defaults for npm start, 256 channels with --full', () => {
    expect(kernelDecayDefaults(false).channels).toBeLessThan(256);
    expect(kernelDecayDefaults(true).channels).toBe(256);
  });
});
