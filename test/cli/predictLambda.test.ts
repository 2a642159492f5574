import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync as runCli } from '../cliHelpers.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ntk-predict-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// 256 digits, width-64 MLP: each run takes a second or two.
const ARGS = ['predict-lambda', '--data', 'mnist:256:200', '--width', '64', '--budget', '60', '--lambda0', '0.05', '--short-factor', '3', '--grid', '3e-3,1e-2,3e-2', '--batch', '64', '--evals', '12', '--quiet'];

describe('ntk predict-lambda', () => {
  it('with several seeds: one folder per seed, mean ± s.e. per λ and the paired gap, rerun reuses every run', async () => {
    const out = temp();
    const r = await runCli([...ARGS, '--net-seeds', '0,1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'seed=0', 'runs'))).toBe(true);
    expect(existsSync(join(out, 'seed=1', 'runs'))).toBe(true);
    const res = JSON.parse(readFileSync(join(out, 'predict.json'), 'utf8')) as { seeds: number[]; gap: { mean: number; perSeed: number[] } };
    expect(res.seeds).toEqual([0, 1]);
    expect(res.gap.mean).toBeCloseTo((res.gap.perSeed[0] + res.gap.perSeed[1]) / 2, 12);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const line = JSON.parse(r.stdout);
    expect(line).toMatchObject({ out, seeds: [0, 1], widths: [64, 64, 10] });
    // float32 results are printed at float32 precision: the same float32 as predict.json's float64 text
    expect(Math.fround(line.gap.mean)).toBe(Math.fround(res.gap.mean));
    // the metadata records the network trained (--width 64)
    expect(JSON.parse(readFileSync(join(out, 'predict.json'), 'utf8'))).toMatchObject({ width: 64, widths: [64, 64, 10] });
    const again = await runCli([...ARGS, '--net-seeds', '0,1', '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(r.stdout);
  }, 240_000); // two CLI runs of 2 seeds × 5 runs: ~40 s alone, over 60 s at load 12 on the shared 2-core box

  it('a short run still improving at its end: one line, exit 2, no prediction (inside `ntk figures` the seed is recorded instead)', async () => {
    // λ0 = 0.05 for 0.05/λ0 = 1 (2 steps of η = 0.5): the test loss is still falling at the end of the short run
    const out = temp();
    const args = ARGS.map((a, i) => (ARGS[i - 1] === '--short-factor' ? '0.05' : a));
    const r = await runCli([...args, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ntk: error: the short run at λ0 = 0\.05 was still improving its test loss at its end \(t = 1\), so t\* and c = λ0·t\* are unknown/);
    expect(existsSync(join(out, 'predict.json'))).toBe(false);
  }, 120_000); // one 2-step run: ~30 s at load 12, mostly loading TensorFlow.js

  it('bad seed lists get one line and exit 2', async () => {
    for (const seeds of ['0,0', '0,x', '-1']) {
      const r = await runCli([...ARGS, '--net-seeds', seeds, '--out', temp()]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--net-seeds/);
    }
  });
});
