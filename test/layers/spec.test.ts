import { describe, expect, it } from 'vitest';
import { parseOneLineSpec, parseSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { denseLayerCount } from '../../src/layers/serial.js';
import { SpecError } from '../../src/layers/specError.js';

const ISSUE_JSON =
  '{"parameterization":"ntk","layers":[{"type":"dense","width":512,"wStd":1.5,"bStd":0.05},{"type":"relu"},' +
  '{"type":"erf"},{"type":"abrelu","a":0.1,"b":1},{"type":"identity"}]}';

describe('JSON form', () => {
  it('accepts the documented example exactly as written and round-trips it', () => {
    const spec = parseSpec(ISSUE_JSON);
    expect(spec.parameterization).toBe('ntk');
    expect(spec.layers.map((l) => l.json.type)).toEqual(['dense', 'relu', 'erf', 'abrelu', 'identity']);
    expect(specToJson(spec)).toEqual(JSON.parse(ISSUE_JSON));
  });
  it('defaults: parameterization ntk, wStd 1, bStd 0', () => {
    const spec = specFromJson({ layers: [{ type: 'dense', width: 3 }] });
    expect(specToJson(spec)).toEqual({ parameterization: 'ntk', layers: [{ type: 'dense', width: 3, wStd: 1, bStd: 0 }] });
  });
  const bad: Array<[string, string, RegExp]> = [
    ['malformed JSON', '{"layers": [', /not valid JSON/],
    ['unknown layer', '{"layers":[{"type":"tanh"}]}', /unknown layer type "tanh"/],
    ['missing width', '{"layers":[{"type":"dense","wStd":1}]}', /missing field "width"/],
    ['negative wStd', '{"layers":[{"type":"dense","width":4,"wStd":-1}]}', /wStd must be finite and ≥ 0/],
    ['non-finite wStd', '{"layers":[{"type":"dense","width":4,"wStd":"Infinity"}]}', /must be a finite number/],
    ['width 0', '{"layers":[{"type":"dense","width":0}]}', /width must be a positive integer/],
    ['fractional width', '{"layers":[{"type":"dense","width":2.5}]}', /width must be a positive integer/],
    ['typo in a field', '{"layers":[{"type":"dense","width":4,"wstd":1}]}', /unknown field "wstd"/],
    ['unknown top-level field', '{"layer":[]}', /unknown field "layer"/],
    ['bad parameterization', '{"parameterization":"mup","layers":[{"type":"relu"}]}', /parameterization must be/],
    ['no layers', '{"layers":[]}', /no layers/],
    ['layer not an object', '{"layers":["relu"]}', /must be an object/],
  ];
  for (const [name, text, msg] of bad) {
    it(`rejects ${name} with a SpecError`, () => {
      expect(() => parseSpec(text)).toThrow(SpecError);
      expect(() => parseSpec(text)).toThrow(msg);
    });
  }
});

describe('one-line form', () => {
  it('parses positional and named arguments, groups and repeats', () => {
    const spec = parseOneLineSpec('[dense(512, wStd=1.4) > relu]*2 > dense(10, 1, 0.05)');
    expect(specToJson(spec).layers).toEqual([
      { type: 'dense', width: 512, wStd: 1.4, bStd: 0 },
      { type: 'relu' },
      { type: 'dense', width: 512, wStd: 1.4, bStd: 0 },
      { type: 'relu' },
      { type: 'dense', width: 10, wStd: 1, bStd: 0.05 },
    ]);
    expect(denseLayerCount(spec)).toBe(3);
  });
  it('reads the parameterization prefix and every layer type', () => {
    const spec = parseSpec('standard: dense(8) > erf > abrelu(0.1, 1) > leakyrelu(0.2) > abs > identity > Relu');
    expect(spec.parameterization).toBe('standard');
    expect(spec.layers.map((l) => l.json.type)).toEqual(['dense', 'erf', 'abrelu', 'leakyrelu', 'abs', 'identity', 'relu']);
  });
  it('is equivalent to the JSON form', () => {
    const a = specToJson(parseSpec('dense(512, 1.5, 0.05) > relu > erf > abrelu(a=0.1, b=1) > identity'));
    expect(a).toEqual(JSON.parse(ISSUE_JSON));
  });
  const bad: Array<[string, RegExp]> = [
    ['dense > relu', /missing field "width"/],
    ['dense(4) > sigmoid', /unknown layer type "sigmoid"/],
    ['dense(4, 1, 2, 3)', /at most 3 argument/],
    ['dense(4 > relu', /missing "\)"|not a finite number/],
    ['dense(x)', /not a finite number/],
    ['[dense(4) > relu*2', /missing "\]"/],
    ['dense(4) relu', /unexpected/],
    ['dense(4, width=5)', /given twice/],
  ];
  for (const [text, msg] of bad) {
    it(`rejects "${text}"`, () => expect(() => parseSpec(text)).toThrow(msg));
  }
});
