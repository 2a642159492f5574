import { describe, expect, it } from 'vitest';
import { analyticKernel, analyticKernelSync, kernelDiagonal } from '../../src/kernels/analytic.js';
import { assertFiniteKernel, checkSquaredNorms } from '../../src/kernels/finiteKernel.js';
import { parseSpec } from '../../src/layers/json.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

const scaled = (m: Mat, s: number): Mat => ({ rows: m.rows, cols: m.cols, data: m.data.map((v) => v * s) });
const deep = parseSpec('dense(8, wStd=100) > relu > dense(8, wStd=100) > relu > dense(1, wStd=100)');
const x = randomMatrix(6, 5, 3);

describe('analytic kernels never return Inf/NaN', () => {
  it('inputs whose |x|² overflows (×1e300) are refused up front, naming the row', async () => {
    expect(() => analyticKernelSync(deep, scaled(x, 1e300))).toThrow(/^X1 row 0 has \|x\|² beyond the float64 range: the inputs are too large/);
    await expect(analyticKernel(deep, x, scaled(x, 1e300), { get: 'ntk' })).rejects.toThrow(/^X2 row 0 has \|x\|² beyond the float64 range/);
    expect(() => kernelDiagonal(deep, scaled(x, 1e300))).toThrow(InputError);
  });

  it('a kernel that overflows in the layer recursions is refused with where it happened and max |x|²', async () => {
    const big = scaled(x, 1e152); // |x|² ≈ 1e304: finite, but ×wStd² per layer overflows
    await expect(analyticKernel(deep, big, undefined, { get: 'ntk' })).rejects.toThrow(/^NTK is not finite at row 0, column 0 \(value Infinity\): the inputs are too large \(max \|x\|² = \d\.\d\de\+30\d\)/);
    expect(() => analyticKernelSync(deep, big, undefined, { get: 'nngp' })).toThrow(/^NNGP is not finite at row 0, column 0/);
    expect(() => kernelDiagonal(deep, big)).toThrow(/^NNGP diagonal is not finite at row 0/);
  });

  it('ordinary inputs are unaffected', () => {
    const k = analyticKernelSync(deep, x).ntk!;
    expect(k.data.every(Number.isFinite)).toBe(true);
  });

  it('assertFiniteKernel names row and column; checkSquaredNorms returns the largest |x|²', () => {
    expect(() => assertFiniteKernel({ rows: 2, cols: 3, data: Float64Array.from([1, 2, 3, 4, NaN, 6]) }, 'K', 2)).toThrow(/^K is not finite at row 1, column 1 \(value NaN\)/);
    expect(checkSquaredNorms(Float64Array.from([1, 5, 2]), 'X')).toBe(5);
  });
});
