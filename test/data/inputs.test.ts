import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flatInputs, inputShapeOf, isShaped, readInputs, shapedInputs } from '../../src/data/inputs.js';
import { encodeNpy, writeNpy } from '../../src/io/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A raw .npy with any dtype: header text written by hand, body bytes as given (numpy's layout, independent of encodeNpy). */
function rawNpy(name: string, descr: string, shape: number[], body: Uint8Array, fortran = false): string {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  while ((10 + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0);
  head[6] = 1;
  head.writeUInt16LE(h.length, 8);
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(body)]));
  return p;
}

describe('readInputs', () => {
  it('rank 4 is N×H×W×C, rank 3 is N×L×C (kept, not C = 1), rank 2 a matrix; C order values exact', () => {
    const v = Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i * 0.5 - 3);
    writeNpy(join(dir, 'r4.npy'), { shape: [2, 3, 2, 2], data: Float64Array.from(v) });
    const a = readInputs(join(dir, 'r4.npy'));
    expect(isShaped(a) && a.shape).toEqual([2, 3, 2, 2]);
    expect(Array.from((a as { data: Float64Array }).data)).toEqual(v);
    expect(inputShapeOf(a)).toEqual({ spatial: [3, 2], width: 2 });
    writeNpy(join(dir, 'r3.npy'), { shape: [2, 6, 2], data: Float64Array.from(v) });
    const s = readInputs(join(dir, 'r3.npy'));
    expect(isShaped(s) && s.shape).toEqual([2, 6, 2]);
    expect(inputShapeOf(s)).toEqual({ spatial: [6], width: 2 });
    writeNpy(join(dir, 'r2.npy'), { shape: [2, 12], data: Float64Array.from(v) });
    const m = readInputs(join(dir, 'r2.npy'));
    expect(isShaped(m)).toBe(false);
    expect(inputShapeOf(m)).toEqual({ spatial: [], width: 12 });
    // flattening is the same data seen as rows, and back
    const f = flatInputs(a);
    expect([f.rows, f.cols]).toEqual([2, 12]);
    expect(f.data).toBe((a as { data: Float64Array }).data);
    expect((shapedInputs(f, inputShapeOf(a)) as { shape: number[] }).shape).toEqual([2, 3, 2, 2]);
  });

  it('uint8 pixels stay 0..255, float32 is widened exactly, Fortran order is transposed to C order', () => {
    const bytes = Uint8Array.from({ length: 1 * 2 * 2 * 3 }, (_, i) => (i * 37) % 256);
    const u = readInputs(rawNpy('u8.npy', '|u1', [1, 2, 2, 3], bytes)) as { shape: number[]; data: Float64Array };
    expect(Array.from(u.data)).toEqual(Array.from(bytes));
    const f32 = Float32Array.from([0.1, -2.5, 3.25, 1e-3, 7, 8]);
    const g = readInputs(rawNpy('f4.npy', '<f4', [1, 3, 1, 2], new Uint8Array(f32.buffer))) as { data: Float64Array };
    expect(Array.from(g.data)).toEqual(Array.from(f32)); // widened float32 values, not decimal re-roundings
    // Fortran order: element (i, j, k, l) at i + 1·j + 2·k + 4·l for shape (1, 2, 2, 2); stored value = C index
    const shape = [1, 2, 2, 2];
    const body = new Float64Array(8);
    for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) for (let l = 0; l < 2; l++) body[j + 2 * k + 4 * l] = (j * 2 + k) * 2 + l;
    const fo = readInputs(rawNpy('fo.npy', '<f8', shape, new Uint8Array(body.buffer), true)) as { data: Float64Array };
    expect(Array.from(fo.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses rank 5, zero extents, NaN (named by index), a wrong byte count and too much memory, from the header first', () => {
    writeNpy(join(dir, 'r5.npy'), { shape: [1, 2, 2, 2, 1], data: new Float64Array(8) });
    expect(() => readInputs(join(dir, 'r5.npy'), { name: 'X' })).toThrow(/X \(.*r5\.npy\): expected N×d vectors, N×L×C sequences or N×H×W×C images \(rank 2, 3 or 4\), got a 5-D array of shape \(1, 2, 2, 2, 1\)/);
    writeNpy(join(dir, 'c0.npy'), { shape: [2, 3, 3, 0], data: new Float64Array(0) });
    expect(() => readInputs(join(dir, 'c0.npy'))).toThrow(/empty inputs \(shape \(2, 3, 3, 0\)\): height, width and channels must be at least 1/);
    writeNpy(join(dir, 'n0.npy'), { shape: [0, 3, 3, 1], data: new Float64Array(0) });
    expect(() => readInputs(join(dir, 'n0.npy'))).toThrow(/no examples/);
    const v = new Float64Array(2 * 2 * 3 * 2);
    v[((1 * 2 + 0) * 3 + 2) * 2 + 1] = NaN;
    writeNpy(join(dir, 'nan.npy'), { shape: [2, 2, 3, 2], data: v });
    expect(() => readInputs(join(dir, 'nan.npy'))).toThrow(/example 1 has NaN at x\[1, 0, 2, 1\]/);
    const ok = encodeNpy({ shape: [2, 2, 2, 1], data: new Float64Array(8) });
    writeFileSync(join(dir, 'short.npy'), ok.subarray(0, ok.length - 8));
    expect(() => readInputs(join(dir, 'short.npy'))).toThrow(/truncated \.npy file: shape \(2, 2, 2, 1\) float64 needs 64 bytes of data but only 56/);
    // 8 bytes per float64 entry: 2·2·2·1 entries need 64 bytes, refused at 63 before reading
    writeFileSync(join(dir, 'ok.npy'), ok);
    expect(() => readInputs(join(dir, 'ok.npy'), { maxMemoryBytes: 63 })).toThrow(/needs about 64 B, over the memory limit/);
    expect(readFileSync(join(dir, 'ok.npy')).length).toBe(ok.length);
  });
});
