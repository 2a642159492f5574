import { describe, expect, it } from 'vitest';
import { float32Json, formatFloat32 } from '../../src/io/float32.js';

describe('float32 values printed at float32 precision', () => {
  it('the shortest text that reads back to the same float32, as numpy prints a float32', () => {
    expect(formatFloat32(Math.fround(0.384))).toBe('0.384');
    expect(String(Math.fround(0.384))).toBe('0.3840000033378601'); // what the CLI printed before
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334'); // np.float32(1/3) prints 0.33333334
    expect(formatFloat32(Math.fround(1e-7))).toBe('1e-7');
    // every one of many float32 values reads back exactly, and never longer than 9 significant digits
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < 20000; i++) {
      u[0] = (Math.imul(i, 2654435761) >>> 1) % 0x7f000000; // positive finite float32 bit patterns
      const x = f[0];
      const s = formatFloat32(x);
      expect(Math.fround(Number(s))).toBe(x);
      // significant digits: those of the mantissa in exponent form
      if (!Number.isSafeInteger(x)) expect(Number(s).toExponential().replace(/e.*$/, '').replace(/[^0-9]/g, '').length).toBeLessThanOrEqual(9);
    }
  });

  it('leaves integers and float64 values alone; float32Json is JSON', () => {
    expect(formatFloat32(33554432)).toBe('33554432'); // a float32 integer stays whole (not 33554430)
    expect(formatFloat32(1e-3)).toBe('0.001'); // not a float32 value: printed as float64
    expect(formatFloat32(NaN)).toBe('null');
    const obj = { a: Math.fround(0.1), b: [Math.fround(2.5), 3, null], c: 'x', d: undefined, e: true, f: 0.1 };
    const text = float32Json(obj);
    expect(text).toBe('{"a":0.1,"b":[2.5,3,null],"c":"x","e":true,"f":0.1}');
    expect(JSON.parse(text)).toEqual({ a: 0.1, b: [2.5, 3, null], c: 'x', e: true, f: 0.1 });
  });
});
