import { describe, expect, it } from 'vitest';
import { summarize, type RunFacts } from '../../src/training/summary.js';
import type { EvalRecord } from '../../src/training/types.js';

const facts: RunFacts = { steps: 40, depth: 3, paramCount: 10, backend: 'cpu', examplesPerSecond: 1, wallSeconds: 1, evalSeconds: 0.25, trainSeconds: 0.5, resumedFromStep: null };
const rec = (step: number, testAcc: number, testLoss: number): EvalRecord => ({ step, t: step / 2, lambda: 0.1, integratedLambda: step / 20, trainLoss: 1, trainAcc: 0.5, testLoss, testAcc, paramNorm2: 1 });

describe('summarize', () => {
  it('t* is the first time of the best test accuracy and the time of the lowest test loss; edges and finals', () => {
    const records = [rec(0, 0.1, 2), rec(10, 0.7, 1.2), rec(20, 0.7, 0.9), rec(30, 0.6, 1.1), rec(40, 0.5, 1.3)];
    const r = summarize(records, facts);
    expect([r.tStarAcc, r.bestTestAcc, r.accAtEdge]).toEqual([5, 0.7, false]); // the tie at t = 10 is not the first best
    expect([r.tStarLoss, r.bestTestLoss, r.lossAtEdge]).toEqual([10, 0.9, false]);
    expect([r.finalTestAcc, r.finalTestLoss, r.dtype, r.steps, r.records]).toEqual([0.5, 1.3, 'float32 (tfjs)', 40, records]);
  });

  it('a best at the last evaluation is flagged: t* is then only a bound', () => {
    const r = summarize([rec(0, 0.1, 2), rec(10, 0.3, 1.5), rec(20, 0.4, 1)], facts);
    expect([r.accAtEdge, r.lossAtEdge, r.tStarAcc, r.tStarLoss]).toEqual([true, true, 10, 10]);
  });
});
