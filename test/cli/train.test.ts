import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CLI_ENV as env } from '../cliHelpers.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ntk-train-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
const expectOneLineError = (r: ReturnType<typeof cli>, msg: RegExp) => {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(msg);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stdout).toBe('');
};

describe('ntk train / sweep: refused before any folder exists', () => {
  it('a network too wide for memory: exit 2 at once, one line with the estimate, no folder', () => {
    const out = join(temp(), 'wide', 'run'); // not even the parent is made
    const started = Date.now();
    const r = cli(['train', '--lambda', '0.01', '--budget', '1', '--width', '5000000', '--out', out]);
    // refused from the shapes alone, before TensorFlow.js loads (generous bound: the test machine may be busy)
    expect(Date.now() - started).toBeLessThan(15_000);
    expectOneLineError(r, /needs about [\d.]+ TiB, over the memory limit of .*--max-memory/);
    expect(existsSync(join(out, '..'))).toBe(false);
  }, 60_000);

  it('--max-memory: a limit the run exceeds, one above the machine\'s memory, and a bad size are refused', () => {
    const out = join(temp(), 'run');
    const base = ['train', '--lambda', '0.01', '--budget', '1', '--data', 'mnist:64:32', '--width', '16', '--out', out];
    expectOneLineError(cli([...base, '--max-memory', '64K']), /needs about [\d.]+ MiB, over the memory limit of 64.0 KiB/);
    expectOneLineError(cli([...base, '--max-memory', String(totalmem() + 2 ** 30)]), /above this machine's total memory/);
    expectOneLineError(cli([...base, '--max-memory', 'lots']), /cannot read memory size "lots"/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('a network whose outputs disagree with the targets: train and sweep leave no folder', () => {
    const root = temp();
    const data = ['--data', 'mnist:64:32', '--arch', 'dense(8)']; // 8 outputs, 10 classes
    const train = join(root, 'train');
    expectOneLineError(cli(['train', '--lambda', '0.01', '--budget', '1', ...data, '--out', train]), /8 outputs but the targets have 10 columns/);
    expect(existsSync(train)).toBe(false);
    const sweep = join(root, 'sweep');
    expectOneLineError(cli(['sweep', '--lambdas', '0.1,0.05', ...data, '--out', sweep]), /8 outputs but the targets have 10 columns/);
    expect(existsSync(sweep)).toBe(false);
    // too wide for memory: the sweep is refused the same way
    expectOneLineError(cli(['sweep', '--lambdas', '0.1,0.05', '--data', 'mnist:64:32', '--width', '5000000', '--out', sweep]), /needs about/);
    expect(existsSync(sweep)).toBe(false);
  }, 120_000);
});
