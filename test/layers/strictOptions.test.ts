import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { avgPool } from '../../src/layers/avgPool.js';
import { batchNorm } from '../../src/layers/batchNorm.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { elementwise } from '../../src/layers/elementwiseNumerical.js';
import { parseSpec } from '../../src/layers/json.js';
import { SpecError } from '../../src/layers/specError.js';

/** The SpecError `f` throws (it must throw one). */
function specError(f: () => unknown): SpecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    expect((e as Error).message).not.toContain('\n');
    return e as SpecError;
  }
  throw new Error('expected a SpecError');
}

describe('JS layer builders check their options as strictly as the spec parsers', () => {
  it('dense(64, { wstd: 2 }) is an error naming the allowed keys, like the one-line parser', () => {
    const js = specError(() => dense(64, { wstd: 2 } as never));
    expect(js.message).toBe('dense: unknown option "wstd" (allowed: wStd, bStd; did you mean wStd?)');
    // the one-line form refuses the same typo
    expect(specError(() => parseSpec('dense(64, wstd=2)')).message).toMatch(/unknown field "wstd" \(allowed: width, wStd, bStd\)/);
    // and the right key still works: the JSON form records the value given
    expect(dense(64, { wStd: 2 }).json).toMatchObject({ type: 'dense', width: 64, wStd: 2, bStd: 0 });
  });

  it('wrong types are refused with the expected kind', () => {
    expect(specError(() => dense(8, { wStd: '2' } as never)).message).toBe('dense: wStd must be a number, got the string "2"');
    expect(specError(() => batchNorm({ affine: 1 } as never)).message).toBe('batchNorm: affine must be true or false, got 1');
    expect(specError(() => conv(8, { filter: 3 } as never)).message).toBe('conv: filter must be an array of numbers, got 3');
    expect(specError(() => dense(8, 2 as never)).message).toMatch(/^dense: the options must be an object with keys among wStd, bStd, got 2$/);
  });

  it('every builder with options refuses unknown keys', () => {
    expect(specError(() => conv(8, { filter: [3, 3], pading: 'SAME' } as never)).message).toMatch(/^conv: unknown option "pading" \(allowed: filter, strides, padding, wStd, bStd\)$/);
    expect(specError(() => avgPool({ window: [2, 2], stride: [2, 2] } as never)).message).toMatch(/^avgPool: unknown option "stride" \(allowed: window, strides, padding\)$/);
    expect(specError(() => batchNorm({ Momentum: 0.9 } as never)).message).toMatch(/did you mean momentum\?/);
    const fns = { phi: Math.tanh, tfPhi: (x: tf.Tensor) => tf.tanh(x) };
    expect(specError(() => elementwise(fns, { degre: 10 } as never)).message).toMatch(/^elementwise: unknown option "degre" \(allowed: name, degree, homogeneous\)$/);
    expect(specError(() => elementwise({ ...fns, dPhi: Math.cos } as never)).message).toMatch(/unknown function "dPhi" .*did you mean dphi\?/);
    expect(specError(() => conv(8, undefined as never)).message).toMatch(/options are required/);
  });

  it('the registry (JSON and one-line specs) still builds every layer with options, absent ones left out', () => {
    const spec = parseSpec('conv(4, 3x3) > batchNorm(momentum=0.9) > relu > avgPool(2x2) > flatten > dense(3, bStd=0.1)');
    expect(spec.layers.map((l) => l.json.type)).toEqual(['conv', 'batchNorm', 'relu', 'avgPool', 'flatten', 'dense']);
    expect(specError(() => parseSpec('{"layers":[{"type":"batchNorm","affine":"yes"}]}')).message).toMatch(/affine must be true or false, got the string "yes"/);
  });
});
