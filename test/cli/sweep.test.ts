import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CLI_ENV as env, runCliAsync as runCli } from '../cliHelpers.js';

const base = tmpdir();
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(base, 'ntk-sweep-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// Small but real: 256 bundled digits, width-64 ReLU MLP, 3 λ × 2 η; every run takes a second or two.
const ARGS = ['sweep', '--data', 'mnist:256:200', '--width', '64', '--lambdas', '1e-2:1e-1:3', '--lrs', '0.5,1', '--budget-factor', '2', '--batch', '64', '--evals', '12', '--quiet'];

describe('ntk sweep', () => {
  it('a SIGKILLed sweep restarts without redoing finished runs and writes the same table', async () => {
    const ref = temp();
    const full = await runCli([...ARGS, '--out', ref]);
    expect(full.status, full.stderr).toBe(0);
    const line = JSON.parse(full.stdout);
    expect(full.stdout.trim().split('\n')).toHaveLength(1);
    expect(line).toMatchObject({ out: ref, runs: 6, widths: [64, 64, 10] });
    const saved = JSON.parse(readFileSync(join(ref, 'sweep.json'), 'utf8'));
    // the metadata records the network trained (--width 64), not only the --arch text
    expect(saved).toMatchObject({ width: 64, widths: [64, 64, 10] });
    expect(saved.network.layers.filter((l: { type: string }) => l.type === 'dense').map((l: { width: number }) => l.width)).toEqual([64, 64, 10]);
    expect(readFileSync(join(ref, 'tstar.csv'), 'utf8').split('\n')[0]).toBe('lambda,lr,seed,budget,tStarAcc,tStarLoss,lambdaTStarAcc,lambdaTStarLoss,bestTestAcc,bestTestLoss,accAtEdge,lossAtEdge');

    const out = temp();
    const child = spawn(process.execPath, [BIN, ...ARGS, '--out', out], { env, stdio: 'ignore' });
    const runs = join(out, 'runs');
    const finished = () => (existsSync(runs) ? readdirSync(runs).filter((r) => existsSync(join(runs, r, 'result.json'))) : []);
    // kill as soon as two runs have finished (the third is then under way)
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (finished().length >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the sweep ended before it could be killed'));
      });
    });
    await new Promise((r) => child.on('exit', r));
    const done = finished();
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(out, 'tstar.csv'))).toBe(false);
    const mtimes = Object.fromEntries(done.map((r) => [r, statSync(join(runs, r, 'result.json')).mtimeMs]));

    const again = await runCli([...ARGS, '--out', out]);
    expect(again.status, again.stderr).toBe(0);
    for (const r of done) expect(statSync(join(runs, r, 'result.json')).mtimeMs).toBe(mtimes[r]); // not redone
    expect(readFileSync(join(out, 'tstar.csv'), 'utf8')).toBe(readFileSync(join(ref, 'tstar.csv'), 'utf8'));
    // the same JSON line, but for the folder it names
    expect({ ...JSON.parse(again.stdout), out: ref }).toEqual(JSON.parse(full.stdout));
  }, 300_000);

  it.skipIf(process.platform === 'win32')('a second sweep on a folder in use is refused before it trains anything; the first completes', async () => {
    const out = join(temp(), 'sweep');
    const args = ['sweep', '--data', 'mnist:64:32', '--width', '16', '--lambdas', '0.1,0.05', '--budget-factor', '1', '--evals', '4', '--jobs', '1', '--quiet', '--out', out];
    const first = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstOut = '';
    let firstErr = '';
    first.stdout.on('data', (d: Buffer) => (firstOut += d.toString()));
    first.stderr.on('data', (d: Buffer) => (firstErr += d.toString()));
    const firstExit = new Promise<number | null>((resolve) => first.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(join(out, 'run.lock'))) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
      first.on('exit', () => {
        clearInterval(timer);
        reject(new Error(`the first sweep ended before its folder was locked: ${firstErr}`));
      });
    });
    // hold the first sweep still while the second starts, so that however fast it trains it is still "in use"
    first.kill('SIGSTOP');
    try {
      const second = await runCli(args);
      expect(second.status, second.stderr).toBe(2);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(new RegExp(`being trained by another process \\(pid ${first.pid}\\)`));
      expect(second.stdout).toBe('');
    } finally {
      first.kill('SIGCONT');
    }
    expect(await firstExit, firstErr).toBe(0);
    expect(JSON.parse(firstOut)).toMatchObject({ out, runs: 2, widths: [16, 16, 10] });
    expect(existsSync(join(out, 'tstar.csv'))).toBe(true);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  }, 120_000);

  it('bad input: a single λ, a negative learning rate, an unknown loss, repeated or negative seeds, a bad --jobs', () => {
    const out = join(temp(), 'x');
    for (const [args, msg] of [
      [['--lambdas', '0.1'], /at least two λ/],
      [['--lambdas', '1e-2,1e-1', '--lrs', '-1'], /--lrs must be > 0/],
      [['--lambdas', '1e-2,1e-1', '--loss', 'hinge'], /--loss must be mse or xent/],
      [['--lambdas', '1e-2,1e-1', '--net-seeds', '0,0'], /--net-seeds must differ/],
      [['--lambdas', '1e-2,1e-1', '--net-seeds', '0,-1'], /--net-seeds must be an integer ≥ 0/],
      [['--lambdas', '1e-2,1e-1', '--jobs', '0'], /--jobs must be an integer ≥ 1/],
      [['--lambdas', '1e-2,1e-1', '--jobs', 'two'], /--jobs/],
    ] as const) {
      const r = spawnSync(process.execPath, [BIN, 'sweep', '--data', 'mnist:64:32', '--width', '8', ...args, '--out', out], { encoding: 'utf8', env });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});
