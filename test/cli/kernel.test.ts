import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import { maxRelErr, randomMatrix } from '../helpers.js';

/** The CLI as a user runs it: the compiled bin (npm test builds dist/ first). */
const BIN = new URL('../../bin/ntk.js', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NTK_QUIET: '1' } });

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-cli-'));
  const x = randomMatrix(12, 7, 21);
  writeNpy(join(dir, 'x.npy'), { shape: [12, 7], data: x.data });
  writeNpy(join(dir, 'x2.npy'), { shape: [5, 7], data: randomMatrix(5, 7, 22).data });
  writeNpy(join(dir, 'x_d6.npy'), { shape: [5, 6], data: randomMatrix(5, 6, 23).data });
  const nan = randomMatrix(4, 7, 24).data;
  nan[9] = NaN;
  writeNpy(join(dir, 'x_nan.npy'), { shape: [4, 7], data: nan });
  const inf = randomMatrix(4, 7, 25).data;
  inf[3] = Infinity;
  writeNpy(join(dir, 'x_inf.npy'), { shape: [4, 7], data: inf });
  writeNpy(join(dir, 'x_empty.npy'), { shape: [0, 7], data: new Float64Array(0) });
  writeFileSync(join(dir, 'not.npy'), 'hello, I am text');
  writeFileSync(join(dir, 'arch.json'), '{"layers":[{"type":"dense","width":64,"wStd":1.4,"bStd":0.1},{"type":"relu"},{"type":"dense","width":1}]}');
  writeFileSync(join(dir, 'broken.json'), '{"layers":[{"type":"dense",');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ntk kernel', () => {
  it('writes the float64 N1×N2 kernel equal to the library result; stdout is one JSON line', () => {
    const out = join(dir, 'K.npy');
    const r = run(['kernel', '--arch', join(dir, 'arch.json'), '--x1', join(dir, 'x.npy'), '--x2', join(dir, 'x2.npy'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim()) as { shape: number[]; dtype: string };
    expect(summary).toMatchObject({ shape: [12, 5], dtype: 'float64', kernel: 'ntk' });
    const k = readNpy(out);
    expect(k.dtype).toBe('float64');
    expect(k.shape).toEqual([12, 5]);
    const asMat = (a: ReturnType<typeof readNpy>) => ({ rows: a.shape[0], cols: a.shape[1], data: Float64Array.from(a.data) });
    const lib = analyticKernelSync(parseSpec(join(dir, 'arch.json')), asMat(readNpy(join(dir, 'x.npy'))), asMat(readNpy(join(dir, 'x2.npy'))));
    expect(maxRelErr(k.data, lib.ntk!.data)).toBe(0);
  });

  it('one-line and JSON architectures give identical files; --get nngp works; X2 defaults to X1', () => {
    const a = join(dir, 'a.npy');
    const b = join(dir, 'b.npy');
    expect(run(['kernel', '--arch', join(dir, 'arch.json'), '--x1', join(dir, 'x.npy'), '--get', 'nngp', '--out', a]).status).toBe(0);
    expect(run(['kernel', '--arch', 'dense(64, wStd=1.4, bStd=0.1) > relu > dense(1)', '--x1', join(dir, 'x.npy'), '--get', 'nngp', '--out', b]).status).toBe(0);
    const ka = readNpy(a);
    const kb = readNpy(b);
    expect(ka.shape).toEqual([12, 12]);
    expect(maxRelErr(ka.data, kb.data)).toBe(0);
    const x = readNpy(join(dir, 'x.npy'));
    const ref = analyticKernelSync(parseSpec(join(dir, 'arch.json')), { rows: 12, cols: 7, data: x.data as Float64Array }, undefined, { get: 'nngp' });
    expect(maxRelErr(ka.data, ref.nngp!.data)).toBe(0);
  });

  it('--help shows examples', () => {
    const r = run(['kernel', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--max-memory');
  });

  const x = () => join(dir, 'x.npy');
  const bad: Array<[string, () => string[], RegExp]> = [
    ['malformed JSON', () => ['--arch', join(dir, 'broken.json'), '--x1', x()], /not valid JSON/],
    ['unknown layer', () => ['--arch', 'dense(4) > softplus', '--x1', x()], /unknown layer type "softplus"/],
    ['missing width', () => ['--arch', '{"layers":[{"type":"dense"}]}', '--x1', x()], /missing field "width"/],
    ['negative wStd', () => ['--arch', 'dense(4, wStd=-1)', '--x1', x()], /wStd must be finite and ≥ 0/],
    ['non-finite wStd', () => ['--arch', 'dense(4, wStd=Infinity)', '--x1', x()], /not a finite number|finite/],
    ['NaN in X', () => ['--arch', 'dense(4) > relu', '--x1', join(dir, 'x_nan.npy')], /NaN or Inf at row 1, column 2/],
    ['Inf in X', () => ['--arch', 'dense(4) > relu', '--x1', join(dir, 'x_inf.npy')], /NaN or Inf at row 0, column 3/],
    ['X1/X2 with different d', () => ['--arch', 'dense(4) > relu', '--x1', x(), '--x2', join(dir, 'x_d6.npy')], /different input dimensions/],
    ['an empty matrix', () => ['--arch', 'dense(4) > relu', '--x1', join(dir, 'x_empty.npy')], /empty/],
    ['a non-.npy file', () => ['--arch', 'dense(4) > relu', '--x1', join(dir, 'not.npy')], /not a \.npy file|magic/i],
    ['a missing file', () => ['--arch', 'dense(4) > relu', '--x1', join(dir, 'nope.npy')], /cannot read|not found|no such file/i],
    ['N too large for the memory limit', () => ['--arch', 'dense(4) > relu', '--x1', x(), '--max-memory', '2K'], /needs about .* over the memory limit of 2\.0 KiB/],
    ['a bad --get', () => ['--arch', 'dense(4)', '--x1', x(), '--get', 'cov'], /--get must be ntk or nngp/],
    ['a missing required option', () => ['--arch', 'dense(4)'], /required option/],
  ];
  for (const [name, args, msg] of bad) {
    it(`rejects ${name}: one line on stderr, exit 2, no output file`, () => {
      const out = join(dir, `bad-${name.replace(/\W+/g, '_')}.npy`);
      const before = readdirSync(dir).length;
      const r = run(['kernel', ...args(), '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).length).toBe(before); // no temp files left behind either
    });
  }
});
