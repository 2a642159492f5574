import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NPY_ELEMENTS, encodeNpy, parseNpy, readMatrix, readNpy, writeNpy, type NdArray, type NpyHeader } from '../../src/io/npy.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { InputError } from '../../src/util/errors.js';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { spectralSolve } from '../../src/dynamics/spectral.js';
import { logspace } from '../../src/experiments/lambdaScan.js';
import type { Mat } from '../../src/linalg/matrix.js';

const tmp = mkdtempSync(join(tmpdir(), 'ntk-npy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function seq(n: number, f: (i: number) => number = (i) => Math.sin(i + 1) * 10 ** ((i % 7) - 3)): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => f(i));
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(bytesOf(a)), Buffer.from(bytesOf(b))) === 0;
}

/** A hand-made .npy file: `dict` is the header text, padded with `pad` spaces (any alignment). */
function craft(dict: string, data: Uint8Array = new Uint8Array(0), opts: { version?: number; pad?: number; magic?: number[] } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const text = dict + ' '.repeat(opts.pad ?? 0) + '\n';
  const enc = version === 3 ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
  const prefix = version === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + enc.length + data.length);
  out.set(opts.magic ?? [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 0);
  out[6] = version;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, enc.length, true);
  else dv.setUint32(8, enc.length, true);
  out.set(enc, prefix);
  out.set(data, prefix + enc.length);
  return out;
}

function expectInputError(f: () => unknown, pattern: RegExp): InputError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(err.name).toBe('InputError');
  expect(err.message).toMatch(pattern);
  expect(err.message).not.toContain('\n');
  return err;
}

describe('encodeNpy / parseNpy round trips', () => {
  const cases: Array<{ shape: number[]; f32?: boolean }> = [
    { shape: [5, 7] },
    { shape: [5, 7], f32: true },
    { shape: [9] },
    { shape: [9], f32: true },
    { shape: [2, 3, 4] },
    { shape: [2, 3, 4], f32: true },
    { shape: [0, 3] },
    { shape: [3, 0] },
    { shape: [0] },
    { shape: [2, 0, 5], f32: true },
    { shape: [1, 1] },
    { shape: [3, 5, 4, 2] },
    { shape: [3, 5, 4, 2], f32: true },
    { shape: [2, 1, 3, 1, 2] },
    { shape: [2, 1, 3, 1, 2, 2, 1, 2], f32: true },
    { shape: [4, 0, 2, 3] },
  ];
  for (const { shape, f32 } of cases) {
    it(`${f32 ? 'float32' : 'float64'} ${JSON.stringify(shape)}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = f32 ? Float32Array.from(seq(n)) : seq(n);
      const bytes = encodeNpy({ shape, data });
      // header (magic + version + length + dict) is padded to 64 bytes like np.save
      const hlen = bytes[8] | (bytes[9] << 8);
      expect((10 + hlen) % 64).toBe(0);
      expect(bytes[6]).toBe(1);
      expect(bytes.length).toBe(10 + hlen + data.byteLength);
      const back = parseNpy(bytes);
      expect(back.shape).toEqual(shape);
      expect(back.dtype).toBe(f32 ? 'float32' : 'float64');
      expect(back.data).toBeInstanceOf(f32 ? Float32Array : Float64Array);
      expect(sameBits(back.data, data)).toBe(true);
    });
  }

  it('keeps NaN, ±Inf, −0 and subnormals bit for bit', () => {
    const data = new Float64Array([NaN, Infinity, -Infinity, -0, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 1 / 3]);
    const back = parseNpy(encodeNpy({ shape: [2, 4], data }));
    expect(sameBits(back.data, data)).toBe(true);
  });

  it('writes a readable header in the numpy format', () => {
    const bytes = encodeNpy({ shape: [3], data: new Float32Array(3) });
    const hlen = bytes[8] | (bytes[9] << 8);
    const text = Buffer.from(bytes.subarray(10, 10 + hlen)).toString('latin1');
    // the dict, space padding, one final newline
    expect(text).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
    expect(Buffer.from(encodeNpy({ shape: [2, 3], data: new Float64Array(6) }).subarray(10, 70)).toString('latin1')).toContain(
      "'shape': (2, 3)",
    );
  });

  it('can force format version 2.0', () => {
    const data = seq(12);
    const bytes = encodeNpy({ shape: [3, 4], data }, { version: 2 });
    expect(bytes[6]).toBe(2);
    const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
    expect((12 + hlen) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.shape).toEqual([3, 4]);
    expect(sameBits(back.data, data)).toBe(true);
  });

  it('encodes a view (non-zero byteOffset) correctly', () => {
    const big = seq(20);
    const view = big.subarray(5, 11);
    const back = parseNpy(encodeNpy({ shape: [2, 3], data: view }));
    expect(Array.from(back.data)).toEqual(Array.from(view));
  });

  it('rejects inconsistent shapes and data types when encoding', () => {
    expect(() => encodeNpy({ shape: [2, 3], data: new Float64Array(5) })).toThrow(RangeError);
    expect(() => encodeNpy({ shape: [], data: new Float64Array(1) })).toThrow(RangeError);
    expect(() => encodeNpy({ shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data: new Float64Array(1) })).toThrow(RangeError); // 9-D
    expect(() => encodeNpy({ shape: [-1], data: new Float64Array(0) })).toThrow(RangeError);
    expect(() => encodeNpy({ shape: [1.5], data: new Float64Array(1) })).toThrow(RangeError);
    expect(() => encodeNpy({ shape: [2], data: new Int32Array(2) as unknown as Float64Array })).toThrow(TypeError);
  });
});

describe('parseNpy details', () => {
  it('handles a buffer at an unaligned byte offset, and never aliases the input', () => {
    const data = seq(6);
    const bytes = encodeNpy({ shape: [6], data });
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    const back = parseNpy(host.subarray(3));
    expect(sameBits(back.data, data)).toBe(true);
    host.fill(0);
    expect(sameBits(back.data, data)).toBe(true);
    // Node Buffers (whose slice() does not copy) too
    const buf = Buffer.from(bytes);
    const b2 = parseNpy(buf);
    buf.fill(0);
    expect(sameBits(b2.data, data)).toBe(true);
  });

  it('reads a header whose length puts the data at an unaligned offset (v1, v2, v3)', () => {
    const data = seq(4);
    for (const version of [1, 2, 3]) {
      for (const pad of [0, 1, 3, 5]) {
        const bytes = craft("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", bytesOf(data), { version, pad });
        const back = parseNpy(bytes);
        expect(back.shape).toEqual([2, 2]);
        expect(sameBits(back.data, data)).toBe(true);
        const f = join(tmp, `unaligned-v${version}-${pad}.npy`);
        writeFileSync(f, bytes);
        expect(sameBits(readNpy(f).data, data)).toBe(true);
      }
    }
  });

  it('accepts Python 2 style headers, double quotes and key order', () => {
    const data = new Float32Array([1, 2, 3]);
    const back = parseNpy(craft('{"shape": (3L,), "fortran_order": False, "descr": "<f4"}', bytesOf(data)));
    expect(back.shape).toEqual([3]);
    expect(Array.from(back.data)).toEqual([1, 2, 3]);
  });

  it('ignores bytes after the data', () => {
    const bytes = encodeNpy({ shape: [2], data: new Float64Array([1, 2]) });
    const longer = new Uint8Array(bytes.length + 5);
    longer.set(bytes);
    expect(Array.from(parseNpy(longer).data)).toEqual([1, 2]);
  });

  it('converts integer and bool dtypes to float64', () => {
    const i4 = new Int32Array([-3, 0, 7, 2147483647]);
    const i8 = new BigInt64Array([-(2n ** 40n), 0n, 5n, 2n ** 52n]);
    const u1 = new Uint8Array([0, 1, 255, 7]);
    const cases: Array<[string, Uint8Array, number[]]> = [
      ['<i4', bytesOf(i4), [-3, 0, 7, 2147483647]],
      ['<i8', bytesOf(i8), [-(2 ** 40), 0, 5, 2 ** 52]],
      ['|u1', u1, [0, 1, 255, 7]],
      ['<u1', u1, [0, 1, 255, 7]],
      ['|i1', u1, [0, 1, -1, 7]],
      ['<i2', bytesOf(new Int16Array([-2, 3])), [-2, 3]],
      ['<u4', bytesOf(new Uint32Array([4294967295, 1])), [4294967295, 1]],
      ['|b1', new Uint8Array([0, 1, 1, 0]), [0, 1, 1, 0]],
    ];
    for (const [descr, raw, want] of cases) {
      for (const pad of [0, 1]) {
        const back = parseNpy(craft(`{'descr': '${descr}', 'fortran_order': False, 'shape': (${want.length},), }`, raw, { pad }));
        expect(back.dtype, descr).toBe('float64');
        expect(back.data, descr).toBeInstanceOf(Float64Array);
        expect(Array.from(back.data), descr).toEqual(want);
      }
    }
  });
});

describe('parseNpy errors are one-line InputErrors', () => {
  const f8 = (shape: string, extra = '') => `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, ${extra}}`;
  it('not a .npy file', () => {
    expectInputError(() => parseNpy(Buffer.from('1,2,3\n4,5,6\n'), 'x.csv'), /^x\.csv: not a \.npy file/);
    expectInputError(() => parseNpy(new Uint8Array(0), 'e.npy'), /not a \.npy file.*empty/);
    expectInputError(() => parseNpy(Buffer.from('PK\x03\x04 zip zip'), 'a.npz'), /zip archive \(\.npz\)/);
  });
  it('truncated header or data', () => {
    const full = encodeNpy({ shape: [4, 4], data: seq(16) });
    expectInputError(() => parseNpy(full.subarray(0, 8), 'k.npy'), /truncated/);
    expectInputError(() => parseNpy(full.subarray(0, 40), 'k.npy'), /truncated .*header/);
    const e = expectInputError(() => parseNpy(full.subarray(0, full.length - 1), 'k.npy'), /truncated/);
    expect(e.message).toMatch(/\(4, 4\) float64 needs 128 bytes of data but only 127/);
  });
  it('unsupported versions', () => {
    const b = encodeNpy({ shape: [1], data: new Float64Array(1) });
    b[6] = 4;
    expectInputError(() => parseNpy(b, 'v.npy'), /unsupported \.npy format version 4\.0/);
  });
  it('unsupported dtypes, with a conversion hint', () => {
    expectInputError(() => parseNpy(craft("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16))), /'<c16' \(complex128\).*astype/);
    expectInputError(() => parseNpy(craft("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(2))), /float16/);
    expectInputError(() => parseNpy(craft("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))), /object/);
    expectInputError(() => parseNpy(craft("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(12))), /unicode/);
    expectInputError(
      () => parseNpy(craft("{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(12))),
      /structured/,
    );
  });
  it('big-endian', () => {
    expectInputError(() => parseNpy(craft("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 'be.npy'), /big-endian.*astype\('<f8'\)/);
    expectInputError(() => parseNpy(craft("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4))), /big-endian/);
    // single-byte types have no byte order
    expect(Array.from(parseNpy(craft("{'descr': '>u1', 'fortran_order': False, 'shape': (1,), }", new Uint8Array([9]))).data)).toEqual([9]);
  });
  it('wrong dimensionality', () => {
    expectInputError(() => parseNpy(craft(f8('()'), new Uint8Array(8))), /0-D \(scalar\).*need 1 to 8 dimensions/);
    expectInputError(() => parseNpy(craft(f8('(1, 1, 1, 1, 1, 1, 1, 1, 2)'), new Uint8Array(16))), /9-D array of shape \(1, 1, 1, 1, 1, 1, 1, 1, 2\).*1 to 8/);
    const e = expectInputError(() => parseNpy(craft(f8(`(${'1, '.repeat(40)})`), new Uint8Array(8))), /40-D array of shape \(1, 1, .*…\)/);
    expect(e.message.length).toBeLessThan(200);
  });
  it('2^31 entries or more: refused from the header, before the size check or any allocation, with the size named', () => {
    expect(MAX_NPY_ELEMENTS).toBe(2 ** 31 - 1);
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2048, 1024, 1024, 1), }";
    expectInputError(() => parseNpy(craft(header, new Uint8Array(64)), 'big.npy'), /^big\.npy: shape \(2048, 1024, 1024, 1\) has 2147483648 entries, over the limit of 2147483647/);
    const f = join(tmp, 'big.npy');
    writeFileSync(f, craft(header, new Uint8Array(64)));
    expectInputError(() => readNpy(f, { name: 'X' }), /^X \(.*big\.npy\): shape \(2048, 1024, 1024, 1\) has 2147483648 entries/);
    // one fewer is not refused for its count: it fails as truncated instead (the file is 64 bytes of data)
    expectInputError(() => parseNpy(craft("{'descr': '|u1', 'fortran_order': False, 'shape': (2147483647,), }", new Uint8Array(64))), /truncated.*needs 2147483647 bytes of data but only 64/);
    expectInputError(() => parseNpy(craft(f8('(1000000000, 1000000000, 1000000000)'), new Uint8Array(8))), /has 1\.000e\+27 entries/);
  });
  it('malformed headers', () => {
    expectInputError(() => parseNpy(craft("{'descr': '<f8', 'shape': (1,)}", new Uint8Array(8))), /lacks descr, fortran_order or shape/);
    expectInputError(() => parseNpy(craft("{'descr': '<f8', 'fortran_order': False, 'shape': (1,", new Uint8Array(8))), /cannot parse the \.npy header/);
    expectInputError(() => parseNpy(craft(f8('(-1,)'))), /invalid shape/);
    expectInputError(() => parseNpy(craft("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }", new Uint8Array(8))), /fortran_order/);
  });
});

/** `c` (C order, `shape`) rearranged into Fortran order (first index fastest), by a direct loop over all indices. */
function toFortran(c: Float64Array, shape: number[]): Float64Array {
  const out = new Float64Array(c.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < c.length; k++) {
    let cOff = 0;
    let fOff = 0;
    let fStride = 1;
    for (let j = 0; j < shape.length; j++) {
      cOff = cOff * shape[j] + idx[j];
      fOff += idx[j] * fStride;
      fStride *= shape[j];
    }
    out[fOff] = c[cOff];
    for (let j = shape.length - 1; j >= 0; j--) {
      if (++idx[j] < shape[j]) break;
      idx[j] = 0;
    }
  }
  return out;
}

describe('Fortran-order files are read in C order', () => {
  const shapes = [[7], [2, 3], [3, 2], [2, 3, 4], [4, 3, 5, 2], [2, 1, 3, 2, 1, 2, 2, 3], [3, 0, 2], [1, 5, 1, 1]];
  for (const shape of shapes) {
    it(`${JSON.stringify(shape)}: float64, float32 and uint8, parsed and from a file`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const c = seq(n);
      const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
      const f = toFortran(c, shape);
      const h = (descr: string) => `{'descr': '${descr}', 'fortran_order': True, 'shape': ${dims}, }`;
      const b8 = craft(h('<f8'), bytesOf(f), { pad: 3 }); // unaligned data too
      const a8 = parseNpy(b8);
      expect(a8.shape).toEqual(shape);
      expect(a8.dtype).toBe('float64');
      expect(sameBits(a8.data, c)).toBe(true);
      const file = join(tmp, `fortran-${shape.join('x')}.npy`);
      writeFileSync(file, craft(h('<f8'), bytesOf(f)));
      expect(sameBits(readNpy(file).data, c)).toBe(true);
      const c4 = Float32Array.from(c);
      writeFileSync(file, craft(h('<f4'), bytesOf(Float32Array.from(f))));
      const a4 = readNpy(file);
      expect(a4.dtype).toBe('float32');
      expect(sameBits(a4.data, c4)).toBe(true);
      const cu = Float64Array.from(c, (_, i) => (i * 37) % 256);
      const au = parseNpy(craft(h('|u1'), Uint8Array.from(toFortran(cu, shape))));
      expect(au.dtype).toBe('float64');
      expect(Array.from(au.data)).toEqual(Array.from(cu));
    });
  }
});

describe('readNpy check: refusing a file from its header', () => {
  it('sees the header before anything is allocated, and its error propagates', () => {
    const f = join(tmp, 'checked.npy');
    writeFileSync(f, craft("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3, 4), }", new Uint8Array(24)));
    const seen: NpyHeader[] = [];
    readNpy(f, { check: (h) => void seen.push(h) });
    expect(seen).toEqual([{ shape: [2, 3, 4], dtype: 'uint8', count: 24, resultBytes: 192, fortranOrder: true }]);
    expectInputError(() => readNpy(f, { check: () => { throw new InputError('no thanks'); } }), /no thanks/);
    expectInputError(() => parseNpy(readFileSync(f), 'p', { check: () => { throw new InputError('not this either'); } }), /not this either/);
  });
});

describe('readNpy / writeNpy / readMatrix on disk', () => {
  it('round trips through files, atomically, leaving no temp files', () => {
    const dir = mkdtempSync(join(tmp, 'rt-'));
    const f = join(dir, 'k.npy');
    const a = { shape: [4, 3], data: seq(12) };
    writeNpy(f, a);
    expect(readFileSync(f)).toEqual(Buffer.from(encodeNpy(a)));
    const b = { shape: [2, 2, 2], data: Float32Array.from(seq(8)) };
    writeNpy(f, b); // overwrite
    const back = readNpy(f);
    expect(back.shape).toEqual([2, 2, 2]);
    expect(back.dtype).toBe('float32');
    expect(sameBits(back.data, b.data)).toBe(true);
    expect(readdirSync(dir)).toEqual(['k.npy']);
  });

  it('fails cleanly writing into a missing directory', () => {
    expectInputError(() => writeNpy(join(tmp, 'no-such-dir', 'k.npy'), { shape: [1], data: new Float64Array(1) }), /cannot write .*no such file or directory/);
    const dir = mkdtempSync(join(tmp, 'isdir-'));
    const sub = join(dir, 'sub.npy');
    mkdirSync(sub); // a directory where the file should go
    expectInputError(() => writeNpy(sub, { shape: [1], data: new Float64Array(1) }), /cannot write .*sub\.npy"/);
    expect(readdirSync(dir)).toEqual(['sub.npy']); // the temp file was removed
  });

  it('writeFileAtomic writes strings, bytes and chunk lists', () => {
    const f = join(tmp, 'atomic.txt');
    writeFileAtomic(f, 'héllo\n');
    expect(readFileSync(f, 'utf8')).toBe('héllo\n');
    writeFileAtomic(f, new Uint8Array([1, 2, 3]));
    expect(Array.from(readFileSync(f))).toEqual([1, 2, 3]);
    writeFileAtomic(f, [new Uint8Array([4]), new Uint8Array(0), new Uint8Array([5, 6])]);
    expect(Array.from(readFileSync(f))).toEqual([4, 5, 6]);
  });

  it('readNpy errors name the file', () => {
    expectInputError(() => readNpy(join(tmp, 'missing.npy')), /cannot read ".*missing\.npy": no such file or directory/);
    expectInputError(() => readNpy(tmp), /it is a directory/);
    const t = join(tmp, 'trunc.npy');
    const full = encodeNpy({ shape: [10, 10], data: seq(100) });
    writeFileSync(t, full.subarray(0, full.length - 8));
    expectInputError(() => readNpy(t, { name: 'X1' }), /^X1 \(.*trunc\.npy\): truncated \.npy file: shape \(10, 10\) float64 needs 800 bytes/);
    const txt = join(tmp, 'text.npy');
    writeFileSync(txt, '1 2 3\n');
    expectInputError(() => readNpy(txt), /text\.npy: not a \.npy file/);
    writeFileSync(t, full.subarray(0, 5));
    expectInputError(() => readNpy(t), /not a \.npy file/);
    writeFileSync(t, full.subarray(0, 9));
    expectInputError(() => readNpy(t), /truncated/);
  });

  it('readMatrix: 2-D as is, 1-D as N×1, float32 widened, 3-D refused', () => {
    const f = join(tmp, 'm.npy');
    writeNpy(f, { shape: [2, 3], data: new Float32Array([1.5, 2, 3, 4, 5, 0.1]) });
    const m = readMatrix(f);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect(m.data).toBeInstanceOf(Float64Array);
    expect(Array.from(m.data)).toEqual(Array.from(new Float32Array([1.5, 2, 3, 4, 5, 0.1])));
    writeNpy(f, { shape: [4], data: new Float64Array([1, 2, 3, 4]) });
    const v = readMatrix(f);
    expect([v.rows, v.cols]).toEqual([4, 1]);
    writeNpy(f, { shape: [0, 3], data: new Float64Array(0) });
    const e0 = readMatrix(f);
    expect([e0.rows, e0.cols]).toEqual([0, 3]);
    writeNpy(f, { shape: [2, 2, 2], data: new Float64Array(8) });
    expectInputError(() => readMatrix(f, { name: 'X2' }), /^X2 \(.*m\.npy\): expected a 1-D or 2-D array.*3-D array of shape \(2, 2, 2\).*reshape/);
    // images are refused with their shape and a word on how they are used
    writeNpy(f, { shape: [60, 28, 28, 1], data: new Float32Array(60 * 784) });
    expectInputError(() => readMatrix(f, { name: 'X' }), /^X \(.*m\.npy\): expected a 1-D or 2-D array.*4-D array of shape \(60, 28, 28, 1\); images \(N×H×W×C\) need a network that starts with conv or flatten.*reshape\(len\(x\), -1\)/);
    expectInputError(() => readMatrix(join(tmp, 'x.parquet')), /unsupported file type "\.parquet"/);
    expectInputError(() => readMatrix(join(tmp, 'nope.npy'), { name: 'X1' }), /cannot read/);
  });
});

// ------------------------------------------------------------------------------------------- against numpy

const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const hasNumpy = python.status === 0;
if (!hasNumpy) console.warn('[npy.test] python3 with numpy not found: skipping the numpy cross-checks');

function runPython(script: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const WRITE_SCRIPT = String.raw`
import json, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(12345)
a = rng.standard_normal((5, 7)) * np.logspace(-300, 300, 7)
a[0, 0] = np.nan; a[0, 1] = np.inf; a[0, 2] = -np.inf; a[1, 0] = -0.0; a[1, 1] = 5e-324
arrays = {
  'f8': a,
  'f4': rng.standard_normal((6, 3)).astype(np.float32),
  'i8': (np.arange(-6, 6, dtype=np.int64) * 1000000007).reshape(3, 4),
  'i4': np.array([[-2147483648, 0], [2147483647, 5]], dtype=np.int32),
  'u1': np.arange(250, 256, dtype=np.uint8),
  'b1': np.array([True, False, True]),
  'one_d': rng.standard_normal(9),
  'three_d': rng.standard_normal((2, 3, 4)),
  'empty': np.zeros((0, 3)),
  'big_dims': rng.standard_normal((1, 1000)).astype(np.float32),
  'img_f4': rng.standard_normal((5, 6, 7, 3)).astype(np.float32),
  'img_u1': rng.integers(0, 256, (4, 28, 28, 1), dtype=np.uint8),
  'img_f8': rng.standard_normal((3, 5, 4, 2)),
  'fortran': np.asfortranarray(a),
  'fortran_img_f8': np.asfortranarray(rng.standard_normal((3, 5, 4, 2))),
  'fortran_img_f4': np.asfortranarray(rng.standard_normal((4, 7, 6, 3)).astype(np.float32)),
  'fortran_img_u1': np.asfortranarray(rng.integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)),
  'fortran_3d_u1': np.asfortranarray(rng.integers(0, 256, (2, 9, 5), dtype=np.uint8)),
  'eight_d': rng.standard_normal((2, 1, 3, 2, 1, 2, 3, 2)).astype(np.float32),
  'fortran_eight_d': np.asfortranarray(rng.standard_normal((2, 1, 3, 2, 1, 2, 3, 2))),
  'fortran_transposed': rng.standard_normal((4, 3, 5, 2)).transpose(3, 2, 1, 0),
}
manifest = {}
for name, arr in arrays.items():
    np.save(f'{d}/{name}.npy', arr)
    if name.startswith('fortran'):  # make sure numpy really stored these column-major
        with open(f'{d}/{name}.npy', 'rb') as f:
            np.lib.format.read_magic(f)
            assert np.lib.format.read_array_header_1_0(f)[1], name
    ref = arr if arr.dtype.kind == 'f' else arr.astype('<f8')
    open(f'{d}/{name}.ref', 'wb').write(np.ascontiguousarray(ref).tobytes())
    manifest[name] = {'shape': list(arr.shape), 'dtype': 'float32' if arr.dtype == np.float32 else 'float64'}
for v in [(1, 0), (2, 0), (3, 0)]:
    name = f'v{v[0]}'
    with open(f'{d}/{name}.npy', 'wb') as f:
        np.lib.format.write_array(f, a, version=v)
    open(f'{d}/{name}.ref', 'wb').write(a.tobytes())
    manifest[name] = {'shape': list(a.shape), 'dtype': 'float64'}
np.save(f'{d}/be.npy', a.astype('>f8'))
np.save(f'{d}/c16.npy', a.astype(np.complex128))
np.save(f'{d}/f2.npy', a.astype(np.float16))
np.save(f'{d}/scalar.npy', np.float64(3.5))
np.save(f'{d}/nine_d.npy', np.zeros((1, 2, 1, 2, 1, 1, 1, 1, 2)))
np.savez(f'{d}/arch.npz', a=a)
print(json.dumps(manifest))
`;

const READ_SCRIPT = String.raw`
import hashlib, json, sys
import numpy as np
out = {}
for path in sys.argv[1:]:
    arr = np.load(path, allow_pickle=False)
    with open(path, 'rb') as f:
        version = np.lib.format.read_magic(f)
    out[path] = {'shape': list(arr.shape), 'dtype': str(arr.dtype), 'c': bool(arr.flags.c_contiguous),
                 'sha256': hashlib.sha256(arr.tobytes()).hexdigest(), 'version': list(version),
                 'sum': float(np.nansum(arr.astype(np.float64)))}
print(json.dumps(out))
`;

describe.skipIf(!hasNumpy)('cross-checks against numpy', () => {
  const dir = join(tmp, 'numpy');
  let manifest: Record<string, { shape: number[]; dtype: string }> = {};
  beforeAll(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    manifest = JSON.parse(runPython(WRITE_SCRIPT, dir));
  });

  it('reads exactly the numbers np.save wrote (f8, f4, ints, bool, 1-D to 8-D, rank-4 images, Fortran order, empty, v1/v2/v3 headers)', () => {
    expect(Object.keys(manifest).sort()).toEqual(
      [
        'b1', 'big_dims', 'empty', 'f4', 'f8', 'i4', 'i8', 'one_d', 'three_d', 'u1', 'v1', 'v2', 'v3',
        'img_f4', 'img_u1', 'img_f8', 'fortran', 'fortran_img_f8', 'fortran_img_f4', 'fortran_img_u1', 'fortran_3d_u1',
        'eight_d', 'fortran_eight_d', 'fortran_transposed',
      ].sort(),
    );
    for (const [name, want] of Object.entries(manifest)) {
      const got: NdArray = readNpy(join(dir, `${name}.npy`));
      expect(got.shape, name).toEqual(want.shape);
      expect(got.dtype, name).toBe(want.dtype);
      const ref = readFileSync(join(dir, `${name}.ref`));
      expect(Buffer.compare(Buffer.from(bytesOf(got.data)), ref), name).toBe(0);
      // and the in-memory parser agrees
      expect(sameBits(parseNpy(readFileSync(join(dir, `${name}.npy`))).data, got.data), name).toBe(true);
    }
  });

  it('refuses what numpy wrote but we do not support, with InputError', () => {
    expectInputError(() => readNpy(join(dir, 'be.npy')), /big-endian/);
    expectInputError(() => readNpy(join(dir, 'c16.npy')), /complex128/);
    expectInputError(() => readNpy(join(dir, 'f2.npy')), /float16/);
    expectInputError(() => readNpy(join(dir, 'scalar.npy')), /0-D/);
    expectInputError(() => readNpy(join(dir, 'nine_d.npy')), /9-D.*1 to 8 dimensions/);
    expectInputError(() => readNpy(join(dir, 'arch.npz')), /\.npz/);
  });

  it('numpy reads the files we write, bit for bit', () => {
    const outs: Array<{ file: string; arr: { shape: number[]; data: Float64Array | Float32Array }; version?: 1 | 2 }> = [
      { file: 'ours_f8.npy', arr: { shape: [5, 7], data: seq(35, (i) => (i === 0 ? NaN : i === 1 ? -0 : Math.exp(i) * Math.sin(i))) } },
      { file: 'ours_f4.npy', arr: { shape: [3, 4], data: Float32Array.from(seq(12)) } },
      { file: 'ours_1d.npy', arr: { shape: [9], data: seq(9) } },
      { file: 'ours_3d.npy', arr: { shape: [2, 3, 4], data: Float32Array.from(seq(24)) } },
      { file: 'ours_empty.npy', arr: { shape: [0, 3], data: new Float64Array(0) } },
      { file: 'ours_v2.npy', arr: { shape: [4, 2], data: seq(8) }, version: 2 },
      { file: 'ours_img_f8.npy', arr: { shape: [3, 5, 4, 2], data: seq(120) } },
      { file: 'ours_img_f4.npy', arr: { shape: [6, 28, 28, 1], data: Float32Array.from(seq(6 * 784)) } },
      { file: 'ours_img_empty.npy', arr: { shape: [0, 4, 4, 3], data: new Float32Array(0) } },
      { file: 'ours_8d.npy', arr: { shape: [2, 1, 3, 2, 1, 2, 3, 2], data: seq(144) } },
    ];
    for (const o of outs) writeNpy(join(dir, o.file), o.arr, o.version ? { version: o.version } : undefined);
    const report = JSON.parse(runPython(READ_SCRIPT, ...outs.map((o) => join(dir, o.file))));
    for (const o of outs) {
      const r = report[join(dir, o.file)];
      expect(r.shape, o.file).toEqual(o.arr.shape);
      expect(r.dtype, o.file).toBe(o.arr.data instanceof Float64Array ? 'float64' : 'float32');
      expect(r.c, o.file).toBe(true);
      expect(r.version, o.file).toEqual([o.version ?? 1, 0]);
      expect(r.sha256, o.file).toBe(createHash('sha256').update(bytesOf(o.arr.data)).digest('hex'));
      let s = 0;
      for (const x of o.arr.data) if (!Number.isNaN(x)) s += x;
      expect(r.sum, o.file).toBeCloseTo(s, 6);
    }
  });
});

// ------------------------------------------------------- the library's own arrays, against bytes numpy wrote

/** Files np.save wrote (numpy 2.4.6; test/io/fixtures/README.md has the script), for machines without numpy. */
const FIXTURES = join(import.meta.dirname, 'fixtures');
/** The matrix in mat_3x4_f8.npy: (arange(12).reshape(3, 4) − 5)/7, the same IEEE division in JS. */
const A34: Mat = { rows: 3, cols: 4, data: Float64Array.from({ length: 12 }, (_, i) => (i - 5) / 7) };

describe('writeNpy takes the library\'s arrays (Mat, { shape, data }, nested arrays) as numpy writes them', () => {
  it('a Mat is written byte for byte as np.save writes the same 3×4 float64 matrix', () => {
    const f = join(tmp, 'mat.npy');
    writeNpy(f, A34);
    expect(Buffer.compare(readFileSync(f), readFileSync(join(FIXTURES, 'mat_3x4_f8.npy')))).toBe(0);
    const back = readNpy(f);
    expect(back.shape).toEqual([3, 4]);
    expect(sameBits(back.data, A34.data)).toBe(true);
  });

  it('nested JS arrays and { shape, data: Float32Array } match np.save too', () => {
    const nested = [0, 1].map((a) => [0, 1, 2].map((b) => [0, 1].map((c) => (a * 6 + b * 2 + c) * 0.25)));
    expect(Buffer.compare(Buffer.from(encodeNpy(nested)), readFileSync(join(FIXTURES, 'nested_2x3x2_f8.npy')))).toBe(0);
    const f4 = { shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => (i - 2) / 3) };
    expect(Buffer.compare(Buffer.from(encodeNpy(f4)), readFileSync(join(FIXTURES, 'mat_2x3_f4.npy')))).toBe(0);
  });

  it('refuses ragged nested arrays and other objects, saying what to pass', () => {
    expect(() => encodeNpy([[1, 2], [3]])).toThrow(/not rectangular: \[1\] should be an array of 2 entries \(shape \(2, 2\)\)/);
    expect(() => encodeNpy([[1, 2], 3] as unknown as number[][])).toThrow(/not rectangular/);
    expect(() => encodeNpy([1, [2]] as unknown as number[])).toThrow(/entry \[1\] is an array, not a number/);
    expect(() => encodeNpy(Float64Array.from([1, 2]) as unknown as number[])).toThrow(/pass a Mat \(\{ rows, cols, data: Float64Array \}\), an array with its shape/);
  });

  it('a Fortran-order file (np.save(f, B.T)) is read in C order', () => {
    const a = readNpy(join(FIXTURES, 'fortran_3x4_f8.npy'));
    expect(a.shape).toEqual([3, 4]);
    expect(sameBits(a.data, A34.data)).toBe(true);
    expect(sameBits(readMatrix(join(FIXTURES, 'fortran_3x4_f8.npy')).data, A34.data)).toBe(true);
  });

  it('a flow solution carries its shapes: { shape: sol.fTrainShape, data: sol.fTrain } is a T×n×k array', () => {
    const n = 5;
    const k = 2;
    const theta: Mat = { rows: n, cols: n, data: Float64Array.from({ length: n * n }, (_, q) => (Math.floor(q / n) === q % n ? 2 : 0.5)) };
    const y: Mat = { rows: n, cols: k, data: Float64Array.from({ length: n * k }, (_, q) => Math.sin(q + 1)) };
    const times = logspace(0.1, 100, 7); // number[]: spectralSolve takes it as it is
    const sol = spectralSolve(eigenbasis({ thetaTrain: theta, y }), 0.01, 2, times);
    expect(sol.fTrainShape).toEqual([7, n, k]);
    expect(sol.fTestShape).toBeNull();
    const f = join(tmp, 'f_train.npy');
    writeNpy(f, { shape: sol.fTrainShape, data: sol.fTrain });
    expect(readNpy(f).shape).toEqual([7, n, k]);
    if (hasNumpy) {
      const r = JSON.parse(runPython(READ_SCRIPT, f))[f];
      expect(r.shape).toEqual([7, n, k]);
      expect(r.sha256).toBe(createHash('sha256').update(bytesOf(sol.fTrain)).digest('hex'));
    }
  });

  it.skipIf(!hasNumpy)('live numpy: np.load reads writeNpy(Mat) with its shape and bits, and our reader reads numpy\'s Fortran save', () => {
    const f = join(tmp, 'mat_live.npy');
    writeNpy(f, A34);
    const r = JSON.parse(runPython(READ_SCRIPT, f))[f];
    expect(r).toMatchObject({ shape: [3, 4], dtype: 'float64', c: true });
    expect(r.sha256).toBe(createHash('sha256').update(bytesOf(A34.data)).digest('hex'));
    const g = join(tmp, 'fortran_live.npy');
    runPython('import sys, numpy as np\nA = (np.arange(12.0).reshape(3, 4) - 5) / 7\nnp.save(sys.argv[1], np.ascontiguousarray(A.T).T)', g);
    expect(sameBits(readNpy(g).data, A34.data)).toBe(true);
  });
});
