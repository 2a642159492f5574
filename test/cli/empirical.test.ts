import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { monteCarloKernel } from '../../src/kernels/monteCarlo.js';
import { parseSpec } from '../../src/layers/json.js';
import { withHiddenWidth } from '../../src/layers/network.js';
import { randomMatrix } from '../helpers.js';

const BIN = new URL('../../bin/ntk.js', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NTK_QUIET: '1' } });
const ARCH = '[dense(16, wStd=1.4, bStd=0.1) > relu]*2 > dense(3)';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-emp-'));
  writeNpy(join(dir, 'x.npy'), { shape: [6, 5], data: randomMatrix(6, 5, 31).data });
  writeNpy(join(dir, 'x2.npy'), { shape: [4, 5], data: randomMatrix(4, 5, 32).data });
  writeNpy(join(dir, 'x_d4.npy'), { shape: [4, 4], data: randomMatrix(4, 4, 33).data });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ntk kernel --empirical', () => {
  it('writes the Monte Carlo mean and its standard error, equal to the library result; the JSON line names backend and dtype', async () => {
    const out = join(dir, 'K.npy');
    const se = join(dir, 'K_se.npy');
    const r = run(['kernel', '--arch', ARCH, '--x1', join(dir, 'x.npy'), '--x2', join(dir, 'x2.npy'), '--empirical', '--width', '64', '--seeds', '3', '--seed', '5', '--backend', 'cpu', '--out', out, '--stderr', se]);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    expect(info).toMatchObject({ empirical: true, shape: [6, 4], dtype: 'float64', compute: 'float32 products, float64 sums', method: 'structured', backend: 'cpu', seeds: 3, seed0: 5, denseWidths: [64, 64, 3], outputs: 3 });
    const k = readNpy(out);
    const s = readNpy(se);
    expect(k.shape).toEqual([6, 4]);
    expect(k.dtype).toBe('float64');
    expect(s.shape).toEqual([6, 4]);
    const lib = await monteCarloKernel(withHiddenWidth(parseSpec(ARCH), 64), randomMatrix(6, 5, 31), randomMatrix(4, 5, 32), { seeds: 3, seed0: 5, backend: 'cpu' });
    expect(Array.from(k.data)).toEqual(Array.from(lib.ntk.data));
    expect(Array.from(s.data)).toEqual(Array.from(lib.ntkStderr!.data));
  });

  it('--method jacobian agrees with structured to 1e-4; --get nngp works', () => {
    const a = join(dir, 'a.npy');
    const b = join(dir, 'b.npy');
    expect(run(['kernel', '--arch', ARCH, '--x1', join(dir, 'x.npy'), '--empirical', '--out', a]).status).toBe(0);
    expect(run(['kernel', '--arch', ARCH, '--x1', join(dir, 'x.npy'), '--empirical', '--method', 'jacobian', '--out', b]).status).toBe(0);
    const ka = readNpy(a).data;
    const kb = readNpy(b).data;
    const max = Math.max(...Array.from(kb, Math.abs));
    for (let i = 0; i < ka.length; i++) expect(Math.abs(ka[i] - kb[i]) / max).toBeLessThan(1e-4);
    const c = join(dir, 'c.npy');
    expect(run(['kernel', '--arch', ARCH, '--x1', join(dir, 'x.npy'), '--empirical', '--get', 'nngp', '--out', c]).status).toBe(0);
    expect(readNpy(c).shape).toEqual([6, 6]);
  });

  const x = () => join(dir, 'x.npy');
  const bad: Array<[string, () => string[], RegExp]> = [
    ['width 0', () => ['--arch', ARCH, '--x1', x(), '--empirical', '--width', '0'], /--width must be an integer ≥ 1 .*got "0"/],
    ['mismatched input dimension', () => ['--arch', ARCH, '--x1', x(), '--x2', join(dir, 'x_d4.npy'), '--empirical'], /different input dimensions: X1 is 6×5, X2 is 4×4/],
    ['--stderr with one seed', () => ['--arch', ARCH, '--x1', x(), '--empirical', '--stderr', join(dir, 'se.npy')], /--stderr needs --seeds 2 or more/],
    ['an unknown method', () => ['--arch', ARCH, '--x1', x(), '--empirical', '--method', 'fast'], /--method must be structured or jacobian/],
    ['an unknown backend', () => ['--arch', ARCH, '--x1', x(), '--empirical', '--backend', 'metal'], /--backend must be auto, webgpu, wasm, cpu or tensorflow/],
    ['the tensorflow backend when tfjs-node is absent', () => ['--arch', ARCH, '--x1', x(), '--empirical', '--backend', 'tensorflow'], /needs @tensorflow\/tfjs-node-gpu .* or @tensorflow\/tfjs-node/],
    ['--width without --empirical', () => ['--arch', ARCH, '--x1', x(), '--width', '64'], /--width needs --empirical/],
    ['a Jacobian over the memory limit', () => ['--arch', ARCH, '--x1', x(), '--empirical', '--method', 'jacobian', '--max-memory', '1K'], /needs about .* over the memory limit/],
  ];
  for (const [name, args, msg] of bad) {
    it(`rejects ${name}: one line on stderr, exit 2, no output`, () => {
      const out = join(dir, `bad-${name.replace(/\W+/g, '_')}.npy`);
      const before = readdirSync(dir).length;
      const r = run(['kernel', ...args(), '--out', out]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).length).toBe(before);
    });
  }
});
