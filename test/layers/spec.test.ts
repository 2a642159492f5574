import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOneLineSpec, parseSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { weightLayerCount } from '../../src/layers/serial.js';
import { MAX_SPEC_CHARS } from '../../src/layers/limits.js';
import { SpecError } from '../../src/layers/specError.js';
import { InputError, MAX_MESSAGE_CHARS } from '../../src/util/errors.js';

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
  it('a bare list of layers is the spec {"layers": [...]} in the NTK parameterization', () => {
    const list = [{ type: 'conv', channels: 4, filter: [3, 3], strides: [1, 1], padding: 'SAME', wStd: 1.41421356, bStd: 0 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', width: 2 }];
    expect(specToJson(parseSpec(JSON.stringify(list)))).toEqual(specToJson(specFromJson({ layers: list })));
    expect(specFromJson(list).parameterization).toBe('ntk');
    expect(specErrorOf(() => specFromJson({ type: 'dense', width: 3 }))).toMatch(/single layer object/);
    expect(specErrorOf(() => specFromJson([{ type: 'sigmoid' }]))).toMatch(/unknown layer type "sigmoid"/);
  });
  const bad: Array<[string, string, RegExp]> = [
    ['malformed JSON', '{"layers": [', /not valid JSON/],
    ['unknown layer', '{"layers":[{"type":"sigmoid"}]}', /unknown layer type "sigmoid"/],
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
    expect(weightLayerCount(spec)).toBe(3);
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

/** The message of the SpecError `fn` throws (fails the test if it throws anything else, or nothing). */
function specErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    expect(e).toBeInstanceOf(InputError);
    const msg = (e as Error).message;
    expect(msg).not.toMatch(/[\n\r\u0000-\u0008]/);
    expect(msg.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    return msg;
  }
  throw new Error('expected a SpecError');
}

describe('hostile specs: one short SpecError, no hang, no stack overflow', () => {
  it('bounds repeat counts and the expanded layer count before expanding', () => {
    expect(specErrorOf(() => parseSpec('[relu]*4294967296'))).toMatch(/repeat count "4294967296" is out of range: it must be 1 to 1000/);
    const t0 = Date.now();
    expect(specErrorOf(() => parseSpec('[relu]*999999999'))).toMatch(/1 to 1000/);
    expect(specErrorOf(() => parseSpec('[relu]*0'))).toMatch(/1 to 1000/);
    expect(specErrorOf(() => parseSpec(`[relu]*${'9'.repeat(5000)}`))).toMatch(/1 to 1000/);
    expect(specErrorOf(() => parseSpec('[[[relu]*1000]*1000]*1000'))).toMatch(/at most 10000/);
    expect(specErrorOf(() => parseSpec(Array(10_001).fill('relu').join('>')))).toMatch(/more than 10000 layers/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(parseSpec('[[relu]*100]*100').layers).toHaveLength(10_000);
    expect(parseSpec('[dense(4) > relu]*1000').layers).toHaveLength(2000);
  });
  it('limits nesting in the one-line form and in JSON (any depth, no RangeError)', () => {
    const deep = (n: number) => `${'['.repeat(n)}relu${']'.repeat(n)}`;
    expect(parseSpec(deep(32)).layers).toHaveLength(1);
    expect(specErrorOf(() => parseSpec(deep(33)))).toMatch(/nested more than 32 deep/);
    expect(specErrorOf(() => parseSpec(deep(100_000)))).toMatch(/nested more than 32 deep/);
    const n = 100_000;
    expect(specErrorOf(() => parseSpec(`{"layers":${'['.repeat(n)}${']'.repeat(n)}}`))).toMatch(/nested more than 32 levels deep at layers\[0\]/);
    expect(specErrorOf(() => parseSpec(`{"layers":[${'{"a":'.repeat(n)}1${'}'.repeat(n)}]}`))).toMatch(/nested more than 32 levels/);
    expect(specErrorOf(() => specFromJson(JSON.parse(`{"layers":[{"type":"dense","width":${'['.repeat(n)}${']'.repeat(n)}}]}`) as unknown))).toMatch(
      /"width" must be a finite number, got an array/,
    );
  });
  const protoNames = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];
  it.each(protoNames)('"%s" is an unknown layer type or field, never Object.prototype', (name) => {
    expect(specErrorOf(() => parseSpec(`${name} > relu`))).toMatch(/unknown layer type/);
    expect(specErrorOf(() => parseSpec(`dense(4, ${name}=1)`))).toMatch(new RegExp(`unknown field "${name}"`));
    expect(specErrorOf(() => parseSpec(`{"layers":[{"type":"${name}"}]}`))).toMatch(new RegExp(`unknown layer type "${name}"`));
    expect(specErrorOf(() => parseSpec(`{"layers":[{"type":"dense","width":4,"${name}":1}]}`))).toMatch(new RegExp(`unknown field "${name}"`));
    expect(specErrorOf(() => parseSpec(`{"layers":[{"type":"relu"}],"${name}":1}`))).toMatch(new RegExp(`spec: unknown field "${name}"`));
  });
  it('"__proto__" objects at the top level and in a layer are unknown fields', () => {
    expect(specErrorOf(() => parseSpec('{"__proto__":{"layers":[{"type":"relu"}]}}'))).toMatch(/unknown field "__proto__"/);
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"dense","__proto__":{"width":4}}]}'))).toMatch(/unknown field "__proto__"/);
    // Inherited properties are not read: a layer's type and a spec's layers must be its own.
    expect(specErrorOf(() => specFromJson({ layers: [Object.create({ type: 'relu' }) as unknown] }))).toMatch(/missing "type"/);
    expect(specErrorOf(() => specFromJson(Object.create({ layers: [{ type: 'relu' }] }) as unknown))).toMatch(/"layers" must be an array/);
  });
  it('refuses duplicate fields in the JSON form, naming the field and where', () => {
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"dense","width":4,"wStd":1,"wStd":2}]}'))).toMatch(/field "wStd" appears twice in layers\[0\]/);
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"relu"},{"type":"dense","width":4,"w\\u0053td":1,"wStd":2}]}'))).toMatch(/"wStd" appears twice in layers\[1\]/);
    expect(specErrorOf(() => parseSpec('{"layers":[],"layers":[{"type":"relu"}]}'))).toMatch(/"layers" appears twice in the top-level object/);
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"dense","type":"relu","width":4}]}'))).toMatch(/"type" appears twice/);
    // Escaped quotes and backslashes inside strings do not confuse the scan; equal values under different keys are fine.
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"dense","width":4,"a\\\\":1,"a\\"":2}]}'))).toMatch(/unknown field "a\\\\"/);
    expect(parseSpec('{"layers":[{"type":"dense","width":4,"wStd":1,"bStd":1},{"type":"dense","width":4,"wStd":1}]}').layers).toHaveLength(2);
    // Brackets and keys inside string values are text, not structure.
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"dense","width":4,"x":"{\\"wStd\\":1,\\"wStd\\":2}[[["}]}'))).toMatch(/unknown field "x"/);
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"type"}]}'))).toMatch(/unknown layer type "type"/);
  });
  it('refuses duplicate fields in the one-line form, by name or by position and name', () => {
    expect(specErrorOf(() => parseSpec('dense(512, wStd=1, wStd=2)'))).toMatch(/layer "dense" at column 1: "wStd" given twice/);
    expect(specErrorOf(() => parseSpec('relu > dense(512, 1, wStd=2)'))).toMatch(/layer "dense" at column 8: "wStd" given twice \(by position and by name\)/);
    expect(specErrorOf(() => parseSpec('dense(512, width=5)'))).toMatch(/"width" given twice/);
  });
  it('cuts and escapes long or binary user text in messages', () => {
    const big = 'x'.repeat(400_000);
    expect(specErrorOf(() => parseSpec(`{"layers":[{"type":"dense","width":"${big}"}]}`))).toMatch(/"width" must be a finite number, got the string "x{40}"…\(400000 chars\)/);
    expect(specErrorOf(() => parseSpec(`{"layers":[{"type":"${big}"}]}`))).toMatch(/unknown layer type "x{40}"…\(400000 chars\)/);
    expect(specErrorOf(() => parseSpec(`{"layers":[{"type":"dense","width":4,"${big}":1}]}`))).toMatch(/unknown field "x{40}"…/);
    expect(specErrorOf(() => parseSpec(`${big} > relu`))).toMatch(/unknown layer type/);
    expect(specErrorOf(() => parseSpec(`dense(4) > relu ${big}`))).toMatch(/unexpected text at column 17, near "x{20}"/);
    expect(specErrorOf(() => parseSpec('dense(4) \u0000\u0007\u001b[31m relu'))).toMatch(/near "\\x00\\x07\\x1b\[31m relu"/);
    expect(specErrorOf(() => parseSpec('{"layers":\u0000}'))).toMatch(/not valid JSON \("Unexpected token '\\x00'"\)/);
    expect(specErrorOf(() => parseSpec(`{"layers":[{"type":"dense","width":4}], "x": "${'\u0001'.repeat(1000)}`))).toMatch(/not valid JSON/);
    expect(specErrorOf(() => parseSpec(`dense(${big})`))).toMatch(/"x{30}"…\(400000 chars\) is not a finite number/);
  });
  it('refuses text longer than the spec limit before parsing it', () => {
    expect(specErrorOf(() => parseSpec(`relu${' '.repeat(MAX_SPEC_CHARS)}`))).toMatch(/characters long; at most 4194304/);
  });
  const badNumbers: Array<[string, RegExp]> = [
    ['dense(1e308)', /width must be a positive integer ≤ 10000000, got 1e\+308/],
    ['dense(1e12)', /≤ 10000000, got 1000000000000/],
    ['dense(10000001)', /≤ 10000000/],
    ['dense(Infinity)', /"Infinity" is not a finite number/],
    ['dense(1e999)', /"1e999" is not a finite number/],
    ['dense(-0)', /positive integer ≤ 10000000, got -0/],
    ['dense(2.5)', /positive integer/],
    ['dense(0x10)', /"0x10" is not a finite number/],
    ['dense(4, wStd=NaN)', /"NaN" is not a finite number/],
    ['dense(4, wStd=-1)', /wStd must be finite and ≥ 0, got -1/],
    ['dense(4, bStd=-1e-9)', /bStd must be finite and ≥ 0/],
    ['dense(4,)', /"" is not a finite number/],
    ['dense(4, =1)', /cannot read argument "=1"/],
    ['dense(4, w=1=2)', /cannot read argument "w=1=2"/],
    ['abrelu(1e309, 1)', /not a finite number/],
  ];
  for (const [text, msg] of badNumbers) {
    it(`refuses "${text}"`, () => expect(specErrorOf(() => parseSpec(text))).toMatch(msg));
  }
  it('keeps valid edge values: the largest width, a zero std (−0 read as 0), the JSON form too', () => {
    expect(specToJson(parseSpec('dense(10000000, wStd=-0)')).layers).toEqual([{ type: 'dense', width: 10_000_000, wStd: 0, bStd: 0 }]);
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"dense","width":1e308}]}'))).toMatch(/layers\[0\]: dense: width must be a positive integer ≤ 10000000/);
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":"dense","width":4,"wStd":"1"}]}'))).toMatch(/got the string "1"/);
    expect(specErrorOf(() => parseSpec('{"layers":[{"type":1}]}'))).toMatch(/"type" must be a string, got 1/);
    expect(specErrorOf(() => parseSpec('{"parameterization":{"a":1},"layers":[{"type":"relu"}]}'))).toMatch(/got an object/);
  });
  it('refuses empty text, and spec files that are folders, missing, empty or binary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-spec-'));
    try {
      expect(specErrorOf(() => parseSpec('   '))).toMatch(/the architecture is empty/);
      expect(specErrorOf(() => parseSpec(dir))).toMatch(/is a folder/);
      mkdirSync(join(dir, 'arch.json'));
      expect(specErrorOf(() => parseSpec(join(dir, 'arch.json')))).toMatch(/is a folder/);
      expect(specErrorOf(() => parseSpec(join(dir, 'nope.json')))).toMatch(/architecture file not found/);
      writeFileSync(join(dir, 'empty.json'), '');
      expect(specErrorOf(() => parseSpec(join(dir, 'empty.json')))).toMatch(/is empty/);
      expect(specErrorOf(() => parseSpec(join(dir, 'empty.json', 'x.json')))).toMatch(/a part of the path is not a folder/);
      writeFileSync(join(dir, 'nul.json'), Buffer.from('{"layers":[\u0000]}'));
      expect(specErrorOf(() => parseSpec(join(dir, 'nul.json')))).toMatch(/not a text file \(a NUL byte at byte 11; it starts "\{\\"layers\\":\[\\x00\]\}"\)/);
      writeFileSync(join(dir, 'latin1.json'), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]));
      expect(specErrorOf(() => parseSpec(join(dir, 'latin1.json')))).toMatch(/not UTF-8 text \(it starts "\\ufffd\\ufffd\{\}"\)/);
      const random = Buffer.alloc(4096);
      for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
      writeFileSync(join(dir, 'random.json'), random);
      expect(specErrorOf(() => parseSpec(join(dir, 'random.json')))).toMatch(/not a text file|not UTF-8 text/);
      writeFileSync(join(dir, 'bom.json'), '\ufeff{"layers":[{"type":"relu"}]}');
      expect(parseSpec(join(dir, 'bom.json')).layers).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SpecError', () => {
  it('keeps messages to one short line even when escapes lengthen an echoed value', () => {
    const type = '\u2028'.repeat(1000);
    const msg = specErrorOf(() => parseSpec(`{"layers":[{"type":"${type}"}]}`));
    expect(msg).toMatch(/^layers\[0\]: unknown layer type "(\\u2028)+/);
    expect(msg.endsWith('…')).toBe(true);
  });
});
