import { describe, expect, it } from 'vitest';
import { relu } from '../../src/layers/abrelu.js';
import { isBuiltin } from '../../src/layers/builtin.js';
import { dense } from '../../src/layers/dense.js';
import { elementwise } from '../../src/layers/elementwiseNumerical.js';
import { fanInSum } from '../../src/layers/fanInSum.js';
import { identity } from '../../src/layers/identity.js';
import { parseSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { bindFinite, withHiddenWidth } from '../../src/layers/network.js';
import { parallel } from '../../src/layers/parallel.js';
import { residual } from '../../src/layers/residual.js';
import { bindKernel, homogeneityDegree, serial, weightLayerCount } from '../../src/layers/serial.js';
import { SpecError } from '../../src/layers/specError.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { trainRun } from '../../src/training/trainer.js';
import { randomMatrix, specErrorMessage } from '../helpers.js';


describe('composite layers: JSON, properties, checks', () => {
  const text =
    '{"parameterization":"ntk","layers":[{"type":"dense","width":8,"wStd":1,"bStd":0},' +
    '{"type":"residual","layers":[{"type":"relu"},{"type":"dense","width":8,"wStd":1.2,"bStd":0.1}]},' +
    '{"type":"parallel","branches":[[{"type":"dense","width":8,"wStd":1,"bStd":0}],[{"type":"erf"}]]},' +
    '{"type":"fanInSum"},{"type":"dense","width":1,"wStd":1,"bStd":0}]}';

  it('JSON round trip, exactly the documented forms, and composites of builtin layers are builtin', () => {
    const spec = parseSpec(text);
    expect(JSON.stringify(specToJson(spec))).toBe(text);
    expect(specToJson(specFromJson(specToJson(spec)))).toEqual(specToJson(spec));
    expect(specToJson(serial(parallel([dense(4)], []), fanInSum())).layers[0]).toEqual({ type: 'parallel', branches: [[{ type: 'dense', width: 4, wStd: 1, bStd: 0 }], []] });
    expect(spec.layers.every(isBuiltin)).toBe(true);
    const custom = elementwise({ phi: Math.sin, tfPhi: (x) => x });
    expect(isBuiltin(residual(custom, dense(4)))).toBe(false);
    // the same numbers after the round trip
    const x = randomMatrix(6, 3, 1);
    expect(analyticKernelSync(specFromJson(specToJson(spec)), x).ntk!.data).toEqual(analyticKernelSync(spec, x).ntk!.data);
  });

  it('nested lists obey the nesting and layer-count limits, and bad composites are one-line SpecErrors', () => {
    let deep = '{"type":"relu"}';
    for (let i = 0; i < 40; i++) deep = `{"type":"residual","layers":[${deep}]}`;
    expect(specErrorMessage(() => parseSpec(`{"layers":[${deep}]}`))).toMatch(/nested more than 32/);
    expect(specErrorMessage(() => specFromJson(JSON.parse(`{"layers":[${deep}]}`)))).toMatch(/nested more than 32/);
    const many = Array.from({ length: 6000 }, () => '{"type":"relu"}').join(',');
    expect(specErrorMessage(() => parseSpec(`{"layers":[{"type":"residual","layers":[${many}]},{"type":"residual","layers":[${many}]}]}`))).toMatch(/at most 10000/);
    expect(specErrorMessage(() => parseSpec('{"layers":[{"type":"parallel","branches":[{"type":"relu"}]}]}'))).toMatch(/branches.*non-empty array of layer arrays/);
    expect(specErrorMessage(() => parseSpec('{"layers":[{"type":"residual","layers":[],"width":3}]}'))).toMatch(/unknown field "width"/);
    expect(specErrorMessage(() => parseSpec('{"layers":[{"type":"residual","layers":[{"type":"sigmoid"}]}]}'))).toMatch(/layers\[0\]\.layers\[0\]: unknown layer type "sigmoid"/);
  });

  it('widths and lists are checked at bind time with one line', () => {
    expect(specErrorMessage(() => bindKernel(serial(dense(4), parallel([dense(4)], [dense(5)]), fanInSum()), 3))).toMatch(/branches give widths 4, 5/);
    expect(specErrorMessage(() => bindKernel(serial(dense(4), residual(dense(6))), 3))).toMatch(/residual: the block maps width 4 to 6/);
    expect(specErrorMessage(() => bindKernel(serial(dense(4), parallel([dense(4)], [])), 3))).toMatch(/ends with a list of 2 values: add fanInSum/);
    expect(specErrorMessage(() => bindKernel(serial(dense(4), parallel([dense(4)], []), relu()), 3))).toMatch(/layers\[2\] \(relu\): takes a single input, got a list of 2/);
    expect(specErrorMessage(() => bindKernel(serial(dense(4), fanInSum()), 3))).toMatch(/fanInSum sums a list/);
    expect(specErrorMessage(() => bindFinite(serial(dense(4), parallel([dense(4)], [dense(5)]), fanInSum()), 3))).toMatch(/branches give widths/);
  });

  it('properties derive from the children: homogeneity, depth, scaleParams, hidden widths', () => {
    // residual with an identity skip: the block has degree 2, the skip 0, so no homogeneity
    expect(homogeneityDegree(serial(dense(8), residual(dense(8), relu(), dense(8)), dense(1)))).toBeNull();
    // two equal-depth bias-free ReLU branches: degree L of each branch, plus the outer layers
    const par = serial(parallel([dense(8), relu(), dense(8)], [dense(8), relu(), dense(8), relu()]), fanInSum());
    expect(homogeneityDegree(par)).toBe(2);
    expect(homogeneityDegree(serial(parallel([dense(8)], [dense(8), relu(), dense(8)]), fanInSum()))).toBeNull();
    expect(homogeneityDegree(serial(parallel([dense(8, { bStd: 0.1 })], [dense(8)]), fanInSum()))).toBeNull();
    const res = serial(dense(8), residual(relu(), dense(8)), residual(dense(8), relu(), dense(8)), dense(2));
    expect(weightLayerCount(res)).toBe(5);
    const wide = withHiddenWidth(res, 32);
    expect(bindFinite(wide, 3).paramCount).toBe(3 * 32 + 32 * 32 * 3 + 32 * 2);
    expect(specToJson(wide).layers[1]).toEqual({ type: 'residual', layers: [{ type: 'relu' }, { type: 'dense', width: 32, wStd: 1, bStd: 0 }] });
    // scaling every parameter by s scales wStd and bStd inside composites too
    const scaled = residual(dense(8, { wStd: 2, bStd: 1 })).scaleParams(0.5);
    expect(scaled.json).toEqual({ type: 'residual', layers: [{ type: 'dense', width: 8, wStd: 1, bStd: 0.5 }] });
    expect(identity().homogeneity).toBe(0);
  });

  it('a residual MLP trains for a few steps with trainRun (parameter groups per top-level layer)', async () => {
    await initTfjs('auto');
    const x = randomMatrix(24, 5, 3);
    const xTest = randomMatrix(10, 5, 4);
    const target = (m: typeof x) => ({ rows: m.rows, cols: 1, data: Float64Array.from({ length: m.rows }, (_, i) => Math.sin(m.data[i * 5])) });
    const data = { x, y: target(x), xTest, yTest: target(xTest), description: 'toy' };
    const spec = serial(dense(16), residual(relu(), dense(16)), relu(), dense(1));
    const res = await trainRun({ spec, data, lr: 0.1, budget: 0.5, lambda: 0.01, batchSize: 24, evalsPerDecade: 2 });
    expect(res.steps).toBe(5);
    expect(Number.isFinite(res.finalTestLoss)).toBe(true);
    expect(bindFinite(spec, 5).layers.map((l) => l.paramShapes.length)).toEqual([1, 1, 0, 1]);
  });
});

describe('fanInSum of correlated branches', () => {
  it('refuses the analytic kernel when two branches do not end in fresh weights (their sum is not the sum of kernels)', () => {
    const x = randomMatrix(3, 2, 41);
    const correlated = serial(dense(8), parallel(serial(identity()), serial(relu())), fanInSum(), dense(1));
    expect(() => analyticKernelSync(correlated, x)).toThrow(SpecError);
    expect(() => analyticKernelSync(correlated, x)).toThrow(/2 branches do not end in a weight layer/);
    // one identity skip beside a block ending in dense is the residual case, and is computed
    const resid = serial(dense(8), residual(relu(), dense(8)), dense(1));
    expect(analyticKernelSync(resid, x).ntk!.data.every(Number.isFinite)).toBe(true);
  });
});
