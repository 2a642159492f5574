import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  asImages,
  downsampleImages,
  flattenImages,
  matToImages,
  readImages,
  standardizeImages,
  type Images,
} from '../../src/data/images.js';
import { encodeNpy, writeNpy } from '../../src/io/npy.js';
import { InputError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hand-made .npy: header dict text and raw data bytes. */
function craft(dict: string, data: Uint8Array): Uint8Array {
  const text = Buffer.from(dict + '\n', 'latin1');
  const out = new Uint8Array(10 + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(text, 10);
  out.set(data, 10 + text.length);
  return out;
}

function file(name: string, bytes: Uint8Array): string {
  const f = join(dir, name);
  writeFileSync(f, bytes);
  return f;
}

function expectInputError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect((caught as Error).message).toMatch(pattern);
  expect((caught as Error).message).not.toContain('\n');
}

const pixel = (n: number, h: number, w: number, c: number) => Math.sin(1 + 3 * n + 0.7 * h + 0.3 * w + 1.1 * c);
function images(n: number, h: number, w: number, c: number): Images {
  const data = new Float64Array(n * h * w * c);
  for (let i = 0; i < n; i++) for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) for (let ch = 0; ch < c; ch++) data[((i * h + r) * w + q) * c + ch] = pixel(i, r, q, ch);
  return { shape: [n, h, w, c], data, dtype: 'float64' };
}

describe('readImages', () => {
  it('reads N×H×W×C float64, float32 (widened exactly) and uint8 (as 0..255), and N×H×W as one channel', () => {
    const x = images(3, 4, 5, 2);
    const f8 = join(dir, 'x8.npy');
    writeNpy(f8, x);
    const a = readImages(f8);
    expect(a.shape).toEqual([3, 4, 5, 2]);
    expect(a.dtype).toBe('float64');
    expect(a.data).toEqual(x.data);
    const f4 = join(dir, 'x4.npy');
    writeNpy(f4, { shape: x.shape, data: Float32Array.from(x.data) });
    const b = readImages(f4);
    expect(b.data).toBeInstanceOf(Float64Array);
    expect(Array.from(b.data)).toEqual(Array.from(Float32Array.from(x.data)));
    const u8 = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => (i * 29) % 256);
    const c = readImages(file('u8.npy', craft("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3), }", u8)));
    expect(c.shape).toEqual([2, 3, 3, 1]);
    expect(Array.from(c.data)).toEqual(Array.from(u8));
  });

  it('reads Fortran-order files in C (N, H, W, C) order', () => {
    // 2×2×2×1 stored column-major: the first index varies fastest
    const stored = Float64Array.from([0, 4, 2, 6, 1, 5, 3, 7]);
    const a = readImages(file('f.npy', craft("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 2, 1), }", new Uint8Array(stored.buffer))));
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses a wrong rank with the shape named, before reading the data', () => {
    const f5 = join(dir, 'r5.npy');
    writeNpy(f5, { shape: [2, 3, 3, 1, 1], data: new Float64Array(18) });
    expectInputError(() => readImages(f5, { name: 'X' }), /^X \(.*r5\.npy\): expected images N×H×W×C \(or N×H×W for one channel\), got a 5-D array of shape \(2, 3, 3, 1, 1\)$/);
    const f2 = join(dir, 'r2.npy');
    writeNpy(f2, { shape: [2, 784], data: new Float64Array(2 * 784) });
    expectInputError(() => readImages(f2), /2-D array of shape \(2, 784\); reshape flat rows in numpy, e.g\. x\.reshape\(-1, 28, 28, 1\)/);
    // a rank-5 header over a file far too short is refused for its rank (read from the header), not as truncated
    expectInputError(() => readImages(file('r5short.npy', craft("{'descr': '<f8', 'fortran_order': False, 'shape': (100, 28, 28, 1, 3), }", new Uint8Array(8)))), /5-D array/);
  });

  it('names the first NaN or Inf by image, row, column and channel', () => {
    const x = images(3, 4, 5, 2);
    x.data[((2 * 4 + 1) * 5 + 3) * 2 + 1] = NaN;
    const f = join(dir, 'nan.npy');
    writeNpy(f, x);
    expectInputError(() => readImages(f, { name: 'X' }), /^X \(.*\): image 2 has NaN at row 1, column 3, channel 1 \(x\[2, 1, 3, 1\]\)$/);
    x.data.fill(0);
    x.data[5] = -Infinity;
    expectInputError(() => asImages(x, 'imgs'), /^imgs: image 0 has -Infinity at row 0, column 2, channel 1/);
    const f4 = join(dir, 'inf4.npy');
    writeNpy(f4, { shape: [1, 2, 2], data: new Float32Array([0, 0, Infinity, 0]) });
    expectInputError(() => readImages(f4), /image 0 has Infinity at row 1, column 0, channel 0/);
  });

  it('refuses no images and empty images', () => {
    const f = join(dir, 'empty.npy');
    writeNpy(f, { shape: [0, 28, 28, 1], data: new Float64Array(0) });
    expectInputError(() => readImages(f), /no images \(shape \(0, 28, 28, 1\)\)/);
    writeNpy(f, { shape: [5, 28, 0], data: new Float64Array(0) });
    expectInputError(() => readImages(f), /empty images \(shape \(5, 28, 0\)\)/);
    writeNpy(f, { shape: [5, 2, 2, 0], data: new Float64Array(0) });
    expectInputError(() => readImages(f), /empty images/);
  });

  it('refuses truncated files and headers whose shape disagrees with the file size', () => {
    const full = encodeNpy(images(4, 3, 3, 1));
    expectInputError(() => readImages(file('trunc.npy', full.subarray(0, full.length - 5))), /truncated \.npy file: shape \(4, 3, 3, 1\) float64 needs 288 bytes of data but only 283/);
    expectInputError(() => readImages(file('trunc-header.npy', full.subarray(0, 40))), /truncated .*header/);
    // the header claims 60 MNIST images, the file holds 50
    const u8 = new Uint8Array(50 * 784);
    expectInputError(
      () => readImages(file('liar.npy', craft("{'descr': '|u1', 'fortran_order': False, 'shape': (60, 28, 28, 1), }", u8)), { name: 'X' }),
      /^X \(.*liar\.npy\): truncated \.npy file: shape \(60, 28, 28, 1\) uint8 needs 47040 bytes of data but only 39200 are present$/,
    );
  });

  it('refuses 2^31 entries from the header, and anything over the memory limit, naming the size, before allocating', () => {
    const f = file('huge.npy', craft("{'descr': '|u1', 'fortran_order': False, 'shape': (2048, 1024, 1024, 1), }", new Uint8Array(64)));
    expectInputError(() => readImages(f), /shape \(2048, 1024, 1024, 1\) has 2147483648 entries, over the limit of 2147483647/);
    // a real file over a small memory limit: refused before reading (the float64 result is 8 bytes a pixel)
    const g = join(dir, 'medium.npy');
    writeNpy(g, { shape: [10, 28, 28, 1], data: new Float32Array(7840) });
    expectInputError(() => readImages(g, { name: 'X', maxMemoryBytes: 50_000 }), /^X \(.*medium\.npy\): images of shape \(10, 28, 28, 1\) \(float64\) needs about 91\.9 KiB, over the memory limit of 48\.8 KiB/);
    expect(readImages(g, { maxMemoryBytes: 100_000 }).shape).toEqual([10, 28, 28, 1]);
  });

  it('wants a .npy file', () => {
    expectInputError(() => readImages(join(dir, 'x.csv'), { name: 'X' }), /^X \(.*x\.csv\): images must be a \.npy file/);
    expectInputError(() => readImages(join(dir, 'missing.npy')), /cannot read .*missing\.npy.*no such file/);
  });
});

describe('image helpers', () => {
  it('flattenImages and matToImages share the data in (h, w, c) order', () => {
    const x = images(2, 3, 4, 2);
    const m = flattenImages(x);
    expect([m.rows, m.cols]).toEqual([2, 24]);
    expect(m.data).toBe(x.data);
    expect(m.data[1 * 24 + (2 * 4 + 3) * 2 + 1]).toBe(pixel(1, 2, 3, 1));
    const back = matToImages(m, 3, 4, 2);
    expect(back.shape).toEqual([2, 3, 4, 2]);
    expect(() => matToImages(m, 3, 3, 2)).toThrow(/cannot see 24 features as 3×3×2 images/);
  });

  it('downsampleImages gives exact block means (a direct loop agrees bit for bit)', () => {
    for (const [h, w, c, k] of [[28, 28, 1, 2], [28, 28, 1, 4], [6, 9, 3, 3], [4, 4, 2, 1]] as const) {
      const x = images(3, h, w, c);
      const y = downsampleImages(x, k);
      expect(y.shape).toEqual([3, h / k, w / k, c]);
      for (let i = 0; i < 3; i++) {
        for (let r = 0; r < h / k; r++) {
          for (let q = 0; q < w / k; q++) {
            for (let ch = 0; ch < c; ch++) {
              let s = 0;
              for (let dr = 0; dr < k; dr++) for (let dq = 0; dq < k; dq++) s += pixel(i, r * k + dr, q * k + dq, ch);
              expect(y.data[((i * (h / k) + r) * (w / k) + q) * c + ch]).toBe(s / (k * k));
            }
          }
        }
      }
    }
    // the mean of a constant block is that constant, and the total mass scales by 1/k²
    const ones: Images = { shape: [1, 4, 4, 1], data: new Float64Array(16).fill(0.5), dtype: 'float64' };
    expect(Array.from(downsampleImages(ones, 2).data)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(() => downsampleImages(images(1, 28, 28, 1), 3)).toThrow(/cannot downsample 28×28 images by 3/);
    expect(() => downsampleImages(images(1, 4, 4, 1), 0)).toThrow(InputError);
  });

  it("standardizeImages: 'unit-norm' gives |x|² = H·W·C per image, 'channels' zero mean and unit variance per channel", () => {
    const train = images(5, 4, 3, 2);
    const test = images(3, 4, 3, 2);
    const u = standardizeImages(train, test, 'unit-norm');
    for (const x of [u.train, u.test!]) {
      for (let i = 0; i < x.shape[0]; i++) {
        let q = 0;
        for (let k = 0; k < 24; k++) q += x.data[i * 24 + k] ** 2;
        expect(q).toBeCloseTo(24, 10);
      }
    }
    expect(u.train.shape).toEqual([5, 4, 3, 2]);
    const s = standardizeImages(train, test, 'channels');
    for (let ch = 0; ch < 2; ch++) {
      let m = 0;
      let v = 0;
      for (let k = ch; k < s.train.data.length; k += 2) m += s.train.data[k];
      m /= 60;
      for (let k = ch; k < s.train.data.length; k += 2) v += (s.train.data[k] - m) ** 2;
      expect(Math.abs(m)).toBeLessThan(1e-12);
      expect(v / 60).toBeCloseTo(1, 12);
    }
    // the test set uses the training statistics: a test image equal to a training image maps to the same numbers
    expect(Array.from(s.test!.data.subarray(0, 24))).toEqual(Array.from(s.train.data.subarray(0, 24)));
    // a constant channel becomes 0
    const flat: Images = { shape: [2, 1, 1, 2], data: Float64Array.from([3, 1, 3, 2]), dtype: 'float64' };
    expect(Array.from(standardizeImages(flat, null, 'channels').train.data)).toEqual([0, -1, 0, 1]);
    expect(standardizeImages(train, test, 'none').train).toBe(train);
    expect(() => standardizeImages(train, images(1, 3, 4, 2), 'none')).toThrow(/differ in size: 4×3×2 vs 3×4×2/);
    expect(() => standardizeImages(train, null, 'features' as 'none')).toThrow(/none, unit-norm or channels/);
  });
});

// numpy writes the images (the way people will save them), readImages must give numpy's float64 values in C order
const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
const NUMPY_IMAGES = String.raw`
import sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
arrays = {
  'u1_nhwc': rng.integers(0, 256, (5, 28, 28, 1), dtype=np.uint8),
  'u1_nhw': rng.integers(0, 256, (4, 14, 14), dtype=np.uint8),
  'f4_rgb': rng.standard_normal((3, 8, 6, 3)).astype(np.float32),
  'f4_fortran': np.asfortranarray(rng.standard_normal((3, 8, 6, 3)).astype(np.float32)),
  'u1_fortran': np.asfortranarray(rng.integers(0, 256, (4, 7, 7, 2), dtype=np.uint8)),
  'f8_nchw_as_nhwc': rng.standard_normal((2, 3, 5, 4)).transpose(0, 2, 3, 1),
}
for name, x in arrays.items():
    np.save(f'{d}/{name}.npy', x)
    ref = x if x.ndim == 4 else x[..., None]
    open(f'{d}/{name}.ref', 'wb').write(np.ascontiguousarray(ref, dtype='<f8').tobytes())
print(' '.join(arrays))
`;

describe.skipIf(!hasNumpy)('readImages against numpy', () => {
  it('uint8, float32, Fortran-order and transposed (N×C×H×W → N×H×W×C) arrays, bit for bit as float64', () => {
    const r = spawnSync('python3', ['-c', NUMPY_IMAGES, dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const names = r.stdout.trim().split(' ');
    expect(names).toHaveLength(6);
    for (const name of names) {
      const x = readImages(join(dir, `${name}.npy`));
      const ref = readFileSync(join(dir, `${name}.ref`));
      expect(x.shape.length, name).toBe(4);
      expect(x.data.length * 8, name).toBe(ref.length);
      expect(Buffer.compare(Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength), ref), name).toBe(0);
    }
  });
});
