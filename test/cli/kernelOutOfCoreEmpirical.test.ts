import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { runCliAsync } from '../cliHelpers.js';
import { randomMatrix, relToMax } from '../helpers.js';

/** The CLI as a user runs it: the compiled bin (npm test builds dist/ first). */
const ARCH = new URL('../../examples/relu3.json', import.meta.url).pathname;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-cli-ooc-emp-'));
  writeNpy(join(dir, 'x.npy'), { shape: [12, 7], data: randomMatrix(12, 7, 41).data });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const emp = (out: string, extra: string[] = []): string[] =>
  ['kernel', '--arch', ARCH, '--x1', join(dir, 'x.npy'), '--empirical', '--width', '32', '--seeds', '2', '--seed', '3', '--backend', 'cpu', '--out', join(dir, out), '--quiet', ...extra];

describe('ntk kernel --empirical --out-of-core (CLI)', () => {
  it('tiles and --tile i/2 parts merged equal the in-memory empirical kernel (same seeded networks)', { timeout: 120_000 }, async () => {
    const [mem, ooc, p0, p1] = await Promise.all([
      runCliAsync(emp('mem.npy')),
      runCliAsync(emp('ooc.npy', ['--out-of-core', '--tile-rows', '5'])),
      runCliAsync(emp('parts.npy', ['--tile-rows', '5', '--tile', '0/2'])),
      runCliAsync(emp('parts.npy', ['--tile-rows', '5', '--tile', '1/2'])),
    ]);
    for (const r of [mem, ooc, p0, p1]) expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(ooc.stdout)).toMatchObject({ kernel: 'ntk', empirical: true, method: 'structured', seeds: 2, seed0: 3, shape: [12, 12], tiles: 3, tileRows: 5 });
    const merge = await runCliAsync(['kernel-merge', '--out', join(dir, 'parts.npy'), '--quiet']);
    expect(merge.status, merge.stderr).toBe(0);
    const ref = readNpy(join(dir, 'mem.npy')).data;
    // structured, cpu backend: the same float32 products and float64 sums; measured bit-identical (tolerance: see test/kernels/outOfCoreEmpirical.test.ts)
    expect(relToMax(readNpy(join(dir, 'ooc.npy')).data, ref)).toBeLessThan(1e-12);
    expect(readFileSync(join(dir, 'parts.npy')).equals(readFileSync(join(dir, 'ooc.npy')))).toBe(true);
    // the finished run leaves no temporary files
    expect(existsSync(join(dir, '.ooc.npy.ntk-journal'))).toBe(false);
  });
});
