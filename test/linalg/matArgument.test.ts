import { describe, expect, it } from 'vitest';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { analyticKernel, analyticKernelSync, kernelDiagonal } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import { fromRows, type Mat } from '../../src/linalg/matrix.js';
import { InputError, assertFinite } from '../../src/util/errors.js';

const spec = parseSpec('dense(8) > relu > dense(1)');
const rows = [
  [1, 0.5, -0.25],
  [0.3, -1, 2],
];
const PASS = /pass a Mat \{ rows, cols, data: Float64Array \} \(fromRows\(arrayOfRows\) builds one from number\[\]\[\]\)/;

describe('JS arrays where a matrix belongs: refused saying what to pass (was "contains NaN")', () => {
  it('analyticKernel, analyticKernelSync and kernelDiagonal name the argument and the fix', async () => {
    await expect(analyticKernel(spec, rows as unknown as Mat)).rejects.toThrow(InputError);
    await expect(analyticKernel(spec, rows as unknown as Mat)).rejects.toThrow(new RegExp(`^X is a JS array; ${PASS.source}$`));
    const x = fromRows(rows);
    await expect(analyticKernel(spec, x, rows as unknown as Mat)).rejects.toThrow(/^X2 is a JS array; pass a Mat/);
    expect(() => analyticKernelSync(spec, Float64Array.from([1, 2]) as unknown as Mat)).toThrow(/^X is a flat typed array without a shape; pass a Mat/);
    expect(() => kernelDiagonal(spec, rows as unknown as Mat)).toThrow(/^X is a JS array; pass a Mat/);
    // what the message says to do works, and gives the kernel of the same points
    const k = analyticKernelSync(spec, x);
    expect(k.ntk.rows).toBe(2);
    expect(k.ntk.data[1]).toBe(k.ntk.data[2]);
  });

  it('the flow problem (eigenbasis) too, and assertFinite no longer calls an array entry NaN', () => {
    const theta = fromRows([
      [2, 0.5],
      [0.5, 1],
    ]);
    expect(() => eigenbasis({ thetaTrain: theta, y: [[1], [0]] as unknown as Mat })).toThrow(/^Y is a JS array; pass a Mat/);
    expect(() => assertFinite([[1, 2]] as unknown as number[], 'X')).toThrow(/^X holds an array at index 0, not a number: pass a Mat/);
    expect(() => assertFinite([1, NaN], 'X')).toThrow(/contains NaN or Inf at index 1/);
  });
});
