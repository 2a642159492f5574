import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../src/util/errors.js';
import { runCliAsync } from '../cliHelpers.js';

/**
 * Hostile or broken --arch values through the CLI (the compiled bin): each must end in exit 2 and exactly one
 * short "ntk: error:" line, never a stack trace, an "internal error", raw control bytes or a hang.
 */
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-arch-'));
  const n = 100_000;
  writeFileSync(join(dir, 'deep.json'), `{"layers":${'['.repeat(n)}${']'.repeat(n)}}`);
  writeFileSync(join(dir, 'bigwidth.json'), `{"layers":[{"type":"dense","width":"${'x'.repeat(400_000)}"}]}`);
  writeFileSync(join(dir, 'bigtype.json'), `{"layers":[{"type":"${'\\u001b[2J'.repeat(100_000)}"}]}`);
  writeFileSync(join(dir, 'nul.json'), Buffer.from('{"layers":[\u0000\u0007]}'));
  writeFileSync(join(dir, 'binary.json'), Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 2654435761) >>> 24)));
  writeFileSync(join(dir, 'latin1.json'), Buffer.from([0x7b, 0xe9, 0x1b, 0x5b, 0x7d]));
  writeFileSync(join(dir, 'empty.json'), '');
  writeFileSync(join(dir, 'locked.json'), '{"layers":[{"type":"relu"}]}');
  chmodSync(join(dir, 'locked.json'), 0o000);
  mkdirSync(join(dir, 'folder'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ntk kernel --arch with bad input', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['a repeat count of 2^32', () => '[relu]*4294967296', /repeat count "4294967296" is out of range: it must be 1 to 1000/],
    ['a repeat count of 999999999', () => '[relu]*999999999', /it must be 1 to 1000/],
    ['nested repeats over the layer limit', () => '[[[dense(4) > relu]*1000]*1000]*1000', /at most 10000/],
    ['5000 nested groups', () => `${'['.repeat(5000)}relu${']'.repeat(5000)}`, /nested more than 32 deep/],
    ['JSON nested 100 000 deep', () => join(dir, 'deep.json'), /nested more than 32 levels deep/],
    ['a layer type named constructor', () => 'dense(4) > constructor', /unknown layer type "constructor"/],
    ['a __proto__ object', () => '{"__proto__":{"layers":[{"type":"relu"}]}}', /unknown field "__proto__"/],
    ['a duplicate JSON field', () => '{"layers":[{"type":"dense","width":4,"wStd":1,"wStd":2}]}', /field "wStd" appears twice in layers\[0\]/],
    ['a duplicate one-line field', () => 'dense(512, wStd=1, wStd=2)', /"wStd" given twice/],
    ['a 400 KB width string', () => join(dir, 'bigwidth.json'), /must be a finite number, got the string "x+"…\(400000 chars\)/],
    ['a type made of terminal escapes', () => join(dir, 'bigtype.json'), /unknown layer type "(\\x1b\[2J)+"…\(400000 chars\)/],
    ['a file with NUL bytes', () => join(dir, 'nul.json'), /not a text file \(a NUL byte at byte 11/],
    ['a binary file', () => join(dir, 'binary.json'), /not a text file|not UTF-8 text/],
    ['a Latin-1 file', () => join(dir, 'latin1.json'), /not UTF-8 text \(it starts "\{\\ufffd\\x1b\[\}"\)/],
    ['an empty file', () => join(dir, 'empty.json'), /is empty/],
    ['a folder', () => join(dir, 'folder'), /is a folder/],
    ['a width of 1e12', () => 'dense(1e12) > relu > dense(1)', /width must be a positive integer ≤ 10000000/],
    ['an empty architecture', () => '  ', /the architecture is empty/],
  ];
  const check = async (arch: string, msg: RegExp): Promise<void> => {
    const r = await runCliAsync(['kernel', '--arch', arch, '--x1', join(dir, 'none.npy'), '--out', join(dir, 'K.npy')]);
    expect(r.status, r.stderr.slice(0, 500)).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(2); // one line and its newline
    expect(lines[0].startsWith('ntk: error: ')).toBe(true);
    expect(lines[0].length).toBeLessThanOrEqual('ntk: error: '.length + MAX_MESSAGE_CHARS);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(lines[0]).toMatch(msg);
  };
  for (const [name, arch, msg] of cases) it(`refuses ${name}`, () => check(arch(), msg), 20_000);
  // root reads any file, so the permission check only means something for other users.
  it.skipIf(process.getuid?.() === 0)('refuses an unreadable file', () => check(join(dir, 'locked.json'), /permission denied/), 20_000);
});
