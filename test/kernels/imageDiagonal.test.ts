import { describe, expect, it } from 'vitest';
import type { Images } from '../../src/data/images.js';
import { analyticKernelSync, kernelDiagonal } from '../../src/kernels/analytic.js';
import { ntkUnderL2, ntkUnderL2Diagonal } from '../../src/kernels/underL2.js';
import { parseSpec } from '../../src/layers/json.js';
import { randomMatrix } from '../helpers.js';

const images: Images = { shape: [5, 6, 5, 2], data: Float64Array.from(randomMatrix(5, 60, 7).data), dtype: 'float64' };
const diagonalOf = (m: { rows: number; cols: number; data: Float64Array }): number[] => Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + i]);

describe('kernel diagonals on images (one point at a time)', () => {
  // the full kernel's diagonal comes from the same self parts, so the two routes agree to rounding (1e-13 relative:
  // the same operations, possibly grouped into other tiles)
  for (const text of [
    'conv(3, 3x3, bStd=0.2) > relu > conv(3, 2x2, strides=2x1, padding=VALID) > relu > flatten > dense(1)',
    'conv(3, 3x3) > residual[relu > conv(3, 3x3, bStd=0.1)] > avgPool(2x2, padding=SAME) > erf > globalAvgPool > dense(1)',
  ]) {
    it(`equals the diagonal of the full N×N kernel: ${text}`, () => {
      const spec = parseSpec(text);
      const full = analyticKernelSync(spec, images, undefined, { get: 'both' });
      const d = kernelDiagonal(spec, images);
      const ref = { nngp: diagonalOf(full.nngp!), ntk: diagonalOf(full.ntk!) };
      for (const key of ['nngp', 'ntk'] as const) {
        for (let i = 0; i < 5; i++) expect(Math.abs(d[key][i] - ref[key][i])).toBeLessThanOrEqual(1e-13 * Math.abs(ref[key][i]));
      }
      // and under L2 (scaled-σ prediction): the diagonal of ntkUnderL2
      const dl = ntkUnderL2Diagonal(spec, 0.7, images);
      const fl = diagonalOf(ntkUnderL2(spec, 0.7, images));
      for (let i = 0; i < 5; i++) expect(Math.abs(dl[i] - fl[i])).toBeLessThanOrEqual(1e-13 * Math.abs(fl[i]));
      expect(Math.abs(dl[0] - d.ntk[0])).toBeGreaterThan(1e-3 * d.ntk[0]); // Λ = 0.7 moves it
    });
  }

  it('bounds memory by one pair and reports progress per point', () => {
    const spec = parseSpec('conv(3, 3x3) > relu > globalAvgPool > dense(1)');
    const seen: number[] = [];
    kernelDiagonal(spec, images, { onProgress: (done) => seen.push(done) });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    // the full 5×5 kernel is refused at a limit one pair's covariances fit under
    expect(() => analyticKernelSync(spec, images, undefined, { maxMemoryBytes: 400_000 })).toThrow(/needs about/);
    expect(() => kernelDiagonal(spec, images, { maxMemoryBytes: 400_000 })).not.toThrow();
  });
});
