import { describe, expect, it } from 'vitest';
import { addSharedGramShare, nativeStructuredShare, type SharedGramOperands } from '../../src/kernels/sensitivityGram.js';
import { Rng } from '../../src/util/random.js';
import { relToMax } from '../helpers.js';

/**
 * Independent float64 loop: acc0 + scale · (gs·X1·X2ᵀ + gb) ⊙ Σ_c D1_c·D2_cᵀ, every product and sum in float64 from
 * the float32 inputs, entry by entry (no BLAS, no symmetry).
 */
function reference(acc0: Float64Array, o: SharedGramOperands, scale: number): Float64Array {
  const { n1, n2, fanIn, width, k } = o;
  const x2 = o.x2 ?? o.x1;
  const d2 = o.d2 ?? o.d1;
  const out = Float64Array.from(acc0);
  for (let i = 0; i < n1; i++) {
    for (let j = 0; j < n2; j++) {
      let g = 0;
      for (let m = 0; m < fanIn; m++) g += o.x1[i * fanIn + m] * x2[j * fanIn + m];
      let s = 0;
      for (let c = 0; c < k; c++) {
        for (let u = 0; u < width; u++) s += o.d1[(c * n1 + i) * width + u] * d2[(c * n2 + j) * width + u];
      }
      out[i * n2 + j] += scale * (o.gramScale * g + o.gramBias) * s;
    }
  }
  return out;
}

const share = nativeStructuredShare();

describe.skipIf(!share)('a dense layer\'s structured NTK share on the host BLAS (addSharedGramShare)', () => {
  const operands = (rng: Rng, n1: number, n2: number | null, fanIn: number, width: number, k: number): SharedGramOperands => ({
    x1: rng.normalsFloat32(n1 * fanIn, 1),
    x2: n2 === null ? null : rng.normalsFloat32(n2 * fanIn, 1),
    d1: rng.normalsFloat32(k * n1 * width, 1),
    d2: n2 === null ? null : rng.normalsFloat32(k * n2 * width, 1),
    n1, n2: n2 ?? n1, fanIn, width, k, gramScale: 0.37, gramBias: 0.04,
  });

  // float32 products of fanIn (G) and k·width (S) terms of standard normals: relative rounding ~6e-8·√terms on
  // entries of size ~√terms, far below 1e-5 of the largest entry; the float64 reference has none of it, so the
  // difference is not 0 either (a float64 product would be a different routine). A wrong block, a missed mirror
  // entry, a transposed G or a lost c would be O(1).
  it('two sets X1, X2 (sgemm) equal the float64 loop and add onto acc', () => {
    const rng = new Rng(11);
    const o = operands(rng, 37, 29, 50, 30, 3);
    const acc = Float64Array.from({ length: 37 * 29 }, (_, i) => i % 7);
    const want = reference(acc, o, 0.1);
    addSharedGramShare(share!, acc, o, 0.1);
    const err = relToMax(acc, want);
    expect(err).toBeLessThan(1e-5);
    expect(err).toBeGreaterThan(0);
  });

  // n = 1, 63, 64, 65, 200 straddle the C routine's 64-row tiles of the mirrored update (diagonal tiles, off-diagonal
  // tiles, a ragged last tile); a non-zero starting acc that is not symmetric shows each side keeps its own entry.
  for (const n of [1, 63, 64, 65, 200]) {
    it(`the same points (ssyrk, n = ${n}) equal the float64 loop on both triangles`, () => {
      const rng = new Rng(n);
      const o = operands(rng, n, null, 40, 24, 3);
      const acc = Float64Array.from({ length: n * n }, (_, i) => (i * 13) % 5);
      const want = reference(acc, o, 0.5);
      addSharedGramShare(share!, acc, o, 0.5);
      expect(relToMax(acc, want)).toBeLessThan(1e-5);
    });
  }

  it('an empty contraction (fanIn = 0) leaves only the bias term', () => {
    const rng = new Rng(3);
    const o = operands(rng, 5, null, 0, 4, 2);
    const acc = new Float64Array(25);
    addSharedGramShare(share!, acc, o, 1);
    expect(relToMax(acc, reference(new Float64Array(25), o, 1))).toBeLessThan(1e-6);
  });

  it('refuses mismatched sizes (here and in the addon)', () => {
    const o = operands(new Rng(1), 3, null, 4, 2, 2);
    expect(() => addSharedGramShare(share!, new Float64Array(8), o, 1)).toThrow(/internal: dense share/);
    expect(() => addSharedGramShare(share!, new Float64Array(9), { ...o, d1: o.d1.subarray(1) }, 1)).toThrow(/internal: dense share/);
    expect(() => share!(new Float64Array(9), o.x1, null, o.d1.subarray(1), null, 3, 3, 4, 2, 2, 1, 0, 1)).toThrow(/structuredShare: d1 has/);
    expect(() => share!(new Float64Array(9), o.x1, o.x1, o.d1, null, 3, 3, 4, 2, 2, 1, 0, 1)).toThrow(/both be null/);
  });
});
