import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dense } from '../../src/layers/dense.js';
import { relu } from '../../src/layers/abrelu.js';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { serial } from '../../src/layers/serial.js';
import { bindFinite, initParams } from '../../src/layers/network.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { evalSteps, trainRun, type TrainData } from '../../src/training/trainer.js';
import { InputError } from '../../src/util/errors.js';
import { openWorkDir } from '../../src/io/outputPath.js';
import { randomMatrix } from '../helpers.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ntk-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function toyData(n = 40, d = 6, k = 3): TrainData {
  const x = randomMatrix(n, d, 1);
  const xTest = randomMatrix(20, d, 2);
  const teacher = randomMatrix(d, k, 3);
  const target = (m: typeof x) => {
    const y = new Float64Array(m.rows * k);
    for (let i = 0; i < m.rows; i++) for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) y[i * k + c] += m.data[i * d + j] * teacher.data[j * k + c] / Math.sqrt(d);
    return { rows: m.rows, cols: k, data: y };
  };
  return { x, y: target(x), xTest, yTest: target(xTest), description: 'toy linear teacher' };
}

describe('trainRun', () => {
  it('one full-batch step is θ − η·(∇ data loss + λθ), checked against the gradient written out in float64', async () => {
    await initTfjs('auto');
    const data = toyData(10, 4, 2);
    const wStd = 1.3;
    const spec = serial(dense(2, { wStd })); // f = (σ/√d)·x·W: the gradient has a closed form
    const eta = 0.1;
    const lambda = 0.05;
    const res = await trainRun({ spec, data, lr: eta, budget: eta, lambda, batchSize: 10, evalsPerDecade: 1 });
    expect(res.steps).toBe(1);
    // Recompute by hand from the seeded initial weights.
    const w0 = initParams(bindFinite(spec, 4), 0).layers[0][0].dataSync();
    const s = wStd / 2;
    const grad = new Float64Array(8);
    for (let i = 0; i < 10; i++) {
      for (let c = 0; c < 2; c++) {
        let f = 0;
        for (let j = 0; j < 4; j++) f += s * data.x.data[i * 4 + j] * w0[j * 2 + c];
        const r = f - data.y.data[i * 2 + c];
        for (let j = 0; j < 4; j++) grad[j * 2 + c] += (s * data.x.data[i * 4 + j] * r) / 10;
      }
    }
    let norm2 = 0;
    for (let q = 0; q < 8; q++) norm2 += (w0[q] - eta * (grad[q] + lambda * w0[q])) ** 2;
    expect(res.records[res.records.length - 1].paramNorm2).toBeCloseTo(norm2, 4);
    expect(res.records[res.records.length - 1].integratedLambda).toBeCloseTo(lambda * eta, 12);
  });

  it('with λ only (targets equal to the initial outputs, so the data gradient starts at 0) the weights shrink by (1 − ηλ) per step', async () => {
    const spec = serial(dense(3, { wStd: 1 }));
    const base = toyData(8, 5, 3);
    // Targets = the network's own initial outputs → data gradient is zero at step 0; one step, so exact.
    const params = initParams(bindFinite(spec, 5), 4);
    const f = tf.matMul(tf.tensor2d(Float32Array.from(base.x.data), [8, 5]), params.layers[0][0] as tf.Tensor2D).mul(1 / Math.sqrt(5));
    const y = { rows: 8, cols: 3, data: Float64Array.from(f.dataSync()) };
    const w0 = Array.from(params.layers[0][0].dataSync());
    const n0 = w0.reduce((a, v) => a + v * v, 0);
    const res = await trainRun({ spec, data: { ...base, y }, lr: 0.2, budget: 0.2, lambda: 0.3, batchSize: 8, seed: 4, evalsPerDecade: 1 });
    expect(res.records[res.records.length - 1].paramNorm2 / n0).toBeCloseTo((1 - 0.2 * 0.3) ** 2, 5);
  });

  it('a killed run resumes from its checkpoint and ends with exactly the log of an uninterrupted run', async () => {
    const data = toyData();
    const spec = parseOneLineSpec('dense(32, wStd=1.4) > relu > dense(3, wStd=1.4)');
    const opts = { spec, data, lr: 0.05, budget: 0.05 * 60, lambda: 0.01, batchSize: 8, momentum: 0.5, evalsPerDecade: 10, kernelProbe: 6 } as const;
    const a = tempDir();
    await trainRun({ ...opts, dir: a });
    const b = tempDir();
    await expect(
      trainRun({
        ...opts,
        dir: b,
        checkpointSeconds: 0,
        onEval: (r) => {
          if (r.step >= 25) throw new Error('simulated kill');
        },
      }),
    ).rejects.toThrow('simulated kill');
    const resumed = await trainRun({ ...opts, dir: b });
    expect(resumed.resumedFromStep).toBeGreaterThan(0);
    expect(readFileSync(join(b, 'log.jsonl'), 'utf8')).toBe(readFileSync(join(a, 'log.jsonl'), 'utf8'));
    const ra = JSON.parse(readFileSync(join(a, 'result.json'), 'utf8'));
    const rb = JSON.parse(readFileSync(join(b, 'result.json'), 'utf8'));
    expect(rb.tStarAcc).toBe(ra.tStarAcc);
    expect(rb.bestTestLoss).toBe(ra.bestTestLoss);
  });

  it('checkpoints by wall time between evaluations too, and a run resumed from such a checkpoint is bit-identical', async () => {
    const data = toyData();
    const spec = parseOneLineSpec('dense(16, wStd=1.4) > relu > dense(3, wStd=1.4)');
    // one evaluation per decade: steps 0, 1, 10, 60 — long stretches without an evaluation
    const opts = { spec, data, lr: 0.05, budget: 0.05 * 60, lambda: 0.02, batchSize: 8, momentum: 0.3, evalsPerDecade: 1 } as const;
    expect(evalSteps(60, 1)).toEqual([0, 1, 10, 60]);
    const a = tempDir();
    await trainRun({ ...opts, dir: a });
    const b = tempDir();
    let seenMidInterval = 0;
    await expect(
      trainRun({
        ...opts,
        dir: b,
        checkpointSeconds: 0,
        onEval: (r) => {
          if (r.step !== 10) return;
          // the newest checkpoint is the one taken by the clock at step 9, not at an evaluation
          seenMidInterval = (JSON.parse(readFileSync(join(b, 'checkpoint.json'), 'utf8')) as { step: number; logLines: number }).step;
          throw new Error('simulated kill');
        },
      }),
    ).rejects.toThrow('simulated kill');
    expect(seenMidInterval).toBe(9);
    const meta = JSON.parse(readFileSync(join(b, 'checkpoint.json'), 'utf8')) as { step: number; logLines: number };
    expect(meta).toMatchObject({ step: 9, logLines: 2 }); // the log's third line (step 10) is past the checkpoint
    expect(readFileSync(join(b, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    const resumed = await trainRun({ ...opts, dir: b });
    expect(resumed.resumedFromStep).toBe(9);
    expect(readFileSync(join(b, 'log.jsonl'), 'utf8')).toBe(readFileSync(join(a, 'log.jsonl'), 'utf8'));
    const ra = JSON.parse(readFileSync(join(a, 'result.json'), 'utf8'));
    const rb = JSON.parse(readFileSync(join(b, 'result.json'), 'utf8'));
    for (const key of ['tStarAcc', 'tStarLoss', 'bestTestAcc', 'bestTestLoss', 'finalTestAcc', 'finalTestLoss']) expect(rb[key]).toBe(ra[key]);
  });

  it('a folder holding another run is refused; bad options are named', async () => {
    const data = toyData();
    const spec = parseOneLineSpec('dense(8) > relu > dense(3)');
    const dir = tempDir();
    await trainRun({ spec, data, lr: 0.1, budget: 1, lambda: 0.01, dir, checkpointSeconds: 0 });
    // a finished run's folder is not overwritten by a run with other options
    await expect(trainRun({ spec, data, lr: 0.2, budget: 1, lambda: 0.01, dir })).rejects.toThrow(/holds a finished run with other options/);
    await expect(trainRun({ spec, data, lr: -1, budget: 1, lambda: 0 })).rejects.toThrow(/learning rate η must be a positive finite number/);
    await expect(trainRun({ spec, data, lr: 0.1, budget: 1, lambda: -0.1 })).rejects.toThrow(InputError);
    await expect(trainRun({ spec, data, lr: 0.1, budget: 1, lambda: 0.1, momentum: 1 })).rejects.toThrow(/momentum must be in \[0, 1\)/);
    await expect(trainRun({ spec: parseOneLineSpec('dense(8) > relu > dense(4)'), data, lr: 0.1, budget: 1, lambda: 0 })).rejects.toThrow(/4 outputs but the targets have 3 columns/);
    await expect(trainRun({ spec, data, lr: 1e6, budget: 1e7, lambda: 0, evalsPerDecade: 2 })).rejects.toThrow(/diverged/);
  });

  it('evaluation steps are 0, log-spaced, and the last', () => {
    expect(evalSteps(100, 2)).toEqual([0, 1, 3, 10, 32, 100]);
    expect(evalSteps(1, 5)).toEqual([0, 1]);
  });

  it('kernel tracking: a bias-free ReLU net under λ alone decays like exp(−2(L−1)λt) at early times', async () => {
    // a wide net, tiny learning signal: targets = 0 and outputs ≈ 0 are not possible at init, so keep the
    // run short (λt ≤ 0.2) and compare the kernel trace ratio with the theory within 10%
    const data = toyData(32, 8, 2);
    const spec = serial(dense(512, { wStd: Math.SQRT2 }), relu(), dense(512, { wStd: Math.SQRT2 }), relu(), dense(2, { wStd: Math.SQRT2 }));
    const lambda = 0.5;
    const res = await trainRun({ spec, data, lr: 0.01, budget: 0.4, lambda, batchSize: 32, kernelProbe: 16, kernelEvalsPerDecade: 4, evalsPerDecade: 4 });
    const k = res.records.filter((r) => r.kernelTrace !== undefined);
    const first = k[0];
    const last = k[k.length - 1];
    const theory = Math.exp(-2 * 2 * lambda * last.t);
    expect(Math.abs(last.kernelTrace! / first.kernelTrace! / theory - 1)).toBeLessThan(0.1);
  });
});

describe('run folder lock', () => {
  const spec = parseOneLineSpec('dense(8) > relu > dense(3)');
  const opts = (dir: string) => ({ spec, data: toyData(), lr: 0.5, budget: 5, lambda: 0.01, batchSize: 20, evalsPerDecade: 4, dir });

  it('a folder held by a live process is refused with a clear error; the lock is released after the run', async () => {
    const dir = tempDir();
    openWorkDir(dir, 'run'); // a run folder (ntk's marker): the lock is what stops the run
    const lock = join(dir, 'run.lock');
    // the parent of this test process is alive for as long as the test runs
    writeFileSync(lock, `${process.ppid} ${hostname()}`);
    await expect(trainRun(opts(dir))).rejects.toThrow(/being trained by another process \(pid \d+\)/);
    writeFileSync(lock, `${process.ppid} ${hostname()}\n`); // written by hand (echo): the newline is not part of the host
    await expect(trainRun(opts(dir))).rejects.toThrow(/being trained by another process \(pid \d+\)/);
    expect(existsSync(join(dir, 'log.jsonl'))).toBe(false); // nothing touched
    rmSync(lock);
    await trainRun(opts(dir));
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(dir, 'result.json'))).toBe(true);
  });

  it('a lock left by a process that is gone (e.g. SIGKILL) is taken over', async () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!; // has exited when spawnSync returns
    openWorkDir(dir, 'run');
    writeFileSync(join(dir, 'run.lock'), `${dead} ${hostname()}`);
    const res = await trainRun(opts(dir));
    expect(res.steps).toBe(10);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('an empty lock (its creator killed before it wrote its pid) is taken over once it is 2 s old; a new lock is written whole', async () => {
    const dir = tempDir();
    openWorkDir(dir, 'run');
    const lock = join(dir, 'run.lock');
    writeFileSync(lock, '');
    await expect(trainRun(opts(dir))).rejects.toThrow(/being locked by another process right now/);
    const old = new Date(Date.now() - 10_000);
    utimesSync(lock, old, old);
    const res = await trainRun(opts(dir));
    expect(res.steps).toBe(10);
    expect(existsSync(lock)).toBe(false);
    // while a run holds it, the lock holds the pid and host, and no temporary file is left beside it
    const dir2 = tempDir();
    const run = trainRun({ ...opts(dir2), budget: 50 });
    expect(readFileSync(join(dir2, 'run.lock'), 'utf8')).toBe(`${process.pid} ${hostname()}`);
    expect(readdirSync(dir2).filter((f) => f.startsWith('run.lock.'))).toEqual([]);
    await run;
  });

  it('two runs on one folder at once in the same process: the second is refused', async () => {
    const dir = tempDir();
    const first = trainRun({ ...opts(dir), budget: 50 });
    const second = trainRun(opts(dir));
    await expect(second).rejects.toThrow(/being trained by this process already/);
    await first;
  });
});
