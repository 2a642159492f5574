import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareAutoL2 } from '../../src/experiments/autoL2Compare.js';
import { bundledDataset } from '../../src/experiments/dataset.js';
import { defaultJobs } from '../../src/experiments/jobs.js';
import { runPool } from '../../src/experiments/runPool.js';
import { lambdaSweep } from '../../src/experiments/sweep.js';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { InputError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = bundledDataset('mnist:128:100');
const spec = parseOneLineSpec('[dense(32, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
const small = { spec, data, batchSize: 32, evalsPerDecade: 12 };
// a run's log without its wall-clock fields: what must not depend on where the run trained
const logOf = (d: string): unknown[] => readFileSync(join(d, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);

describe('parallel runs in worker threads', () => {
  it('a sweep with jobs = 2 gives exactly the numbers and logs of jobs = 1, in plan order', async () => {
    const o = { ...small, lambdas: [1e-2, 3e-2, 1e-1], lrs: [0.5], budgetFactor: 1.5 };
    const started: string[] = [];
    const seq = await lambdaSweep({ ...o, dir: join(dir, 's1') });
    const par = await lambdaSweep({ ...o, dir: join(dir, 's2'), jobs: 2, onRunStart: (_i, _n, name) => started.push(name) });
    const strip = (r: typeof seq) => ({ ...r, rows: r.rows.map((x) => ({ ...x, wallSeconds: 0 })) });
    expect(strip(par)).toEqual(strip(seq));
    expect(par.rows.map((r) => r.lambda)).toEqual([1e-2, 3e-2, 1e-1]);
    expect([...started].sort()).toEqual(par.rows.map((r) => `lambda=${r.lambda.toExponential(2)}_lr=0.5_seed=0`).sort());
    for (const r of par.rows) {
      const name = `lambda=${r.lambda.toExponential(2)}_lr=0.5_seed=0`;
      expect(logOf(join(dir, 's2', 'runs', name))).toEqual(logOf(join(dir, 's1', 'runs', name)));
    }
    // finished runs are loaded, not trained again
    const again = await lambdaSweep({ ...o, dir: join(dir, 's2'), jobs: 2 });
    expect(strip(again)).toEqual(strip(par));
  }, 180_000);

  it('Auto L2 (a policy rebuilt from its options inside the worker) decides exactly as on the main thread', async () => {
    const o = { ...small, lr: 0.5, budget: 30, auto: { lambda0: 0.1 }, grid: [1e-2], seeds: [0] };
    const seq = await compareAutoL2({ ...o, dir: join(dir, 'a1') });
    const par = await compareAutoL2({ ...o, dir: join(dir, "a2"), jobs: 2 });
    expect(par).toEqual(seq);
    expect(par.auto.curves[0].lambda.some((l) => l < 0.1)).toBe(true); // it did decay, so the comparison has teeth
  }, 180_000);

  it('the same run asked for twice while pending trains once and serves both', async () => {
    const pool = runPool(2);
    const req = { ...small, lr: 0.5, budget: 10, lambda: 1e-2, dir: join(dir, 'twice') };
    const [a, b] = await Promise.all([pool.run(req), pool.run({ ...req })]);
    expect(b).toEqual(a);
    expect(a.reused).toBe(false);
    const steps = logOf(req.dir).map((r) => (r as { step: number }).step);
    expect(new Set(steps).size).toBe(steps.length); // one training wrote the log, no step twice
    // a sweep whose λ list repeats a value: one run, the same row twice
    const sw = await lambdaSweep({ ...small, lambdas: [1e-2, 1e-2, 3e-2], lrs: [0.5], budgetFactor: 0.3, dir: join(dir, 'rep'), jobs: 2 });
    expect(sw.rows[1]).toEqual(sw.rows[0]);
  }, 120_000);

  it('errors from a worker keep their kind; a bad job count is refused', async () => {
    const pool = runPool(2);
    const bad = { ...small, spec: parseOneLineSpec('dense(8) > relu > dense(3)'), lr: 0.5, budget: 2, lambda: 1e-2, dir: join(dir, 'bad') };
    await expect(pool.run(bad)).rejects.toThrow(InputError); // 3 outputs for 10-class targets
    expect(() => runPool(0)).toThrow(InputError);
    expect(() => runPool(1.5)).toThrow(/--jobs/);
  }, 60_000);

  it('default job counts: one per core for wasm/cpu (one thread each), 1 for tfjs-node', () => {
    expect(defaultJobs('wasm')).toBe(availableParallelism());
    expect(defaultJobs('cpu')).toBe(availableParallelism());
    expect(defaultJobs('tensorflow')).toBe(1);
    const resolvable = (pkg: string): boolean => {
      try {
        createRequire(import.meta.url).resolve(pkg);
        return true;
      } catch {
        return false;
      }
    };
    // 'auto' picks tfjs-node(-gpu) when installed (never on the CI machine, where it cannot install)
    const native = resolvable('@tensorflow/tfjs-node-gpu') || resolvable('@tensorflow/tfjs-node');
    expect(defaultJobs('auto')).toBe(native ? 1 : availableParallelism());
  });
});
