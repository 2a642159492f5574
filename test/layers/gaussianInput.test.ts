import { describe, expect, it } from 'vitest';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { parseSpec } from '../../src/layers/json.js';
import { bindFinite } from '../../src/layers/network.js';
import { serial } from '../../src/layers/serial.js';
import type { Layer } from '../../src/layers/types.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import type { Images } from '../../src/data/images.js';
import { randomMatrix, specErrorMessage } from '../helpers.js';

/** The one-line SpecError message, within the CLI's 300-character limit. */
const refusal = (fn: () => unknown): string => {
  const msg = specErrorMessage(fn);
  expect(msg.length).toBeLessThanOrEqual(300);
  return msg;
};

const images: Images = { shape: [2, 5, 5, 2], data: Float64Array.from(randomMatrix(2, 50, 3).data), dtype: 'float64' };

describe('pointwise nonlinearities need centred Gaussian input for their analytic kernel', () => {
  it('refuses relu after relu(conv) + residual branch (not Gaussian), and every nonlinearity on the raw data', () => {
    const post = parseSpec('conv(4, 3x3) > relu > residual[conv(4, 3x3)] > relu > globalAvgPool > dense(1)');
    expect(refusal(() => analyticKernelSync(post, images))).toMatch(/layers\[3\] \(relu\).*centred Gaussian/);
    for (const act of ['relu', 'erf', 'gelu', 'tanh', 'abrelu(a=0.1, b=1)']) {
      expect(refusal(() => analyticKernelSync(parseSpec(`${act} > dense(1)`), randomMatrix(3, 4, 1)))).toMatch(/centred Gaussian/);
    }
    // the finite network of the same spec is fine: only the closed form assumes Gaussian units
    expect(() => bindFinite(post, { spatial: [5, 5], width: 2 })).not.toThrow();
  });

  it('accepts the pre-activation residual block, nonlinearities after pooling and after a sum of independent branches', () => {
    for (const text of [
      'conv(4, 3x3) > residual[relu > conv(4, 3x3)] > relu > globalAvgPool > dense(1)',
      'conv(4, 3x3) > avgPool(2x2) > relu > flatten > dense(1)',
      'conv(4, 3x3) > parallel[conv(4, 3x3) | conv(4, 1x1)] > fanInSum > relu > globalAvgPool > dense(1)',
    ]) {
      const k = analyticKernelSync(parseSpec(text), images, undefined, { get: 'ntk' });
      expect(k.ntk!.data.every(Number.isFinite)).toBe(true);
    }
  });

  it('lets an input of unknown kind through (a user layer that does not declare gaussianOutput)', () => {
    const plain = dense(6);
    const { gaussianOutput: _omitted, ...undeclared } = plain;
    const user: Layer = { ...undeclared, json: { type: 'myDense' } as unknown as Layer['json'] };
    const x = randomMatrix(3, 4, 2);
    const mine = analyticKernelSync(serial(user, relu(), dense(1)), x, undefined, { get: 'ntk' });
    const ref = analyticKernelSync(serial(plain, relu(), dense(1)), x, undefined, { get: 'ntk' });
    expect(mine.ntk!.data).toEqual(ref.ntk!.data);
  });
});
