import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { appendLine } from '../../src/io/appendLine.js';
import { InputError } from '../../src/util/errors.js';

// writeSync is wrapped so that a test can make it write part of its bytes and then fail like a full disk
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, writeSync: vi.fn(real.writeSync) };
});

const dir = mkdtempSync(join(tmpdir(), 'ntk-append-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.mocked(fs.writeSync).mockReset());

const fsError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: simulated`), { code });

describe('appendLine', () => {
  it('appends whole lines', () => {
    const file = join(dir, 'ok.jsonl');
    appendLine(file, '{"a":1}\n');
    appendLine(file, '{"a":2}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it.each([
    ['ENOSPC', /no space left on device/],
    ['EIO', /input\/output error/],
    ['EROFS', /read-only file system/],
  ])('a write that fails part-way (%s) leaves the file as it was and says so in one line naming the file', (code, cause) => {
    const file = join(dir, `${code}.jsonl`);
    writeFileSync(file, '{"step":0}\n');
    vi.mocked(fs.writeSync).mockImplementationOnce(((fd: number, buf: Uint8Array, off: number) => {
      fs.appendFileSync(file, Buffer.from(buf).subarray(off, off + 5)); // 5 bytes reach the disk
      throw fsError(code);
    }) as unknown as typeof fs.writeSync);
    let err: unknown;
    try {
      appendLine(file, '{"step":1,"loss":0.5}\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot write ".*${code}\\.jsonl": `));
    expect((err as Error).message).toMatch(cause);
    expect((err as Error).message).not.toMatch(/\n/);
    expect(readFileSync(file, 'utf8')).toBe('{"step":0}\n'); // the partial line is gone
  });
});
