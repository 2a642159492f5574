import { describe, expect, it } from 'vitest';
import type { Images } from '../../src/data/images.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { parseOneLineSpec, parseSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { SpecError } from '../../src/layers/specError.js';
import type { LayerJson } from '../../src/layers/types.js';
import { Rng } from '../../src/util/random.js';

const CONV = (channels: number, filter: number[], extra: Partial<Extract<LayerJson, { type: 'conv' }>> = {}): LayerJson => ({
  type: 'conv',
  channels,
  filter,
  strides: filter.map(() => 1),
  padding: 'SAME',
  wStd: 1,
  bStd: 0,
  ...extra,
});
const DENSE = (width: number, wStd = 1, bStd = 0): LayerJson => ({ type: 'dense', width, wStd, bStd });

/** One-line text and the JSON layers it must give (written out by hand from the grammar in the README). */
const CASES: [string, LayerJson[]][] = [
  [
    'conv(64, filter=3x3, strides=1x1, padding=SAME, wStd=1.414) > relu > flatten > dense(10)',
    [CONV(64, [3, 3], { wStd: 1.414 }), { type: 'relu' }, { type: 'flatten' }, DENSE(10)],
  ],
  [
    'conv(16, 3x3, 2x2, circular, 1.5, 0.1) > gelu > avgPool(2x2) > avgpool(3x3, strides=1x1, padding=SAME) > globalavgpool > dense(1)',
    [
      CONV(16, [3, 3], { strides: [2, 2], padding: 'CIRCULAR', wStd: 1.5, bStd: 0.1 }),
      { type: 'gelu' },
      { type: 'avgPool', window: [2, 2], strides: [2, 2], padding: 'VALID' },
      { type: 'avgPool', window: [3, 3], strides: [1, 1], padding: 'SAME' },
      { type: 'globalAvgPool' },
      DENSE(1),
    ],
  ],
  [
    'conv(8, filter=3, strides=2, padding=valid) > tanh > avgPool(2, padding=CIRCULAR) > globalAvgPool > dense(1)',
    [CONV(8, [3], { strides: [2], padding: 'VALID' }), { type: 'tanh' }, { type: 'avgPool', window: [2], strides: [2], padding: 'CIRCULAR' }, { type: 'globalAvgPool' }, DENSE(1)],
  ],
  [
    'conv(8, 3x3) > relu > residual[conv(8, 3x3, bStd=0.1) > relu > conv(8, 1x1)]*2 > globalAvgPool > dense(1)',
    [
      CONV(8, [3, 3]),
      { type: 'relu' },
      { type: 'residual', layers: [CONV(8, [3, 3], { bStd: 0.1 }), { type: 'relu' }, CONV(8, [1, 1])] },
      { type: 'residual', layers: [CONV(8, [3, 3], { bStd: 0.1 }), { type: 'relu' }, CONV(8, [1, 1])] },
      { type: 'globalAvgPool' },
      DENSE(1),
    ],
  ],
  [
    'conv(8, 3x3) > relu > parallel[conv(8, 3x3) > relu > conv(8, 3x3) | ] > fanInSum > flatten > dense(2)',
    [CONV(8, [3, 3]), { type: 'relu' }, { type: 'parallel', branches: [[CONV(8, [3, 3]), { type: 'relu' }, CONV(8, [3, 3])], []] }, { type: 'fanInSum' }, { type: 'flatten' }, DENSE(2)],
  ],
  [
    'standard: dense(16, 1.4) > layernorm > PARALLEL[dense(16) | identity | dense(16, bStd=0.2)] > faninsum > serial[relu > dense(4)] > batchnorm(0.9, 1e-3)',
    [
      DENSE(16, 1.4),
      { type: 'layerNorm' },
      { type: 'parallel', branches: [[DENSE(16)], [{ type: 'identity' }], [DENSE(16, 1, 0.2)]] },
      { type: 'fanInSum' },
      { type: 'serial', layers: [{ type: 'relu' }, DENSE(4)] },
      { type: 'batchNorm', momentum: 0.9, epsilon: 1e-3, affine: false },
    ],
  ],
];

describe('one-line form of the spatial layers and composites', () => {
  for (const [text, want] of CASES) {
    it(`${text} → JSON → the same layers`, () => {
      const spec = parseOneLineSpec(text);
      const json = specToJson(spec);
      expect(json.layers).toEqual(want);
      expect(json.parameterization).toBe(text.startsWith('standard:') ? 'standard' : 'ntk');
      // the JSON form reads back to the same layers, and through parseSpec as a string too
      expect(specToJson(specFromJson(json))).toEqual(json);
      expect(specToJson(parseSpec(JSON.stringify(json)))).toEqual(json);
    });
  }

  it('one-line and JSON specs give the same analytic kernel (bit for bit) on images', () => {
    const x: Images = { shape: [3, 5, 5, 2], data: Float64Array.from(new Rng(2).normals(150)), dtype: 'float64' };
    for (const [text] of CASES.slice(0, 2).concat(CASES.slice(3, 5))) {
      const a = analyticKernelSync(parseOneLineSpec(text), x);
      const b = analyticKernelSync(specFromJson(specToJson(parseOneLineSpec(text))), x);
      expect(Array.from(a.ntk!.data)).toEqual(Array.from(b.ntk!.data));
      expect(a.ntk!.data.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('one-line form: malformed input is one clear line', () => {
  const bad: [string, RegExp][] = [
    ['conv(8, 3x3, padding=ROUND)', /padding must be "SAME", "VALID" or "CIRCULAR", got "ROUND"/],
    ['conv(8)', /missing field "filter"/],
    ['conv(8, 0x3)', /filter must be a list of 2 positive integers/],
    ['conv(8, 3x3x3)', /filter must be a list of 1 or 2 positive integers/],
    ['conv(8, 3x)', /"3x" is not a finite number, an extent list like 3x3 or a word like SAME/],
    ['conv(8, 3x3, wStd=SAME)', /"SAME" is not a finite number/],
    ['conv(8, 3x3, padding=1)', /padding must be .* got 1/],
    ['conv(8, filter=3x3, filter=2x2)', /"filter" given twice/],
    ['conv(8, 3x3, filter=2x2)', /"filter" given twice \(by position and by name\)/],
    ['avgpool()', /missing field "window"/],
    ['avgpool(2x2, stride=2x2)', /unknown field "stride"/],
    ['dense(3x3)', /"3x3" is not a finite number/],
    ['residual(dense(4))', /expected "\[" after residual/],
    ['residual[dense(4)', /missing "\]" at the end/],
    ['residual[]', /expected a layer name/],
    ['residual[dense(4) | relu]', /"\|" separates branches of parallel\[\.\.\.\] only/],
    ['parallel[dense(4) | dense(5)] > fanInSum', /the branches give widths 4, 5/],
    ['parallel[dense(4)]*0', /repeat count "0" is out of range/],
    ['relu > residual[dense(4)]', /residual/],
  ];
  for (const [text, msg] of bad) {
    it(`${text}`, () => {
      let m = '';
      try {
        // parse, then bind (some errors need the input width: residual's block must keep it)
        const spec = parseSpec(text);
        analyticKernelSync(spec, { rows: 2, cols: 3, data: new Float64Array(6).fill(0.5) });
      } catch (e) {
        expect(e).toBeInstanceOf(SpecError);
        m = (e as Error).message;
      }
      expect(m).toMatch(msg);
      expect(m).not.toContain('\n');
      expect(m.length).toBeLessThan(300);
    });
  }

  it('composites count against the layer and nesting limits before anything is expanded', () => {
    expect(() => parseOneLineSpec('[residual[dense(1) > relu]*1000]*1000')).toThrow(/layers; a network has at most 10000|more than 10000 layers/);
    expect(() => parseOneLineSpec('residual['.repeat(40) + 'relu' + ']'.repeat(40))).toThrow(/nested more than 32 deep/);
  });
});
