import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { evalSubsetIndices } from '../../src/training/evalSubset.js';
import { runFingerprint, trainRun, type TrainData, type TrainOptions } from '../../src/training/trainer.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

// How a run evaluates, end to end: the train metrics on a fixed seeded subset (the same points at every evaluation),
// the evaluation and training times reported apart, and the fingerprint.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
beforeAll(async () => {
  await initTfjs('auto');
});

const [n, d, k, size] = [40, 6, 2, 10];
const subset = new Set(evalSubsetIndices(n, size));
const x = randomMatrix(n, d, 1);
// targets 0 on the subset's points and 1000 on every other training point: a train loss measured on any point outside
// the subset is ≥ 1000²/(2·size) = 5·10⁴, on the subset alone it is |f|²/2 = O(1)
const y: Mat = { rows: n, cols: k, data: new Float64Array(n * k).map((_, q) => (subset.has(Math.floor(q / k)) ? 0 : 1000)) };
const data: TrainData = { x, y, xTest: randomMatrix(15, d, 2), yTest: randomMatrix(15, k, 3), description: 'subset probe' };
const spec = parseOneLineSpec('dense(8, wStd=1.41421356) > relu > dense(2, wStd=1.41421356)');
// η small enough that 20 full-batch steps on the targets of 1000 move the outputs by O(1e-2) only
const base: TrainOptions = { spec, data, lr: 1e-6, budget: 20e-6, lambda: 0, batchSize: n, evalsPerDecade: 12, evalTrainSubset: size };

describe('evaluation in a run', () => {
  it('evalTrainSubset: every evaluation measures the train metrics on the same fixed subset; step 0 agrees exactly with a run trained on those points', async () => {
    const res = await trainRun(base);
    expect(res.records.length).toBeGreaterThan(5);
    for (const r of res.records) expect(r.trainLoss).toBeLessThan(100); // never a point outside the subset (≥ 5·10⁴)
    // the same network at step 0 evaluated on the subset's rows uploaded as the whole training set (its default evaluation)
    const rows = Array.from(evalSubsetIndices(n, size));
    const pick = (m: Mat): Mat => ({ rows: size, cols: m.cols, data: Float64Array.from(rows.flatMap((i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)))) });
    const alone = await trainRun({ ...base, data: { ...data, x: pick(x), y: pick(y) }, batchSize: size, evalTrainSubset: undefined });
    expect(alone.records[0].trainLoss).toBe(res.records[0].trainLoss);
    expect(alone.records[0].trainAcc).toBe(res.records[0].trainAcc);
    expect(alone.records[0].testLoss).toBe(res.records[0].testLoss);
    // without the subset the first evalTrainSize (here all 40) points are measured: the loss of the targets of 1000
    const all = await trainRun({ ...base, evalTrainSubset: undefined });
    expect(all.records[0].trainLoss).toBeGreaterThan(5e4);
    expect(all.records.map((r) => r.testLoss)).toEqual(res.records.map((r) => r.testLoss)); // the test metrics do not depend on it
  });

  it('a seeded run with the subset reproduces its log exactly; the times are reported apart (≥ 0, eval + train ≤ wall) in the result, result.json and the fingerprint changes with the subset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-evalrun-'));
    dirs.push(dir);
    const opts: TrainOptions = { ...base, data: { ...data, y: randomMatrix(n, k, 5) }, lr: 0.05, budget: 1, batchSize: 8, seed: 4, dir: join(dir, 'a') };
    const a = await trainRun(opts);
    const b = await trainRun({ ...opts, dir: join(dir, 'b') });
    expect(readFileSync(join(dir, 'b', 'log.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'log.jsonl'), 'utf8'));
    for (const r of [a, b]) {
      expect(r.evalSeconds).not.toBeNull();
      expect(r.trainSeconds).not.toBeNull();
      expect(r.evalSeconds!).toBeGreaterThanOrEqual(0);
      expect(r.trainSeconds!).toBeGreaterThan(0); // 20 steps were taken
      expect(r.evalSeconds! + r.trainSeconds!).toBeLessThanOrEqual(r.wallSeconds);
    }
    const saved = JSON.parse(readFileSync(join(dir, 'a', 'result.json'), 'utf8')) as Record<string, unknown>;
    expect(saved.evalSeconds).toBe(a.evalSeconds);
    expect(saved.trainSeconds).toBe(a.trainSeconds);
    // the fingerprint names the subset only when it is set (runs without it keep theirs), and changes with its size
    const fp = (o: Partial<TrainOptions>) => JSON.parse(runFingerprint({ ...opts, ...o })) as Record<string, unknown>;
    expect(fp({}).evalTrainSubset).toBe(size);
    expect(fp({ evalTrainSubset: 20 }).evalTrainSubset).toBe(20);
    expect('evalTrainSubset' in fp({ evalTrainSubset: undefined })).toBe(false);
    expect('evalTrainSize' in fp({ evalTrainSubset: undefined })).toBe(false);
    expect(fp({ evalTrainSubset: undefined, evalTrainSize: 16 }).evalTrainSize).toBe(16);
    // a folder holding the run with the subset refuses the same run without it (other numbers)
    await expect(trainRun({ ...opts, evalTrainSubset: undefined })).rejects.toThrow('holds a finished run with other options');
  });

  it('bad subsets are refused before anything is created', async () => {
    await expect(trainRun({ ...base, evalTrainSubset: 0 })).rejects.toThrow(InputError);
    await expect(trainRun({ ...base, evalTrainSize: 5 })).rejects.toThrow('evalTrainSubset and evalTrainSize both choose the evaluated training points: give one');
  });
});
