import { describe, expect, it } from 'vitest';
import { addSensitivityGram, nativeSgemm, panelRows } from '../../src/kernels/sensitivityGram.js';
import { Rng } from '../../src/util/random.js';
import { relToMax } from '../helpers.js';

/** float64 reference: acc0 + scale · G ⊙ (F1·F2ᵀ), every sum in float64 from the float32 inputs. */
function reference(acc0: Float64Array, g: Float32Array, f1: Float32Array, f2: Float32Array, n1: number, n2: number, cols: number, scale: number): Float64Array {
  const out = Float64Array.from(acc0);
  for (let i = 0; i < n1; i++) {
    for (let j = 0; j < n2; j++) {
      let s = 0;
      for (let u = 0; u < cols; u++) s += f1[i * cols + u] * f2[j * cols + u];
      out[i * n2 + j] += scale * g[i * n2 + j] * s;
    }
  }
  return out;
}

function randomF32(n: number, rng: Rng): Float32Array {
  return rng.normalsFloat32(n, 1);
}

const sgemm = nativeSgemm();

describe.skipIf(!sgemm)('the structured NTK share on the host BLAS (addSensitivityGram)', () => {
  // float32 products of `cols` terms (standard normals): relative rounding ~6e-8·√cols on entries of size ~√cols,
  // far below 1e-5 of the largest entry; the float64 reference has none of it.
  it('F1·F2ᵀ (two sets) equals the float64 reference to float32 rounding and adds onto acc', () => {
    const rand = new Rng(11);
    const [n1, n2, cols] = [37, 29, 300];
    const f1 = randomF32(n1 * cols, rand);
    const f2 = randomF32(n2 * cols, rand);
    const g = randomF32(n1 * n2, rand);
    const acc = Float64Array.from({ length: n1 * n2 }, (_, i) => i % 7);
    const want = reference(acc, g, f1, f2, n1, n2, cols, 0.1);
    addSensitivityGram(sgemm!, acc, g, f1, f2, n1, n2, cols, 0.1);
    const err = relToMax(acc, want);
    expect(err).toBeLessThan(1e-5);
    expect(err).toBeGreaterThan(0); // float32 products: not bit-identical to float64
  });

  // n = 200 gives panels of 64 rows (4 panels, the last of 8 rows): the diagonal blocks, the mirrored blocks and
  // a ragged last panel are all exercised; an asymmetric G shows that each side uses its own G entry.
  for (const n of [1, 63, 64, 65, 200]) {
    it(`F·Fᵀ by row panels (n = ${n}, panel ${panelRows(n)} rows) equals the float64 reference, each entry once`, () => {
      const rand = new Rng(n);
      const cols = 96;
      const f = randomF32(n * cols, rand);
      const g = randomF32(n * n, rand);
      const acc = new Float64Array(n * n);
      const want = reference(acc, g, f, f, n, n, cols, 0.5);
      addSensitivityGram(sgemm!, acc, g, f, null, n, n, cols, 0.5);
      expect(relToMax(acc, want)).toBeLessThan(1e-5);
    });
  }

  it('refuses mismatched sizes', () => {
    expect(() => addSensitivityGram(sgemm!, new Float64Array(4), new Float32Array(4), new Float32Array(6), null, 2, 2, 2, 1)).toThrow(/internal: sensitivity Gram/);
  });
});
