import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { runCliAsync } from '../cliHelpers.js';

// A user's folder with files ntk never wrote; every command is pointed at it (and into it) with every
// --out/--force combination that must be refused, and the folder must come out byte for byte the same.
let user: string;
let fixtures: string;
beforeAll(() => {
  fixtures = mkdtempSync(join(tmpdir(), 'ntk-safety-fx-'));
  const n = 6;
  const x = Float64Array.from({ length: n * 3 }, (_, i) => Math.sin(i + 1));
  const theta = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) theta[i * n + j] = (i === j ? 1 : 0) + x[i * 3] * x[j * 3] + x[i * 3 + 1] * x[j * 3 + 1];
  writeNpy(join(fixtures, 'x.npy'), { shape: [n, 3], data: x });
  writeNpy(join(fixtures, 'theta.npy'), { shape: [n, n], data: theta });
  writeNpy(join(fixtures, 'y.npy'), { shape: [n, 1], data: Float64Array.from({ length: n }, (_, i) => i % 2) });
});
afterAll(() => {
  for (const d of [user, fixtures]) if (d) rmSync(d, { recursive: true, force: true });
});

function makeUserFolder(): string {
  const d = mkdtempSync(join(tmpdir(), 'ntk-safety-user-'));
  writeFileSync(join(d, 'thesis.tex'), '\\documentclass{article} precious');
  mkdirSync(join(d, 'data'));
  writeFileSync(join(d, 'data', 'keep.csv'), '1,2,3\n');
  mkdirSync(join(d, 'results'));
  writeFileSync(join(d, 'results', 'old.txt'), 'last year');
  writeFileSync(join(d, 'notes.npy'), 'not an array');
  return d;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[`${rel}${e.name}/`] = 'dir';
        walk(p, `${rel}${e.name}/`);
      } else out[`${rel}${e.name}`] = createHash('sha1').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

const TINY_TRAIN = ['--data', 'mnist:16:8', '--width', '8', '--quiet'];
const commands: Record<string, (out: string) => string[]> = {
  flow: (out) => ['flow', '--theta', join(fixtures, 'theta.npy'), '--y', join(fixtures, 'y.npy'), '--lambda', '0.01', '--depth', '2', '--times', 'lin:0:1:3', '--out', out],
  scan: (out) => ['scan', '--arch', 'dense(8) > relu > dense(10)', '--data', 'mnist:16:8', '--lambdas', '0.01,0.1', '--quiet', '--out', out],
  train: (out) => ['train', ...TINY_TRAIN, '--lambda', '0.01', '--budget', '1', '--out', out],
  sweep: (out) => ['sweep', ...TINY_TRAIN, '--lambdas', '0.01,0.1', '--budget-factor', '0.1', '--out', out],
  'predict-lambda': (out) => ['predict-lambda', ...TINY_TRAIN, '--budget', '1', '--grid', 'none', '--out', out],
  autol2: (out) => ['autol2', ...TINY_TRAIN, '--budget', '1', '--grid', '0.01', '--out', out],
  figures: (out) => ['figures', '--out', out],
  figure: (out) => ['figure', 'tstar_vs_lambda_theory', '--out', out],
  'figures --work': (out) => ['figures', '--out', 'figs', '--work', out],
};

const HAS_FORCE = new Set(['flow', 'scan', 'train']);

/** Output places no command may use; `{user}` is the user's folder itself. */
const BAD_OUTS: { out: string; force?: boolean }[] = [
  { out: '' },
  { out: '', force: true },
  { out: '.' },
  { out: '.', force: true },
  { out: '..', force: true },
  { out: '{user}', force: true },
  { out: 'results' },
  { out: 'results', force: true },
  { out: 'data', force: true },
  { out: 'thesis.tex', force: true },
  { out: 'thesis.tex/sub', force: true },
];

async function expectRefused(args: string[], cwd: string): Promise<void> {
  const before = snapshot(cwd);
  const r = await runCliAsync(args, { cwd });
  const what = `ntk ${args.join(' ')}`;
  expect(r.status, `${what}\n${r.stderr}`).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, what).toHaveLength(1);
  expect(lines[0], what).toMatch(/^ntk: error: /);
  expect(snapshot(cwd), what).toEqual(before);
}

describe('no command removes, replaces or writes into what ntk did not create', () => {
  for (const [name, build] of Object.entries(commands)) {
    it(`${name}: every refused --out / --force combination leaves the user's folder untouched`, async () => {
      user = user ?? makeUserFolder();
      // two at a time: each case is a short-lived process
      const queue = [...BAD_OUTS];
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const out = c.out === '{user}' ? user : c.out;
          const force = c.force && HAS_FORCE.has(name) ? ['--force'] : [];
          await expectRefused([...build(out), ...force], user);
        }
      };
      await Promise.all([worker(), worker()]);
    }, 120_000);
  }

  it('kernel: --out naming a folder, a non-.npy file (even with --force) or an existing .npy without --force is refused', async () => {
    user = user ?? makeUserFolder();
    const base = ['kernel', '--arch', 'dense(4) > relu > dense(1)', '--x1', join(fixtures, 'x.npy')];
    mkdirSync(join(user, 'K.npy'), { recursive: true });
    for (const out of [['--out', ''], ['--out', 'K.npy', '--force'], ['--out', 'notes.npy'], ['--out', 'notes.npy', '--force'], ['--out', '.'], ['--out', 'thesis.tex/K.npy']]) {
      await expectRefused([...base, ...out], user);
    }
    rmSync(join(user, 'K.npy'), { recursive: true });
    const ok = await runCliAsync([...base, '--out', 'new/K.npy'], { cwd: user });
    expect(ok.status, ok.stderr).toBe(0);
    await expectRefused([...base, '--out', 'new/K.npy'], user);
    const again = await runCliAsync([...base, '--out', 'new/K.npy', '--force'], { cwd: user });
    expect(again.status, again.stderr).toBe(0);
    rmSync(join(user, 'new'), { recursive: true });
  }, 120_000);

  it('kernel --empirical: an unwritable --stderr is refused before out.npy is written', async () => {
    user = user ?? makeUserFolder();
    await expectRefused(['kernel', '--arch', 'dense(4) > relu > dense(1)', '--x1', join(fixtures, 'x.npy'), '--empirical', '--seeds', '2', '--out', 'out.npy', '--stderr', 'thesis.tex/se.npy'], user);
  }, 60_000);

  it('train --force restarts a finished run removing only its own files, and only after every input is checked', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ntk-safety-train-'));
    try {
      const args = ['train', ...TINY_TRAIN, '--lambda', '0.01', '--budget', '1', '--out', 'run'];
      const first = await runCliAsync(args, { cwd: work });
      expect(first.status, first.stderr).toBe(0);
      writeFileSync(join(work, 'run', 'analysis.ipynb'), '{"mine": true}');
      const finished = snapshot(work);
      // a finished run re-run without --force: its result again, exit 0, nothing written; with other options: refused;
      // with --force but bad data: refused before anything is removed
      const rerun = await runCliAsync(args, { cwd: work });
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(JSON.parse(rerun.stdout)).toEqual(JSON.parse(first.stdout));
      expect(snapshot(work)).toEqual(finished);
      await expectRefused(args.map((a) => (a === '0.01' ? '0.02' : a)), work);
      await expectRefused([...args.slice(0, 1), '--data', 'mnist:0:10', ...args.slice(3), '--force'], work);
      expect(snapshot(work)).toEqual(finished);
      const again = await runCliAsync([...args, '--force'], { cwd: work });
      expect(again.status, again.stderr).toBe(0);
      expect(readFileSync(join(work, 'run', 'analysis.ipynb'), 'utf8')).toBe('{"mine": true}');
      expect(existsSync(join(work, 'run', 'result.json'))).toBe(true);
      // the same numbers as the first time (a seeded run, started over)
      expect(JSON.parse(again.stdout).finalTestAcc).toBe(JSON.parse(first.stdout).finalTestAcc);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('a refused training command creates no folder (the network does not fit the data)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ntk-safety-fit-'));
    try {
      for (const cmd of [
        ['train', '--data', 'mnist:16:8', '--arch', 'dense(8) > relu > dense(3)', '--lambda', '0.01', '--budget', '1', '--out', 'a/run'],
        ['sweep', '--data', 'mnist:16:8', '--arch', 'dense(8) > relu > dense(3)', '--lambdas', '0.01,0.1', '--out', 'a/sweep'],
        ['autol2', '--data', 'mnist:16:8', '--arch', 'dense(8) > relu > dense(3)', '--budget', '1', '--grid', '0.01', '--out', 'a/auto'],
      ]) {
        await expectRefused([...cmd, '--quiet'], work);
        expect(existsSync(join(work, 'a'))).toBe(false);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
