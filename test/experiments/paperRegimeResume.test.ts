import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ENV, runNodeAsync } from '../cliHelpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-regime-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = ['--import', 'tsx', 'test/experiments/lambdaChoiceChild.ts'];
const root = new URL('../..', import.meta.url).pathname;

/** Every finished run under WORK (a folder with result.json), as paths relative to WORK. */
function finished(work: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    if (existsSync(join(d, 'result.json'))) found.push(relative(work, d));
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  walk(work);
  return found.sort();
}

describe('accuracy_vs_lambda and predicted_vs_best_lambda killed with SIGKILL and restarted', () => {
  it('reuse the runs that finished, redo the rest, and give the numbers of an uninterrupted run', async () => {
    // uninterrupted reference, in a folder of its own
    const ref = await runNodeAsync([...CHILD, join(dir, 'ref-work'), join(dir, 'ref.json')], { cwd: root, env: CLI_ENV });
    expect(ref.status, ref.stderr).toBe(0);

    const work = join(dir, 'work');
    const out = join(dir, 'out.json');
    const child = spawn(process.execPath, [...CHILD, work, out], { cwd: root, env: CLI_ENV, stdio: 'ignore' });
    // SIGKILL as soon as two runs have finished (the next one is then under way)
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (finished(work).length >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the figure run ended before it could be killed'));
      });
    });
    await new Promise((r) => child.on('exit', r));
    const done = finished(work);
    const all = finished(join(dir, 'ref-work'));
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(done.length).toBeLessThan(all.length); // killed mid-way: runs were left to train
    expect(existsSync(out)).toBe(false);
    const mtimes = Object.fromEntries(done.map((r) => [r, statSync(join(work, r, 'result.json')).mtimeMs]));

    const again = await runNodeAsync([...CHILD, work, out], { cwd: root, env: CLI_ENV });
    expect(again.status, again.stderr).toBe(0);
    // the runs finished before the kill were loaded, not trained again: same result.json, and logged as reused
    for (const r of done) expect(statSync(join(work, r, 'result.json')).mtimeMs).toBe(mtimes[r]);
    const reused = again.stderr.split('\n').filter((l) => / reused, /.test(l)).map((l) => l.trim().split(':')[0]);
    expect(reused.map((n) => (n.startsWith('seed=') ? n.replace('/', '/runs/') : `runs/${n}`)).sort()).toEqual(done.map((r) => r.replace(/^lambda-choice\//, '')).sort());
    // every run is there now, and the numbers and verdicts are those of the uninterrupted run
    expect(finished(work)).toEqual(all);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8')));
    // nothing outside the two work folders and the two result files was written in the test's folder
    expect(readdirSync(dir).sort()).toEqual(['out.json', 'ref-work', 'ref.json', 'work']);
  }, 240_000); // ~40 s alone (three child processes: the reference, the killed one, the restart); longer under load
});
