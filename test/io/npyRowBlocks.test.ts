import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpy, writeNpy } from '../../src/io/npy.js';
import { openNpyRowBlocks } from '../../src/io/npyRowBlocks.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ntk-rowblocks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every row of the file, read in blocks of `block` rows (the last one shorter), copied out. */
function readAllInBlocks(path: string, block: number, maxBufferBytes?: number): { data: Float64Array; maxBlockRows: number } {
  const src = openNpyRowBlocks(path, { maxBlockRows: block, ...(maxBufferBytes ? { maxBufferBytes } : {}) });
  try {
    const out = new Float64Array(src.rows * src.cols);
    for (let r = 0; r < src.rows; r += src.maxBlockRows) {
      const n = Math.min(src.maxBlockRows, src.rows - r);
      const m = src.readRows(r, n);
      expect([m.rows, m.cols]).toEqual([n, src.cols]);
      out.set(m.data, r * src.cols);
    }
    return { data: out, maxBlockRows: src.maxBlockRows };
  } finally {
    src.close();
  }
}

describe('openNpyRowBlocks', () => {
  const x = randomMatrix(37, 11, 5);
  const f64 = join(tmp, 'x64.npy');
  const f32 = join(tmp, 'x32.npy');
  writeNpy(f64, { shape: [37, 11], data: x.data });
  writeNpy(f32, { shape: [37, 11], data: Float32Array.from(x.data) });

  it('float64: every block size gives the whole-file reader’s rows bit for bit', () => {
    const whole = readNpy(f64).data as Float64Array;
    for (const b of [1, 5, 36, 37]) expect(Buffer.from(readAllInBlocks(f64, b).data.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
  });

  it('float32: rows widened to float64 equal the float32 values exactly', () => {
    const whole = Float64Array.from(readNpy(f32).data);
    const src = openNpyRowBlocks(f32, { maxBlockRows: 4 });
    expect(src.dtype).toBe('float32');
    src.close();
    expect(Array.from(readAllInBlocks(f32, 4).data)).toEqual(Array.from(whole));
  });

  it('random rows in any order (positioned reads, no cursor)', () => {
    const src = openNpyRowBlocks(f64, { maxBlockRows: 3 });
    for (const [start, count] of [[30, 3], [0, 2], [36, 1], [17, 3]]) {
      const m = src.readRows(start, count);
      expect(Array.from(m.data)).toEqual(Array.from(x.data.subarray(start * 11, (start + count) * 11)));
    }
    src.close();
  });

  it('the buffer budget bounds the block size', () => {
    // 11 columns × 8 bytes = 88 bytes per row; a 1000-byte budget holds 11 rows
    const src = openNpyRowBlocks(f64, { maxBufferBytes: 1000 });
    expect(src.maxBlockRows).toBe(11);
    src.close();
    // float32 rows cost 8 + 4 bytes per entry (the staging copy): 132 bytes per row → 7 rows
    const s32 = openNpyRowBlocks(f32, { maxBufferBytes: 1000 });
    expect(s32.maxBlockRows).toBe(7);
    s32.close();
  });

  it('requests outside the source, and reads after close, throw', () => {
    const src = openNpyRowBlocks(f64, { maxBlockRows: 4 });
    expect(() => src.readRows(35, 3)).toThrow(RangeError);
    expect(() => src.readRows(0, 5)).toThrow(RangeError);
    expect(() => src.readRows(-1, 1)).toThrow(RangeError);
    expect(() => src.readRows(0, 0)).toThrow(RangeError);
    src.close();
    src.close();
    expect(() => src.readRows(0, 1)).toThrow(/closed/);
  });

  it('refuses what is not a C-order 2-D float matrix, with one line', () => {
    const cases: Array<[string, Uint8Array | string, RegExp]> = [
      ['rank3.npy', encodeNpy({ shape: [2, 3, 4], data: new Float64Array(24) }), /expected a 2-D matrix/],
      ['text.npy', 'not an array', /not a \.npy file/],
      ['trunc.npy', encodeNpy({ shape: [4, 4], data: new Float64Array(16) }).subarray(0, 128 + 8 * 10), /truncated/],
    ];
    for (const [name, content, re] of cases) {
      const p = join(tmp, name);
      writeFileSync(p, content);
      let err: unknown;
      try {
        openNpyRowBlocks(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toMatch(/\n/);
    }
    expect(() => openNpyRowBlocks(join(tmp, 'missing.npy'))).toThrow(/no such file/);
  });

  const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!numpy)('reads files numpy wrote (int dtype and Fortran order refused, float32 and float64 read)', () => {
    const py = `
import numpy as np
a = np.arange(60, dtype=np.float64).reshape(12, 5) / 7
np.save('${tmp}/np64.npy', a)
np.save('${tmp}/np32.npy', a.astype(np.float32))
np.save('${tmp}/npint.npy', np.arange(12).reshape(3, 4))
np.save('${tmp}/npfortran.npy', np.asfortranarray(a))
`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const a = Float64Array.from({ length: 60 }, (_, i) => i / 7);
    expect(Array.from(readAllInBlocks(join(tmp, 'np64.npy'), 5).data)).toEqual(Array.from(a));
    expect(Array.from(readAllInBlocks(join(tmp, 'np32.npy'), 5).data)).toEqual(Array.from(a, (v) => Math.fround(v)));
    expect(() => openNpyRowBlocks(join(tmp, 'npint.npy'))).toThrow(/cannot be read in blocks of rows/);
    expect(() => openNpyRowBlocks(join(tmp, 'npfortran.npy'))).toThrow(/Fortran order/);
  });

  it.skipIf(!numpy)('streams a header whose shape is over the 2^31 − 1 entries readNpy allows (sparse file, one row read)', () => {
    // 50 000 × 50 000 float32 = 2.5e9 entries (10 GB apparent size, nothing stored but the header and one row)
    const p = join(tmp, 'huge.npy');
    const py = `
import numpy as np
m = np.lib.format.open_memmap('${p}', mode='w+', dtype=np.float32, shape=(50000, 50000))
m[49999, :] = np.arange(50000, dtype=np.float32)
m.flush()
`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(() => readNpy(p)).toThrow(/over the limit/);
    const src = openNpyRowBlocks(p, { maxBlockRows: 2 });
    expect([src.rows, src.cols]).toEqual([50000, 50000]);
    const last = src.readRows(49998, 2);
    expect(last.data[50000 + 12345]).toBe(12345);
    expect(last.data[12345]).toBe(0);
    src.close();
  });
});
