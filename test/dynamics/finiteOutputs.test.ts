import { describe, expect, it } from 'vitest';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { assertFiniteOverTime } from '../../src/dynamics/finiteOutputs.js';
import { spectralSolve } from '../../src/dynamics/spectral.js';
import { lambdaScan } from '../../src/experiments/lambdaScan.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { randomMatrix } from '../helpers.js';

const spec = parseSpec('dense(16, wStd=1.4) > relu > dense(2, wStd=1.4)');
const x = randomMatrix(8, 3, 1);
const xt = randomMatrix(5, 3, 2);
const thetaTrain = analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!;
const thetaTest = analyticKernelSync(spec, xt, x, { get: 'ntk' }).ntk!;
const scaled = (m: Mat, s: number): Mat => ({ rows: m.rows, cols: m.cols, data: m.data.map((v) => v * s) });

describe('flow outputs are refused when not finite', () => {
  it('assertFiniteOverTime names the quantity, the time and the entry', () => {
    const t = Float64Array.from([0.5, 2]);
    expect(() => assertFiniteOverTime(Float64Array.from([1, Infinity]), 'train MSE', t)).toThrow(/^the flow's train MSE is not finite at t = 2 \(time index 1; value Infinity\)/);
    expect(() => assertFiniteOverTime(Float64Array.from([1, 2, 3, NaN]), 'f_train', t)).toThrow(/^the flow's f_train is not finite at t = 2 \(time index 1, entry 1 of 2; value NaN\)/);
    expect(() => assertFiniteOverTime(Float64Array.from([1, 2]), 'x', t)).not.toThrow();
  });

  it('a λ scan with targets ×1e200 refuses the overflowing MSE instead of returning null-bound NaN/Inf', () => {
    const eb = eigenbasis({ thetaTrain, thetaTest, y: scaled(randomMatrix(8, 2, 3), 1e200), yTest: scaled(randomMatrix(5, 2, 4), 1e200) });
    expect(() => lambdaScan(eb, [0.01, 0.1], 2)).toThrow(/^the flow's train MSE is not finite at t = /);
  });

  it('f0 near the float64 limit overflowing f is refused by spectralSolve', () => {
    const f0 = scaled(randomMatrix(8, 2, 5), 1e308);
    const eb = eigenbasis({ thetaTrain, y: randomMatrix(8, 2, 3), f0 });
    expect(() => spectralSolve(eb, 0.01, 2, Float64Array.from([0, 1]))).toThrow(/^the flow's f_train is not finite/);
  });
});
