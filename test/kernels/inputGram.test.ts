import { describe, expect, it } from 'vitest';
import { inputGramInto } from '../../src/kernels/inputGram.js';
import { sharedFloat64 } from '../../src/kernels/sharedBuffer.js';
import { jsLinalg } from '../../src/linalg/js.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { loadNativeAddon, loadNativeLinalg } from '../../src/linalg/native.js';
import { nativeKernels } from '../../src/linalg/nativeKernels.js';
import { Rng } from '../../src/util/random.js';

// The input covariance written in place (src/kernels/inputGram.ts) against the same backend's own syrk/gemm: the
// same BLAS call on the same data, so the entries must agree to the last bit (toBe on every entry, no tolerance).

const mat = (rows: number, cols: number, seed: number): Mat => ({ rows, cols, data: new Rng(seed).normals(rows * cols) });
const native = loadNativeLinalg();
const addon = loadNativeAddon().addon;

for (const la of [jsLinalg, ...(native ? [native] : [])]) {
  describe(`inputGramInto (${la.name})`, () => {
    it('X2 = X1: the lower triangle is syrk(X)/d bit for bit', () => {
      const x = mat(97, 31, 3);
      const out = sharedFloat64(97 * 97);
      inputGramInto(la, x, null, out);
      const ref = la.syrk(x, { alpha: 1 / 31 }).data;
      for (let i = 0; i < 97; i++) for (let j = 0; j <= i; j++) expect(out[i * 97 + j]).toBe(ref[i * 97 + j]);
    });

    it('X2 ≠ X1: the whole matrix is gemm(X1, X2ᵀ)/d bit for bit', () => {
      const x1 = mat(70, 13, 4);
      const x2 = mat(45, 13, 5);
      const out = sharedFloat64(70 * 45);
      inputGramInto(la, x1, x2, out);
      const ref = la.gemm(x1, x2, { transB: true, alpha: 1 / 13 }).data;
      expect(Array.from(out)).toEqual(Array.from(ref));
    });
  });
}

describe.skipIf(addon === null)('native dsyrk into a given array', () => {
  it('lowerOnly writes the lower triangle alone (the strict upper one keeps its values) and returns c', () => {
    const x = mat(33, 20, 6);
    const full = addon!.dsyrk(x.data, 33, 20, false, 0.25);
    const c = new Float64Array(33 * 33).fill(-7);
    expect(addon!.dsyrk(x.data, 33, 20, false, 0.25, c, true)).toBe(c);
    for (let i = 0; i < 33; i++) {
      for (let j = 0; j < 33; j++) expect(c[i * 33 + j]).toBe(j <= i ? full[i * 33 + j] : -7);
    }
    const whole = new Float64Array(33 * 33).fill(-7);
    addon!.dsyrk(x.data, 33, 20, false, 0.25, whole);
    expect(Array.from(whole)).toEqual(Array.from(full));
  });

  it('refuses a c of the wrong size or overlapping a, in one line', () => {
    const x = mat(4, 3, 7);
    expect(() => addon!.dsyrk(x.data, 4, 3, false, 1, new Float64Array(15), true)).toThrow(/c has 15 entries, expected 4×4/);
    const shared = new Float64Array(12 + 16);
    shared.set(x.data);
    expect(() => addon!.dsyrk(shared.subarray(0, 12), 4, 3, false, 1, shared.subarray(12 - 4, 12 - 4 + 16), true)).toThrow(/overlap/);
  });

  it('k = 0: zeros in the lower triangle', () => {
    const c = new Float64Array(9).fill(5);
    addon!.dsyrk(new Float64Array(0), 3, 0, false, 1, c, true);
    expect(Array.from(c)).toEqual([0, 5, 5, 0, 0, 5, 0, 0, 0]);
  });
});

describe('sharedFloat64', () => {
  it('is zero-filled, over a SharedArrayBuffer, and the huge-page advice (when there) leaves values alone', () => {
    const a = sharedFloat64(1 << 20); // 8 MiB: large enough to be advised
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.length).toBe(1 << 20);
    expect(a.every((v) => v === 0)).toBe(true);
    const advise = nativeKernels()?.adviseHugePages;
    if (advise) {
      a.fill(1.5);
      expect(typeof advise(a)).toBe('boolean');
      expect(a.every((v) => v === 1.5)).toBe(true);
      expect(advise(new Float64Array(0))).toBe(false);
    }
  });
});
