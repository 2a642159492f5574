import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { autoL2 } from '../../src/training/autoL2.js';
import { runFingerprint, trainRun, type EvalRecord, type TrainData } from '../../src/training/trainer.js';
import { randomMatrix } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function toyData(n = 48, d = 6, k = 3): TrainData {
  const x = randomMatrix(n, d, 11);
  const xTest = randomMatrix(24, d, 12);
  const teacher = randomMatrix(d, k, 13);
  const target = (m: typeof x) => {
    const y = new Float64Array(m.rows * k);
    for (let i = 0; i < m.rows; i++) for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) y[i * k + c] += (m.data[i * d + j] * teacher.data[j * k + c]) / Math.sqrt(d);
    return { rows: m.rows, cols: k, data: y };
  };
  return { x, y: target(x), xTest, yTest: target(xTest), description: 'toy teacher (refine test)' };
}

const same = (a: EvalRecord, b: EvalRecord) => {
  for (const key of ['t', 'lambda', 'trainLoss', 'testLoss', 'testAcc', 'paramNorm2'] as const) expect(a[key], `${key} at step ${a.step}`).toBe(b[key]);
};

describe('trainer refinement: dense evaluations around the first pass’s optima, replayed exactly', () => {
  const spec = parseOneLineSpec('dense(32) > relu > dense(32) > relu > dense(3)');
  const data = toyData();
  // λ large enough that the test loss has an interior minimum well inside 600 steps
  const base = { spec, data, lr: 0.1, budget: 60, batchSize: 8, momentum: 0.5 } as const;

  it('every refined record equals the one an every-step run logs at that step; t* within the refined resolution', async () => {
    const lambda = () => autoL2({ lambda0: 0.05, interval: 5 });
    // the reference: every step evaluated (an independent schedule of the same deterministic trajectory)
    const every = await trainRun({ ...base, lambda: lambda(), evalsPerDecade: 2000 });
    const dir = mkdtempSync(join(tmpdir(), 'ntk-refine-'));
    dirs.push(dir);
    const coarse = await trainRun({ ...base, lambda: lambda(), evalsPerDecade: 6 });
    const refined = await trainRun({ ...base, lambda: lambda(), evalsPerDecade: 6, refine: { factor: 1.02 }, dir });
    expect(every.records).toHaveLength(601);
    // Auto L2 decayed λ during the run: its state is part of what the replay restores
    expect(new Set(every.records.map((r) => r.lambda)).size).toBeGreaterThan(1);
    const byStep = new Map(every.records.map((r) => [r.step, r]));
    // snapshots replay the exact trajectory (params, momentum, batch order, the Auto L2 state)
    for (const r of refined.records) same(r, byStep.get(r.step)!);
    const steps = refined.records.map((r) => r.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(new Set(steps).size).toBe(steps.length);
    expect(refined.records.length).toBeGreaterThan(coarse.records.length);
    expect(refined.records.length).toBeLessThan(coarse.records.length + 60);
    // the log holds the same records in step order
    const logged = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EvalRecord);
    expect(logged.map((r) => r.step)).toEqual(steps);
    // t* of the loss: interior, and the refined one is within its stated resolution of the every-step truth
    expect(every.lossAtEdge).toBe(false);
    const truth = every.tStarLoss;
    expect(Math.abs(refined.tStarLoss / truth - 1)).toBeLessThanOrEqual(refined.tStarLossResolution + 1e-12);
    expect(refined.tStarLossResolution).toBeLessThanOrEqual(Math.max(0.02, (1 / refined.tStarLoss) * base.lr) + 1e-12);
    expect(coarse.tStarLossResolution).toBeGreaterThan(0.1);
    // the first pass alone: its records are a subset of the refined run's, unchanged
    for (const r of coarse.records) same(r, byStep.get(r.step)!);
  }, 120_000);

  it('refinement is opt-in: without it the fingerprint and the records are as before', () => {
    const fp = JSON.parse(runFingerprint({ ...base, lambda: 0.01 })) as Record<string, unknown>;
    expect('refine' in fp).toBe(false);
    const fpr = JSON.parse(runFingerprint({ ...base, lambda: 0.01, refine: {} })) as { refine: unknown };
    expect(fpr.refine).toEqual({ factor: 1.02, peaks: true, accuracyLevels: [] });
  });

  it('refuses a refinement factor ≤ 1', async () => {
    await expect(trainRun({ ...base, lambda: 0.01, refine: { factor: 1 } })).rejects.toThrow(/refinement factor must be a number > 1/);
  });
});
