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
  });

  it('bad seed lists get one line and exit 2', async () => {
    for (const seeds of ['0,0', '0,x', '-1']) {
      const r = await runCli([...ARGS, '--net-seeds', seeds, '--out', temp()]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--net-seeds/);
    }
  });
});
