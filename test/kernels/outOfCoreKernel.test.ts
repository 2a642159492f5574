import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Images } from '../../src/data/images.js';
import { readNpy } from '../../src/io/npy.js';
import { analyticKernelSync, kernelDiagonal } from '../../src/kernels/analytic.js';
import {
  partPaths,
  partialPaths,
  planRows,
  tileMemoryBytes,
  tileRowsFor,
  writeKernelOutOfCore,
  writePartManifest,
} from '../../src/kernels/outOfCoreKernel.js';
import { findParts, mergeKernelParts, openKernelParts } from '../../src/kernels/outOfCoreMerge.js';
import { flatTileEngine } from '../../src/kernels/outOfCoreTiles.js';
import { relu } from '../../src/layers/abrelu.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { flatten } from '../../src/layers/flatten.js';
import { serial } from '../../src/layers/serial.js';
import { InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { randomMatrix, relToMax } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ntk-ooc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const net = serial(dense(64, { wStd: 1.3, bStd: 0.2 }), erf(), dense(64, { wStd: 1.4 }), relu(), dense(1, { wStd: 1.1, bStd: 0.1 }));
const x = randomMatrix(50, 9, 11);
const f64 = (p: string): Float64Array => readNpy(p).data as Float64Array;
const bytes = (p: string): Buffer => readFileSync(p);
let seq = 0;
const fresh = (name: string): string => join(tmp, `${seq++}-${name}`);

describe('writeKernelOutOfCore', () => {
  it('X2 = X1: the in-memory kernel to float64 rounding, the diagonal from the self parts exactly, symmetric', async () => {
    const out = fresh('K.npy');
    const s = await writeKernelOutOfCore(net, x, undefined, out, { tileRows: 7, threads: 1 });
    expect(s).toMatchObject({ shape: [50, 50], rows: [0, 50], tiles: 8, resumedTiles: 0, dtype: 'float64' });
    const k = f64(out);
    const ref = analyticKernelSync(net, x, undefined, { get: 'ntk' }).ntk!.data;
    // The tiles' input Gram comes from gemm on row blocks, the in-memory one from syrk: the products are summed in
    // other orders (a few ulps of x·x'/d), which the layers carry through; 1e-13 of the largest entry is 450 ulps.
    expect(relToMax(k, ref)).toBeLessThan(1e-13);
    const diag = kernelDiagonal(net, x).ntk;
    for (let i = 0; i < 50; i++) expect(k[i * 50 + i]).toBe(diag[i]);
    let asym = 0;
    for (let i = 0; i < 50; i++) for (let j = 0; j < i; j++) asym = Math.max(asym, Math.abs(k[i * 50 + j] - k[j * 50 + i]));
    expect(asym / Math.max(...Array.from(k, Math.abs))).toBeLessThan(1e-14);
    expect(existsSync(partialPaths(out).partial) || existsSync(partialPaths(out).journal)).toBe(false);
  });

  it('X1 ≠ X2, NNGP: the in-memory kernel to rounding, whatever the tile size', async () => {
    const x1 = randomMatrix(23, 9, 12);
    const x2 = randomMatrix(17, 9, 13);
    const ref = analyticKernelSync(net, x1, x2, { get: 'nngp' }).nngp!.data;
    const a = fresh('A.npy');
    const b = fresh('B.npy');
    await writeKernelOutOfCore(net, x1, x2, a, { get: 'nngp', tileRows: 5, threads: 1 });
    await writeKernelOutOfCore(net, x1, x2, b, { get: 'nngp', tileRows: 23, threads: 1 });
    expect(relToMax(f64(a), ref)).toBeLessThan(1e-13);
    expect(relToMax(f64(b), ref)).toBeLessThan(1e-13);
  });

  it('worker threads change no bit (tiles of 200 × 2000 × 5 layers, above the engine’s inline threshold)', async () => {
    const x1 = randomMatrix(400, 9, 14);
    const x2 = randomMatrix(2000, 9, 15);
    const a = fresh('T1.npy');
    const b = fresh('T2.npy');
    await writeKernelOutOfCore(net, x1, x2, a, { tileRows: 200, threads: 1 });
    await writeKernelOutOfCore(net, x1, x2, b, { tileRows: 200, threads: 2 });
    expect(bytes(b).equals(bytes(a))).toBe(true);
  });

  it('float32 on disk: each entry is the float64 kernel rounded once', async () => {
    const a = fresh('K64.npy');
    const b = fresh('K32.npy');
    await writeKernelOutOfCore(net, x, undefined, a, { tileRows: 9, threads: 1 });
    await writeKernelOutOfCore(net, x, undefined, b, { tileRows: 9, threads: 1, dtype: 'float32' });
    const k32 = readNpy(b);
    expect(k32.dtype).toBe('float32');
    expect(Array.from(k32.data)).toEqual(Array.from(f64(a), (v) => Math.fround(v)));
  });

  it('images (conv, flatten readout): the in-memory image kernel to rounding', async () => {
    const img: Images = { shape: [12, 5, 5, 2], data: new Rng(3).normals(12 * 50), dtype: 'float64' };
    const cnn = serial(conv(4, { filter: [3, 3], padding: 'SAME', wStd: 1.3, bStd: 0.1 }), relu(), flatten(), dense(1));
    const out = fresh('Kimg.npy');
    await writeKernelOutOfCore(cnn, img, undefined, out, { tileRows: 5, threads: 1 });
    const ref = analyticKernelSync(cnn, img, undefined, { get: 'ntk' }).ntk!.data;
    expect(relToMax(f64(out), ref)).toBeLessThan(1e-13);
  });

  it('four parts merged equal the one-process file bit for bit; the parts are removed', async () => {
    const whole = fresh('W.npy');
    await writeKernelOutOfCore(net, x, undefined, whole, { tileRows: 6, threads: 1 });
    const target = fresh('M.npy');
    for (let i = 0; i < 4; i++) {
      const p = partPaths(target, i, 4);
      const s = await writeKernelOutOfCore(net, x, undefined, p.npy, { tileRows: 6, threads: 1, part: { index: i, count: 4 } });
      writePartManifest(p.manifest, { tool: 'ntk-l2', kind: 'kernel-part', file: p.npy.split('/').pop()!, index: i, count: 4, rows: s.rows, fullShape: s.fullShape, dtype: s.dtype, tileRows: s.tileRows, kernel: 'ntk', kernelId: s.kernelId });
    }
    expect(findParts(target).map((m) => m.rows)).toEqual([[0, 12], [12, 24], [24, 36], [36, 50]]);
    // read in place, blocks of 7 rows spanning parts: the one-process file's rows
    const src = openKernelParts(target, { maxBlockRows: 7 });
    const ref = f64(whole);
    for (let r = 0; r < 50; r += 7) {
      const n = Math.min(7, 50 - r);
      expect(Array.from(src.readRows(r, n).data)).toEqual(Array.from(ref.subarray(r * 50, (r + n) * 50)));
    }
    src.close();
    const m = mergeKernelParts(target);
    expect(m).toMatchObject({ shape: [50, 50], parts: 4 });
    expect(m.removed).toHaveLength(8);
    expect(bytes(target).equals(bytes(whole))).toBe(true);
  });

  it('merge refuses missing parts and parts of another kernel, writing nothing', async () => {
    const target = fresh('P.npy');
    const write = async (i: number, spec = net): Promise<void> => {
      const p = partPaths(target, i, 3);
      const s = await writeKernelOutOfCore(spec, x, undefined, p.npy, { tileRows: 10, threads: 1, part: { index: i, count: 3 } });
      writePartManifest(p.manifest, { tool: 'ntk-l2', kind: 'kernel-part', file: p.npy.split('/').pop()!, index: i, count: 3, rows: s.rows, fullShape: s.fullShape, dtype: s.dtype, tileRows: s.tileRows, kernel: 'ntk', kernelId: s.kernelId });
    };
    await write(0);
    await write(2);
    expect(() => mergeKernelParts(target)).toThrow(/1 of 3 parts .* --tile 1\/3/);
    await write(1, serial(dense(8), relu(), dense(1)));
    expect(() => mergeKernelParts(target)).toThrow(/part 1\/3 .* different kernel/);
    expect(existsSync(target)).toBe(false);
  });

  it('an interrupted run resumes: finished tiles are kept, the file equals an uninterrupted run bit for bit', async () => {
    const ref = fresh('R.npy');
    await writeKernelOutOfCore(net, x, undefined, ref, { tileRows: 4, threads: 1 });
    const out = fresh('I.npy');
    let computed = 0;
    await expect(
      writeKernelOutOfCore(net, x, undefined, out, {
        tileRows: 4,
        threads: 1,
        onTile: ({ resumed }) => {
          if (!resumed && ++computed === 5) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const { partial, journal } = partialPaths(out);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(partial) && existsSync(journal)).toBe(true);
    // a different kernel on the same output is refused while the unfinished run's files are there
    await expect(writeKernelOutOfCore(net, x, undefined, out, { tileRows: 4, threads: 1, get: 'nngp' })).rejects.toThrow(/unfinished out-of-core run .* --force/);
    const s = await writeKernelOutOfCore(net, x, undefined, out, { tileRows: 4, threads: 1 });
    expect(s.resumedTiles).toBe(5);
    expect(bytes(out).equals(bytes(ref))).toBe(true);
    expect(existsSync(partial) || existsSync(journal)).toBe(false);
  });

  it('never overwrites a journal or partial file that ntk did not write', async () => {
    const out = fresh('F.npy');
    const { partial, journal } = partialPaths(out);
    writeFileSync(journal, 'my notes\n');
    await expect(writeKernelOutOfCore(net, x, undefined, out, { tileRows: 4, threads: 1, force: true })).rejects.toThrow(InputError);
    expect(readFileSync(journal, 'utf8')).toBe('my notes\n');
    rmSync(journal);
    writeFileSync(partial, 'mine');
    await expect(writeKernelOutOfCore(net, x, undefined, out, { tileRows: 4, threads: 1 })).rejects.toThrow(/without its journal/);
    expect(readFileSync(partial, 'utf8')).toBe('mine');
  });
});

describe('flatTileEngine', () => {
  it('a tile equals the in-memory kernel of that block of X1 against X2 bit for bit (same gemm, same recursion)', async () => {
    const x1 = randomMatrix(40, 9, 16);
    const x2 = randomMatrix(33, 9, 17);
    const engine = flatTileEngine(net, x1, x2, 'ntk', 16, { threads: 1 });
    for (const [r0, r1] of [[0, 16], [16, 32], [32, 40]]) {
      const tile = Float64Array.from(await engine.tile(r0, r1));
      const block = { rows: r1 - r0, cols: 9, data: x1.data.subarray(r0 * 9, r1 * 9) };
      const ref = analyticKernelSync(net, block, x2, { get: 'ntk' }).ntk!.data;
      expect(Buffer.from(tile.buffer).equals(Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength))).toBe(true);
    }
    await expect(engine.tile(0, 17)).rejects.toThrow(RangeError);
  });
});

describe('the tile grid', () => {
  it('planRows: parts are contiguous runs of whole tiles that cover the rows once', () => {
    const all = planRows(103, 10);
    expect(all.tiles.length).toBe(11);
    expect(all.tiles[10]).toEqual([100, 103]);
    const parts = [0, 1, 2, 3].map((i) => planRows(103, 10, { index: i, count: 4 }));
    expect(parts.flatMap((p) => p.tiles)).toEqual(all.tiles);
    expect(parts.map((p) => p.tiles.length)).toEqual([2, 3, 3, 3]);
    expect(() => planRows(103, 10, { index: 0, count: 12 })).toThrow(/only 11 tiles/);
    expect(() => planRows(103, 10, { index: 4, count: 4 })).toThrow(/0 ≤ i < n/);
  });

  it('tileRowsFor: the largest tile within the budget', () => {
    const x2 = randomMatrix(1000, 30, 1);
    for (const budget of [2e6, 3e7, 1e8]) {
      const r = tileRowsFor(net, x2, 5000, 'ntk', 'float32', budget, 1);
      expect(tileMemoryBytes(net, x2, r, 1000, 'ntk', 'float32', 1)).toBeLessThanOrEqual(budget);
      expect(tileMemoryBytes(net, x2, r + 1, 1000, 'ntk', 'float32', 1)).toBeGreaterThan(budget);
    }
    expect(() => tileRowsFor(net, x2, 5000, 'ntk', 'float64', 1000, 1)).toThrow(/--tile-memory/);
  });
});
