import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMatrix } from '../../src/io/npy.js';
import { parseCsv, parseJsonMatrix, readCsv, readJsonMatrix } from '../../src/io/text.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { InputError, assertFinite } from '../../src/util/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'ntk-text-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function rowsOf(m: Mat): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

function expectInputError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect((caught as Error).message).toMatch(pattern);
  expect((caught as Error).message).not.toContain('\n');
}

describe('parseCsv', () => {
  it('reads comma-separated numbers with a header row', () => {
    const m = parseCsv('a,b,c\n1,2,3\n4.5,-6e-3,+7\n');
    expect(m.data).toBeInstanceOf(Float64Array);
    expect(rowsOf(m)).toEqual([
      [1, 2, 3],
      [4.5, -6e-3, 7],
    ]);
  });

  it('reads whitespace-separated numbers as np.savetxt writes them, with # comments', () => {
    const m = parseCsv('# x y\n1.000000000000000000e+00 2.5e+00\n\n  3\t\t4  \n# trailing comment\n');
    expect(rowsOf(m)).toEqual([
      [1, 2.5],
      [3, 4],
    ]);
  });

  it('tolerates CRLF, a BOM, spaces around commas, quotes, one trailing comma, no final newline', () => {
    const m = parseCsv('\ufeff"x","y"\r\n 1 , "2" ,\r\n.5,3.\r\n1E2,-.25');
    expect(rowsOf(m)).toEqual([
      [1, 2],
      [0.5, 3],
      [100, -0.25],
    ]);
  });

  it('reads nan and inf the way numpy writes them', () => {
    const m = parseCsv('nan,inf,-inf,NaN,Infinity\n');
    expect(Number.isNaN(m.data[0])).toBe(true);
    expect(Array.from(m.data.subarray(1))).toEqual([Infinity, -Infinity, NaN, Infinity]);
  });

  it('a single column and a single row', () => {
    expect([parseCsv('1\n2\n3\n').rows, parseCsv('1\n2\n3\n').cols]).toEqual([3, 1]);
    expect([parseCsv('1 2 3').rows, parseCsv('1 2 3').cols]).toEqual([1, 3]);
  });

  it('reports ragged rows with the line number', () => {
    expectInputError(() => parseCsv('a,b\n1,2\n3,4\n5\n', 'X1 (x.csv)'), /^X1 \(x\.csv\): line 4 has 1 value but line 2 has 2; every row needs the same number of columns$/);
    expectInputError(() => parseCsv('1 2\n\n3 4 5\n', 'w.txt'), /^w\.txt: line 3 has 3 values but line 1 has 2/);
  });

  it('reports non-numbers and empty fields with line and field', () => {
    expectInputError(() => parseCsv('1,2\n3,abc\n', 'f.csv'), /^f\.csv: line 2, field 2 is "abc", not a number$/);
    expectInputError(() => parseCsv('1,2\n3,,4\n'), /line 2 has 3 values/);
    expectInputError(() => parseCsv('1,2,3\n3,,4\n'), /line 2, field 2 is empty/);
    expectInputError(() => parseCsv('h\n0x10\n'), /line 2, field 1 is "0x10", not a number/);
    expectInputError(() => parseCsv('a;b\n1;2\n'), /separate values with commas or whitespace/);
    // a header is only allowed as the first row
    expectInputError(() => parseCsv('1,2\nx,y\n'), /line 2, field 1 is "x"/);
    expectInputError(() => parseCsv('a,b\nc,d\n'), /line 2, field 1 is "c"/);
  });

  it('mixing separators after the first data row is an error, not silently misread', () => {
    expectInputError(() => parseCsv('1,2\n3 4\n'), /line 2 has 1 value/);
    expectInputError(() => parseCsv('1 2\n3,4\n'), /line 2 has 1 value/);
  });

  it('refuses files with no numbers', () => {
    expectInputError(() => parseCsv('', 'e.csv'), /^e\.csv: no rows of numbers found$/);
    expectInputError(() => parseCsv('# only a comment\n\nname,age\n'), /no rows of numbers/);
  });

  it('a first row with a typo is an error naming line 1 and the field, not a header that drops a point', () => {
    expectInputError(() => parseCsv('0.1,0.2x,0.3\n1,2,3\n', 'X (x.csv)'), /^X \(x\.csv\): line 1, field 2 is "0\.2x", not a number; the first row mixes numbers and text/);
    expectInputError(() => parseCsv('# c\n1 2 oops\n3 4 5\n'), /line 2, field 3 is "oops"/);
    expectInputError(() => parseCsv('1,,3\n4,5,6\n'), /line 1, field 2 is empty/);
    // a header without a single number is still a header, quoted or not
    expect(rowsOf(parseCsv('"x","y"\n1,2\n'))).toEqual([[1, 2]]);
    expect(rowsOf(parseCsv('x y z\n1 2 3\n'))).toEqual([[1, 2, 3]]);
  });

  it('refuses numbers beyond the float64 range instead of reading them as Inf', () => {
    expectInputError(() => parseCsv('1,2\n3,1e400\n', 'f.csv'), /^f\.csv: line 2, field 2 is "1e400", beyond the float64 range/);
    expectInputError(() => parseCsv('-1e999\n'), /line 1, field 1 is "-1e999", beyond/);
    expect(parseCsv('inf,"-inf"\n').data[1]).toBe(-Infinity); // spelled-out Inf is still read as numpy writes it
  });

  it('trailing garbage on a row is an error, never cut off', () => {
    expectInputError(() => parseCsv('1,2\n3,4 abc\n'), /line 2, field 2 is "4 abc"/);
    expectInputError(() => parseCsv('1 2\n3 4 abc\n'), /line 2 has 3 values but line 1 has 2/);
  });
});

describe('parseJsonMatrix', () => {
  it('refuses literals beyond the float64 range (JSON has no Inf)', () => {
    expectInputError(() => parseJsonMatrix('[[1, 2], [3, 1e400]]', 'j'), /^j: \[1\]\[1\] is beyond the float64 range/);
    expectInputError(() => parseJsonMatrix('[1, -1e999]', 'j'), /^j: \[1\] is beyond the float64 range/);
    expectInputError(() => parseJsonMatrix('[[1], [[2]]]', 'j'), /\[1\]\[0\] is an array, not a number/);
  });

  it('reads a 2-D array, {"data": ...} and a 1-D array as N×1', () => {
    expect(rowsOf(parseJsonMatrix('[[1, 2.5], [-3e2, 4]]'))).toEqual([
      [1, 2.5],
      [-300, 4],
    ]);
    const d = parseJsonMatrix('{"data": [[1, 2, 3]], "note": "ignored"}');
    expect([d.rows, d.cols]).toEqual([1, 3]);
    const v = parseJsonMatrix('[1, 2, 3]');
    expect([v.rows, v.cols]).toEqual([3, 1]);
    expect(parseJsonMatrix('[[1,2],[3,4]]').data).toBeInstanceOf(Float64Array);
  });

  it('reports malformed input with the position', () => {
    expectInputError(() => parseJsonMatrix('[[1, 2], [3]]', 'k.json'), /^k\.json: \[1\] has 1 values but \[0\] has 2/);
    expectInputError(() => parseJsonMatrix('{"data": [[1, "2"]]}'), /data\[0\]\[1\] is "2", not a number/);
    expectInputError(() => parseJsonMatrix('[[1, null]]'), /\[0\]\[1\] is null, not a number/);
    expectInputError(() => parseJsonMatrix('[[1], 2]'), /\[1\] is number, not a row/);
    expectInputError(() => parseJsonMatrix('[1, [2]]'), /\[1\] is an array, not a number/);
    expectInputError(() => parseJsonMatrix('[[1, 2],'), /invalid JSON/);
    expectInputError(() => parseJsonMatrix('[]'), /empty/);
    expectInputError(() => parseJsonMatrix('{"x": [[1]]}'), /no "data" field/);
    expectInputError(() => parseJsonMatrix('"hello"'), /expected a 2-D array of numbers/);
    expectInputError(() => parseJsonMatrix('null'), /got null/);
  });
});

describe('files and readMatrix dispatch', () => {
  it('reads .csv, .txt, .tsv and .json by extension', () => {
    writeFileSync(join(tmp, 'a.csv'), 'x,y\n1,2\n3,4\n');
    writeFileSync(join(tmp, 'a.txt'), '1 2\n3 4\n');
    writeFileSync(join(tmp, 'a.tsv'), '1\t2\n3\t4\n');
    writeFileSync(join(tmp, 'a.json'), '{"data": [[1, 2], [3, 4]]}');
    for (const f of ['a.csv', 'a.txt', 'a.tsv', 'a.json', ]) {
      const m = readMatrix(join(tmp, f));
      expect(rowsOf(m), f).toEqual([
        [1, 2],
        [3, 4],
      ]);
    }
    expect(readCsv(join(tmp, 'a.csv')).rows).toBe(2);
    expect(readJsonMatrix(join(tmp, 'a.json')).cols).toBe(2);
  });

  it('names the file (and the role) in errors', () => {
    writeFileSync(join(tmp, 'bad.csv'), '1,2\n3\n');
    expectInputError(() => readMatrix(join(tmp, 'bad.csv'), { name: 'X2' }), /^X2 \(.*bad\.csv\): line 2 has 1 value/);
    writeFileSync(join(tmp, 'bad.json'), '[[1, 2], [3, "x"]]');
    expectInputError(() => readMatrix(join(tmp, 'bad.json'), { name: 'X1' }), /^X1 \(.*bad\.json\): \[1\]\[1\] is "x"/);
    expectInputError(() => readCsv(join(tmp, 'missing.csv')), /cannot read ".*missing\.csv": no such file or directory/);
    expectInputError(() => readJsonMatrix(tmp), /cannot read .*it is a directory/);
  });
});

describe('assertFinite', () => {
  it('passes finite data and names the first bad entry by row and column', () => {
    assertFinite({ rows: 2, cols: 2, data: new Float64Array([1, 2, 3, 4]) }, 'X1');
    expectInputError(() => assertFinite({ rows: 2, cols: 3, data: new Float64Array([1, 2, 3, 4, NaN, 6]) }, 'X1'), /^X1 contains NaN or Inf at row 1, column 1/);
    expectInputError(() => assertFinite({ rows: 1, cols: 2, data: new Float64Array([1, -Infinity]) }, 'X2'), /^X2 contains NaN or Inf at row 0, column 1 \(value -Infinity\)/);
    expectInputError(() => assertFinite(new Float32Array([0, Infinity]), 'y'), /^y contains NaN or Inf at index 1/);
    expect(new InputError('m').name).toBe('InputError');
    expect(new InputError('m')).toBeInstanceOf(Error);
  });
});

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.warn('[text.test] python3 with numpy not found: skipping the np.savetxt cross-check');

describe.skipIf(!hasNumpy)('cross-check against np.savetxt', () => {
  it('reads np.savetxt output (comma and whitespace, with header) exactly', () => {
    const script = String.raw`
import sys, numpy as np
d = sys.argv[1]
a = np.random.default_rng(7).standard_normal((6, 4)) * np.logspace(-200, 200, 4)
a[2, 3] = -0.0
np.savetxt(d + '/c.csv', a, delimiter=',', header='a,b,c,d', comments='')
np.savetxt(d + '/w.txt', a, header='whitespace file')
open(d + '/ref.bin', 'wb').write(a.tobytes())
`;
    const r = spawnSync('python3', ['-c', script, tmp], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ref = new Float64Array(new Uint8Array(readFileSync(join(tmp, 'ref.bin'))).buffer);
    for (const f of ['c.csv', 'w.txt']) {
      const m = readMatrix(join(tmp, f));
      expect([m.rows, m.cols], f).toEqual([6, 4]);
      expect(Array.from(m.data), f).toEqual(Array.from(ref));
      expect(Object.is(m.data[2 * 4 + 3], -0), f).toBe(true);
    }
  });
});
