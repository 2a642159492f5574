import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { BIN, CLI_ENV, runCliAsync } from '../cliHelpers.js';
import { checkOutOfCoreOptions, parseTileArg, wantsOutOfCore } from '../../src/cli/kernelOutOfCore.js';
import { randomMatrix } from '../helpers.js';

/** The CLI as a user runs it: the compiled bin (npm test builds dist/ first). */
const ARCH = new URL('../../examples/relu3.json', import.meta.url).pathname;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-cli-ooc-'));
  writeNpy(join(dir, 'small.npy'), { shape: [300, 50], data: randomMatrix(300, 50, 31).data });
  writeNpy(join(dir, 'big.npy'), { shape: [1200, 100], data: randomMatrix(1200, 100, 32).data });
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
  it('--tile i/4 jobs merged by kernel-merge equal the one-process kernel bit for bit', { timeout: 120_000 }, async () => {
    // the one-process run and the four jobs run at once, as an array job would
    const [one, ...parts] = await Promise.all([
      runCliAsync(kernelArgs('small.npy', 'one.npy', ['--out-of-core', '--tile-rows', '32', '--threads', '1'])),
      ...[0, 1, 2, 3].map((i) => runCliAsync(kernelArgs('small.npy', 'four.npy', ['--tile', `${i}/4`, '--tile-rows', '32', '--threads', '1']))),
    ]);
    expect(one.status, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ shape: [300, 300], tiles: 10, dtype: 'float64' });
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
    // the reference and the other part run meanwhile
    const others = Promise.all([runCliAsync(args('ref.npy', ['--out-of-core'])), runCliAsync(args('k.npy', ['--tile', '0/2']))]);
    const part = join(dir, 'k.part1of2.npy');
    const journal = join(dir, '.k.part1of2.npy.ntk-journal');
    const child = spawn(process.execPath, [BIN, ...args('k.npy', ['--tile', '1/2'])], { env: CLI_ENV, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // kill it once three of its 30 tiles are on disk
    for (let waited = 0; journalTiles(journal) < 3 && waited < 120_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const kept = journalTiles(journal);
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(30); // killed mid-run: the part is unfinished
    expect(existsSync(part)).toBe(false);
    const rerun = await runCliAsync(args('k.npy', ['--tile', '1/2']));
    expect(rerun.status, rerun.stderr).toBe(0);
    const s = JSON.parse(rerun.stdout) as { resumedTiles: number; tiles: number };
    expect(s.tiles).toBe(30);
    expect(s.resumedTiles).toBeGreaterThanOrEqual(kept); // tiles finished after the journal was read count too
    for (const r of await others) expect(r.status, r.stderr).toBe(0);
    const merged = await runCliAsync(['kernel-merge', '--out', join(dir, 'k.npy'), '--quiet']);
    expect(merged.status, merged.stderr).toBe(0);
    expect(sameFile('k.npy', 'ref.npy')).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('.k.') || f.startsWith('k.part'))).toEqual([]);
  }, 180_000);

  it('bad out-of-core options: one line on stderr, exit 2, nothing written', { timeout: 120_000 }, async () => {
    // the exit-code contract end to end; the option checks themselves are tested in-process below
    const cases: Array<[string[], RegExp]> = [
      [kernelArgs('small.npy', 'bad1.npy', ['--tile', '4/4']), /--tile must be i\/n with 0 ≤ i < n/],
      [kernelArgs('small.npy', 'bad6.npy', ['--empirical', '--dtype', 'float32', '--seeds', '2', '--stderr', join(dir, 'bad6se.npy')]), /--stderr is not written out of core/],
      [kernelArgs('small.npy', 'bad7.npy', ['--tile', '0/20', '--tile-rows', '100']), /only 3 tiles/],
      [['kernel-merge', '--out', join(dir, 'nothing.npy')], /no parts of/],
    ];
    const before = readdirSync(dir).sort();
    const results = await Promise.all(cases.map(([args]) => runCliAsync(args)));
    for (const [i, [, re]] of cases.entries()) {
      const r = results[i];
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe('out-of-core output safety', () => {
  it('never replaces a file that is not an .npy ntk could have written, nor a user’s file named like a part', { timeout: 120_000 }, async () => {
    const user = mkdtempSync(join(tmpdir(), 'ntk-ooc-user-'));
    try {
      writeFileSync(join(user, 'notes.npy'), 'my notes');
      writeFileSync(join(user, 'K.part0of2.npy'), 'mine too');
      const x = join(dir, 'small.npy');
      const cases = [
        ['kernel', '--arch', ARCH, '--x1', x, '--out-of-core', '--force', '--out', join(user, 'notes.npy')],
        ['kernel', '--arch', ARCH, '--x1', x, '--tile', '0/2', '--force', '--out', join(user, 'K.npy')],
        ['kernel', '--arch', ARCH, '--x1', x, '--tile', '0/2', '--out', join(user, 'K.npy')],
        ['kernel-merge', '--force', '--out', join(user, 'notes.npy')],
      ];
      const results = await Promise.all(cases.map((args) => runCliAsync(args)));
      for (const [i, r] of results.entries()) {
        expect(r.status, `${cases[i].join(' ')}\n${r.stderr}`).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
      expect(readdirSync(user).sort()).toEqual(['K.part0of2.npy', 'notes.npy']);
      expect(readFileSync(join(user, 'notes.npy'), 'utf8')).toBe('my notes');
      expect(readFileSync(join(user, 'K.part0of2.npy'), 'utf8')).toBe('mine too');
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });
});

describe('out-of-core option checks', () => {
  it('parses --tile, --dtype, --tile-rows and --tile-memory; refuses the rest with one line', () => {
    expect(parseTileArg('3/8')).toEqual({ index: 3, count: 8 });
    expect(parseTileArg(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    expect(checkOutOfCoreOptions({ dtype: 'float32', tileMemory: '2G' })).toEqual({ dtype: 'float32', tileRows: undefined, tileMemoryBytes: 2 * 2 ** 30, part: undefined });
    expect(checkOutOfCoreOptions({ tileRows: '64', tile: '1/2' })).toMatchObject({ dtype: 'float64', tileRows: 64, part: { index: 1, count: 2 } });
    expect(wantsOutOfCore({})).toBe(false);
    expect(wantsOutOfCore({ dtype: 'float64' })).toBe(true);
    const bad: Array<[Parameters<typeof checkOutOfCoreOptions>[0], RegExp]> = [
      [{ tile: 'two' }, /--tile must be i\/n/],
      [{ tile: '1/0' }, /0 ≤ i < n/],
      [{ tile: '-1/4' }, /--tile must be i\/n/],
      [{ dtype: 'float16' }, /--dtype must be float64 or float32/],
      [{ tileRows: '0' }, /--tile-rows must be a positive integer/],
      [{ tileRows: '1.5' }, /--tile-rows must be a positive integer/],
      [{ tileRows: '8', tileMemory: '1G' }, /not both/],
      [{ tileMemory: 'lots' }, /cannot read memory size/],
    ];
    for (const [o, re] of bad) expect(() => checkOutOfCoreOptions(o)).toThrow(re);
  });
});
