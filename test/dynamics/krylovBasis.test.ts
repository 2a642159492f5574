import { describe, expect, it } from 'vitest';
import { krylovBasis } from '../../src/dynamics/krylovBasis.js';
import { getLinalg } from '../../src/linalg/index.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { inMemoryRowBlocks } from '../../src/linalg/rowBlocks.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix, relToMax } from '../helpers.js';

const linalg = getLinalg();

/** A random n×n PSD matrix X·Xᵀ/d with d = n (well spread spectrum), float64. */
function psd(n: number, seed: number): Mat {
  const x = randomMatrix(n, n, seed);
  return linalg.syrk(x, { alpha: 1 / n });
}

function scaled(m: Mat, s: number): Mat {
  return { rows: m.rows, cols: m.cols, data: m.data.map((v) => v * s) };
}

describe('block Krylov basis of Θ/n (streamed row blocks)', () => {
  const n = 120;
  const theta = psd(n, 1);
  const y = randomMatrix(n, 3, 2);

  it('is orthonormal and T equals QᵀΘQ/n formed from the full matrix (≤ 1e-12), for any row-block size', () => {
    const results = [7, 64, n].map((rowsPerBlock) => {
      const b = krylovBasis(inMemoryRowBlocks(theta, rowsPerBlock), y);
      for (let i = 0; i < 10; i++) b.extend();
      return b;
    });
    for (const b of results) {
      expect(b.size).toBe(30);
      expect(b.passes.train).toBe(10);
      const q = b.basisRows();
      const qtq = linalg.gemm(q, q, { transB: true });
      const eye = new Float64Array(b.size * b.size);
      for (let i = 0; i < b.size; i++) eye[i * b.size + i] = 1;
      // orthogonality: full reorthogonalization keeps |QᵀQ − I| at round-off
      expect(relToMax(qtq.data, eye)).toBeLessThan(1e-12);
      // T against an independent dense product with the whole matrix
      const direct = linalg.gemm(linalg.gemm(q, scaled(theta, 1 / n)), q, { transB: true });
      expect(relToMax(b.projected().data, direct.data)).toBeLessThan(1e-12);
      // Y lies in the span of the first block: QQᵀY = Y
      expect(relToMax(b.lift(b.project(y)).data, y.data)).toBeLessThan(1e-12);
    }
    // the streamed products agree whatever the block size (same arithmetic up to gemm blocking)
    expect(relToMax(results[0].projected().data, results[2].projected().data)).toBeLessThan(1e-12);
  });

  it('exhausts the space at n = 40 with Ritz values = the eigenvalues of Θ/n (≤ 1e-12 of the largest)', () => {
    const m = 40;
    const th = psd(m, 3);
    const b = krylovBasis(inMemoryRowBlocks(th, 16), randomMatrix(m, 3, 4));
    let extends_ = 0;
    while (!b.exhausted && extends_ < 100) {
      b.extend();
      extends_++;
    }
    expect(b.exhausted).toBe(true);
    expect(b.size).toBe(m);
    const ritz = linalg.eigh(b.projected()).values;
    const eig = linalg.eigh(scaled(th, 1 / m)).values;
    expect(relToMax(ritz, eig)).toBeLessThan(1e-12);
  });

  it('deflates: a start block with a repeated column, and a rank-2 Θ (invariant space after one block)', () => {
    const yRep: Mat = { rows: n, cols: 2, data: new Float64Array(n * 2) };
    for (let i = 0; i < n; i++) yRep.data[i * 2] = yRep.data[i * 2 + 1] = y.data[i * 3];
    const b = krylovBasis(inMemoryRowBlocks(theta), yRep);
    b.extend();
    expect(b.size).toBe(1);
    // Θ = u uᵀ + v vᵀ: K(Θ, [u, v]) = span{u, v}
    const uv = randomMatrix(n, 2, 5);
    const low = linalg.gemm(uv, uv, { transB: true });
    const b2 = krylovBasis(inMemoryRowBlocks(low), uv);
    b2.extend();
    expect(b2.exhausted).toBe(true);
    expect(b2.residual).toBeLessThan(1e-10);
  });

  it('Θ* projection equals Θ*Q/n from the full matrices, across extensions', () => {
    const test = randomMatrix(25, n, 6);
    const b = krylovBasis(inMemoryRowBlocks(theta, 50), y, { test: inMemoryRowBlocks(test, 10) });
    b.extend();
    b.extend();
    b.testProjection();
    b.extend();
    const p = b.testProjection()!;
    const direct = linalg.gemm(scaled(test, 1 / n), b.basisRows(), { transB: true });
    expect(p.rows).toBe(25);
    expect(p.cols).toBe(9);
    expect(b.passes.test).toBe(2);
    expect(relToMax(p.data, direct.data)).toBeLessThan(1e-13);
  });

  it('refuses an asymmetric Θ, a non-square Θ, a zero start block (InputError)', () => {
    const asym = Float64Array.from(theta.data);
    asym[1] += 0.5;
    const b = krylovBasis(inMemoryRowBlocks({ rows: n, cols: n, data: asym }), y);
    expect(() => b.extend()).toThrow(/not symmetric/);
    expect(() => krylovBasis(inMemoryRowBlocks(randomMatrix(n, n - 1, 7)), y)).toThrow(InputError);
    expect(() => krylovBasis(inMemoryRowBlocks(theta), { rows: n, cols: 1, data: new Float64Array(n) })).toThrow(/all zero/);
  });
});
