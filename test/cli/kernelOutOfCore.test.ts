import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { BIN, CLI_ENV, runCliAsync } from '../cliHelpers.js';
import { randomMatrix } from '../helpers.js';

/** The CLI as a user runs it: the compiled bin (npm test builds dist/ first). */
const ARCH = new URL('../../examples/relu3.json', import.meta.url).pathname;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-cli-ooc-'));
  writeNpy(join(dir, 'small.npy'), { shape: [300, 50], data: randomMatrix(300, 50, 31).data });
  writeNpy(join(dir, 'big.npy'), { shape: [2000, 100], data: randomMatrix(2000, 100, 32).data });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kernelArgs = (x: string, out: string, extra: string[] = []): string[] => ['kernel', '--arch', ARCH, '--x1', join(dir, x), '--out', join(dir, out), '--quiet', ...extra];
const sameFile = (a: string, b: string): boolean => readFileSync(join(dir, a)).equals(readFileSync(join(dir, b)));

/** Rows of a journal that record finished tiles (all lines but the head). */
function journalTiles(path: string): number {
  if (!existsSync(path)) return 0;
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('{"r0"')).length;
}

describe('ntk kernel out of core (CLI)', () => {
  it('--tile i/4 jobs merged by kernel-merge equal the one-process kernel bit for bit', async () => {
    const one = await runCliAsync(kernelArgs('small.npy', 'one.npy', ['--out-of-core', '--tile-rows', '32', '--threads', '1']));
    expect(one.status, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ shape: [300, 300], tiles: 10, dtype: 'float64' });
    // the four jobs run at once, as an array job would
    const parts = await Promise.all([0, 1, 2, 3].map((i) => runCliAsync(kernelArgs('small.npy', 'four.npy', ['--tile', `${i}/4`, '--tile-rows', '32', '--threads', '1']))));
    for (const p of parts) expect(p.status, p.stderr).toBe(0);
    expect(parts.map((p) => (JSON.parse(p.stdout) as { rows: number[] }).rows)).toEqual([[0, 64], [64, 160], [160, 224], [224, 300]]);
    // a requeued job whose part is finished does nothing
    const again = await runCliAsync(kernelArgs('small.npy', 'four.npy', ['--tile', '2/4', '--tile-rows', '32']));
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyComplete: true });
    const merged = await runCliAsync(['kernel-merge', '--out', join(dir, 'four.npy'), '--quiet']);
    expect(merged.status, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({ shape: [300, 300], parts: 4, removedParts: 8 });
    expect(sameFile('four.npy', 'one.npy')).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('four.part'))).toEqual([]);
  });

  it('a tile job killed with SIGKILL, rerun, completes the file: the merge equals the one-process kernel bit for bit', async () => {
    const args = (out: string, extra: string[]): string[] => kernelArgs('big.npy', out, ['--tile-rows', '20', '--threads', '1', ...extra]);
    const ref = await runCliAsync(args('ref.npy', ['--out-of-core']));
    expect(ref.status, ref.stderr).toBe(0);
    const part = join(dir, 'k.part1of2.npy');
    const journal = join(dir, '.k.part1of2.npy.ntk-journal');
    const child = spawn(process.execPath, [BIN, ...args('k.npy', ['--tile', '1/2'])], { env: CLI_ENV, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // kill it once three of its 50 tiles are on disk
    for (let waited = 0; journalTiles(journal) < 3 && waited < 120_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const kept = journalTiles(journal);
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(50); // killed mid-run: the part is unfinished
    expect(existsSync(part)).toBe(false);
    const rerun = await runCliAsync(args('k.npy', ['--tile', '1/2']));
    expect(rerun.status, rerun.stderr).toBe(0);
    const s = JSON.parse(rerun.stdout) as { resumedTiles: number; tiles: number };
    expect(s.tiles).toBe(50);
    expect(s.resumedTiles).toBeGreaterThanOrEqual(kept); // tiles finished after the journal was read count too
    const first = await runCliAsync(args('k.npy', ['--tile', '0/2']));
    expect(first.status, first.stderr).toBe(0);
    const merged = await runCliAsync(['kernel-merge', '--out', join(dir, 'k.npy'), '--quiet']);
    expect(merged.status, merged.stderr).toBe(0);
    expect(sameFile('k.npy', 'ref.npy')).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('.k.') || f.startsWith('k.part'))).toEqual([]);
  }, 180_000);

  it('bad out-of-core options: one line on stderr, exit 2, nothing written', async () => {
    const cases: Array<[string[], RegExp]> = [
      [kernelArgs('small.npy', 'bad1.npy', ['--tile', '4/4']), /--tile must be i\/n with 0 ≤ i < n/],
      [kernelArgs('small.npy', 'bad2.npy', ['--tile', 'two']), /--tile must be i\/n/],
      [kernelArgs('small.npy', 'bad3.npy', ['--dtype', 'float16']), /--dtype must be float64 or float32/],
      [kernelArgs('small.npy', 'bad4.npy', ['--tile-rows', '0']), /--tile-rows must be a positive integer/],
      [kernelArgs('small.npy', 'bad5.npy', ['--tile-rows', '8', '--tile-memory', '1G']), /not both/],
      [kernelArgs('small.npy', 'bad6.npy', ['--empirical', '--dtype', 'float32']), /analytic kernels/],
      [kernelArgs('small.npy', 'bad7.npy', ['--tile', '0/20', '--tile-rows', '100']), /only 3 tiles/],
      [['kernel-merge', '--out', join(dir, 'nothing.npy')], /no parts of/],
    ];
    const before = readdirSync(dir).sort();
    for (const [args, re] of cases) {
      const r = await runCliAsync(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
