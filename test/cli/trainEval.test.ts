import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CLI_ENV as env } from '../cliHelpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });

describe('ntk train --eval-train and the reported evaluation time', () => {
  it('a bad --eval-train: exit 2, one line, no folder; a run reports evalSeconds and trainSeconds, its folder is tied to the subset', () => {
    const root = mkdtempSync(join(tmpdir(), 'ntk-train-eval-'));
    dirs.push(root);
    const out = join(root, 'run');
    const base = ['train', '--lambda', '0.01', '--budget', '2', '--data', 'mnist:64:32', '--width', '16', '--quiet', '--out', out];
    const bad = cli([...base, '--eval-train', '0']);
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['ntk: error: --eval-train must be an integer ≥ 1 (at most 2^53 − 1), got "0"']);
    expect(existsSync(out)).toBe(false);

    const r = cli([...base, '--eval-train', '16']);
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
    expect(line.evalSeconds).toBeGreaterThanOrEqual(0);
    expect(line.trainSeconds).toBeGreaterThan(0);
    expect(line.evalSeconds + line.trainSeconds).toBeLessThanOrEqual(line.wallSeconds);
    const saved = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { evalSeconds: number; options: Record<string, unknown> };
    expect(saved.options.evalTrainSubset).toBe(16);
    expect(saved.evalSeconds).toBe(line.evalSeconds);
    // the same command again prints the finished run (times included); without the subset it is another run
    const again = cli([...base, '--eval-train', '16']);
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Record<string, number>).evalSeconds).toBe(line.evalSeconds);
    const other = cli(base);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/holds a finished run with other options/);
  }, 120_000);
});
