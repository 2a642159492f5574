import { describe, expect, it } from 'vitest';
import type { FiniteVsInfiniteResult } from '../../src/experiments/finiteVsInfinite.js';
import type { SweepResult, SweepRow } from '../../src/experiments/sweep.js';
import { kernelScaleFigure, tstarFiniteFigure } from '../../src/figures/finite.js';

// Synthetic sweeps: t* = c/λ exactly, the same for both η (as physical time predicts), so the markers of the two
// η fall on the same points; `edge` marks runs whose budget ran out.
const slope = { slope: -1, stderr: 0.01, runs: 3 };
function sweep(edge: (lambda: number, lr: number) => { acc: boolean; loss: boolean }): SweepResult {
  const rows: SweepRow[] = [];
  for (const lr of [0.25, 0.5])
    for (const lambda of [1e-3, 1e-2, 1e-1]) {
      const e = edge(lambda, lr);
      rows.push({ lambda, lr, seed: 0, budget: 2.5 / lambda, tStarAcc: 0.5 / lambda, tStarLoss: 0.3 / lambda, lambdaTStarAcc: 0.5, lambdaTStarLoss: 0.3, bestTestAcc: 0.9, bestTestLoss: 0.1, accAtEdge: e.acc, lossAtEdge: e.loss, tStarAccResolution: 0.02, tStarLossResolution: 0.02, wallSeconds: 1 });
    }
  return { rows, slopeAcc: slope, slopeLoss: slope, perLr: [0.25, 0.5].map((lr) => ({ lr, slopeAcc: slope, slopeLoss: slope, cAcc: 0.5, cLoss: 0.3 })), cSpreadAcc: 0, cSpreadLoss: 0, curves: [] };
}
type Trace = { x?: number[]; y?: number[]; mode?: string; marker?: { symbol?: string; size?: number } };
const markerTraces = (traces: Trace[]) => traces.filter((t) => t.mode === 'markers' && (t.x?.length ?? 0) > 0);
const kind = (symbol: string) => symbol.split('-')[0]; // 'circle-open' → 'circle'

describe('tstar_vs_lambda_finite says what it draws', () => {
  for (const [label, edge] of [
    ['no run at the edge', () => ({ acc: false, loss: false })],
    ['accuracy and loss at the edge for λ = 1e-3', (l: number) => ({ acc: l === 1e-3, loss: l === 1e-3 })],
  ] as const) {
    it(`${label}: every marker kind drawn is named in the subtitle, and none that is not drawn`, () => {
      const fig = tstarFiniteFigure(sweep(edge), 'ctx');
      const kinds = new Set(markerTraces(fig.traces as Trace[]).map((t) => kind(t.marker!.symbol!)));
      for (const k of ['circle', 'diamond', 'triangle']) expect(fig.subtitle.includes(`${k}s:`), k).toBe(kinds.has(k));
      expect(kinds.has('circle') && kinds.has('diamond')).toBe(true);
    });
  }

  it('the two η land on the same points (t* in physical time) and stay both visible: same symbol, different sizes', () => {
    const fig = tstarFiniteFigure(sweep(() => ({ acc: false, loss: false })), 'ctx');
    for (const k of ['circle', 'diamond']) {
      const ts = markerTraces(fig.traces as Trace[]).filter((t) => kind(t.marker!.symbol!) === k);
      expect(ts).toHaveLength(2);
      expect(ts[0].y).toEqual(ts[1].y);
      expect(ts[0].marker!.size).toBeGreaterThan(ts[1].marker!.size! + 3);
      expect(ts.every((t) => t.marker!.symbol!.endsWith('-open'))).toBe(true); // open: the smaller one shows through
    }
  });

  it('runs at the edge are drawn as triangles and kept out of the circles and diamonds', () => {
    const fig = tstarFiniteFigure(sweep((l) => ({ acc: l === 1e-3, loss: l === 1e-2 })), 'ctx');
    const ts = markerTraces(fig.traces as Trace[]);
    const xs = (sym: string) => ts.filter((t) => t.marker!.symbol === sym).flatMap((t) => t.x!);
    expect(xs('triangle-up-open')).toEqual([1e-3, 1e-3]);
    expect(xs('triangle-down-open')).toEqual([1e-2, 1e-2]);
    expect(xs('circle-open')).not.toContain(1e-3);
    expect(xs('diamond-open')).not.toContain(1e-2);
  });
});

describe('kernel_scale defines its symbols', () => {
  const t = [0, 1, 10, 100];
  const res: FiniteVsInfiniteResult = {
    depth: 3,
    homogeneous: true,
    prediction: 'exp(−2(L−1)Λ), L = 3',
    lambda: 0.05,
    lr: 0.5,
    probe: 32,
    widths: [{ width: 128, t, testLoss: [1, 0.5, 0.2, 0.3], flowTestLoss: [1, 0.5, 0.2, 0.3], kernelT: t, kernelRatio: [1, 0.9, 0.4, 0.01], predictedRatio: [1, 0.9, 0.4, 0.01], maxKernelDeviation: 0 }],
  };
  it('Λ and m are defined in the subtitle; the measured loss is not hidden under an identical flow curve', () => {
    const fig = kernelScaleFigure(res, 'ctx');
    expect(fig.subtitle).toMatch(/Λ\(t\) = ∫₀ᵗ λ ds/);
    expect(fig.subtitle).toMatch(/over the m test points/);
    const [measured, flow] = (fig.traces as { name: string; line: { width: number; dash?: string } }[]).filter((x) => /test loss|flow/.test(x.name));
    expect(measured.line.width).toBeGreaterThan(flow.line.width); // drawn wider, beneath
    expect(flow.line.dash).toBe('dash');
  });
});
