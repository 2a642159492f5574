import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { monteCarloKernel } from '../../src/kernels/monteCarlo.js';
import { empiricalTileBytes, empiricalTiles } from '../../src/kernels/outOfCoreEmpirical.js';
import { partPaths, partialPaths, writeKernelOutOfCore, writePartManifest } from '../../src/kernels/outOfCoreKernel.js';
import { mergeKernelParts } from '../../src/kernels/outOfCoreMerge.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { serial } from '../../src/layers/serial.js';
import { randomMatrix, relToMax } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ntk-ooc-emp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const fresh = (name: string): string => join(tmp, `${seq++}-${name}`);
const f64 = (p: string): Float64Array => readNpy(p).data as Float64Array;

const net = serial(dense(48, { wStd: 1.3, bStd: 0.2 }), erf(), dense(48, { wStd: 1.4 }), relu(), dense(2, { wStd: 1.1, bStd: 0.1 }));
const x = randomMatrix(14, 6, 21);
const x2 = randomMatrix(9, 6, 22);
const settings = { get: 'ntk' as const, seeds: 3, seed0: 4, method: 'structured' as const, backend: 'cpu' as const };

/**
 * Tolerance. Each entry is a float64 sum of float32 products. On the cpu backend (these tests) a row's products do
 * not depend on which other rows are in the batch, so the structured tiles equal the in-memory kernel bit for bit
 * (measured: 0 at N = 14 here and at N = 300, width 256, 4 seeds, 5 tiles); the jacobian method's float64
 * contraction (BLAS on blocks of another shape) sums in another order: measured 3.0e-16 of the largest entry at
 * N = 300. 1e-12 allows that float64 reordering with room; a wrong seed, row or column moves entries by O(1)
 * relative (networks of width 48 differ by ~1/√48 ≈ 15 %), checked below, so the test can fail. Other tfjs backends
 * (wasm, webgpu) may block the float32 matmuls by batch size: differences there would be float32 rounding (~1e-7).
 */
const TOL = 1e-12;

describe('out-of-core empirical kernels', () => {
  it('tiles (X2 = X1 and X1 ≠ X2, NTK and NNGP) equal the in-memory Monte Carlo mean (bit for bit on the cpu backend)', async () => {
    for (const [b, get] of [[undefined, 'ntk'], [x2, 'nngp']] as const) {
      const ref = await monteCarloKernel(net, x, b, { seeds: 3, seed0: 4, method: 'structured', backend: 'cpu' });
      const out = fresh('E.npy');
      const s = await writeKernelOutOfCore(net, x, b, out, { get, tileRows: 4, tiles: empiricalTiles(net, x, b, { ...settings, get }) });
      expect(s).toMatchObject({ shape: [14, b ? 9 : 14], tiles: 4, resumedTiles: 0 });
      const k = f64(out);
      const want = (get === 'ntk' ? ref.ntk : ref.nngp).data;
      const d = relToMax(k, want);
      console.log(`empirical ${get} out of core vs in memory (${b ? 'X1≠X2' : 'X2=X1'}): max |Δ| / max |K| = ${d.toExponential(2)}`);
      expect(d).toBeLessThan(TOL);
      // the check can fail: a different seed0 is far off
      const other = await monteCarloKernel(net, x, b, { seeds: 3, seed0: 5, method: 'structured', backend: 'cpu' });
      expect(relToMax((get === 'ntk' ? other.ntk : other.nngp).data, want)).toBeGreaterThan(1e-3);
    }
  });

  it('the jacobian method, float32 on disk: the in-memory kernel rounded to float32 (within one float32 ulp)', async () => {
    const ref = await monteCarloKernel(net, x, undefined, { seeds: 2, seed0: 0, method: 'jacobian', backend: 'cpu' });
    const out = fresh('J.npy');
    await writeKernelOutOfCore(net, x, undefined, out, { dtype: 'float32', tileRows: 5, tiles: empiricalTiles(net, x, undefined, { ...settings, seeds: 2, seed0: 0, method: 'jacobian' }) });
    const k = readNpy(out).data;
    expect(k).toBeInstanceOf(Float32Array);
    // each entry is the float64 tile entry rounded once; the float64 entries agree to TOL, so a rounding can at most
    // land on the neighbouring float32: within one float32 ulp (2⁻²³ relative) of the in-memory kernel rounded alike
    expect(relToMax(k, Float32Array.from(ref.ntk.data))).toBeLessThanOrEqual(2 ** -23);
    expect(relToMax(k, ref.ntk.data)).toBeGreaterThan(0); // it really was rounded to float32
  });

  it('--tile i/2 parts merged equal the one-process file bit for bit', async () => {
    const whole = fresh('W.npy');
    await writeKernelOutOfCore(net, x, undefined, whole, { tileRows: 4, tiles: empiricalTiles(net, x, undefined, settings) });
    const target = fresh('M.npy');
    for (let i = 0; i < 2; i++) {
      const p = partPaths(target, i, 2);
      const s = await writeKernelOutOfCore(net, x, undefined, p.npy, { tileRows: 4, part: { index: i, count: 2 }, tiles: empiricalTiles(net, x, undefined, settings) });
      writePartManifest(p.manifest, { tool: 'ntk-l2', kind: 'kernel-part', file: p.npy.split('/').pop()!, index: i, count: 2, rows: s.rows, fullShape: s.fullShape, dtype: s.dtype, tileRows: s.tileRows, kernel: 'ntk', kernelId: s.kernelId });
    }
    expect(mergeKernelParts(target)).toMatchObject({ shape: [14, 14], parts: 2 });
    expect(readFileSync(target).equals(readFileSync(whole))).toBe(true);
  });

  it('an interrupted run resumes bit for bit; the journal refuses other empirical settings', async () => {
    const ref = fresh('R.npy');
    await writeKernelOutOfCore(net, x, undefined, ref, { tileRows: 3, tiles: empiricalTiles(net, x, undefined, settings) });
    const out = fresh('I.npy');
    let computed = 0;
    await expect(
      writeKernelOutOfCore(net, x, undefined, out, {
        tileRows: 3,
        tiles: empiricalTiles(net, x, undefined, settings),
        onTile: ({ resumed }) => {
          if (!resumed && ++computed === 2) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const { partial, journal } = partialPaths(out);
    expect(existsSync(partial) && existsSync(journal)).toBe(true);
    const wider = serial(dense(64, { wStd: 1.3, bStd: 0.2 }), erf(), dense(64, { wStd: 1.4 }), relu(), dense(2, { wStd: 1.1, bStd: 0.1 }));
    for (const [n, s] of [
      [net, { ...settings, seeds: 4 }],
      [net, { ...settings, seed0: 5 }],
      [net, { ...settings, method: 'jacobian' as const }],
      [wider, { ...settings, width: 64 }],
    ] as const) {
      await expect(writeKernelOutOfCore(n, x, undefined, out, { tileRows: 3, tiles: empiricalTiles(n, x, undefined, s) })).rejects.toThrow(/unfinished out-of-core run .* --force/);
    }
    // nor the analytic kernel of the same network
    await expect(writeKernelOutOfCore(net, x, undefined, out, { tileRows: 3 })).rejects.toThrow(/unfinished out-of-core run/);
    const s = await writeKernelOutOfCore(net, x, undefined, out, { tileRows: 3, tiles: empiricalTiles(net, x, undefined, settings) });
    expect(s.resumedTiles).toBe(2);
    expect(readFileSync(out).equals(readFileSync(ref))).toBe(true);
    expect(existsSync(partial) || existsSync(journal)).toBe(false);
  });

  it('a float32 overflow is refused with the global row, and no output file appears', async () => {
    const big = randomMatrix(8, 6, 23, 1e25); // |x|² ≈ 6e50: the float32 products overflow
    const out = fresh('O.npy');
    await expect(writeKernelOutOfCore(net, big, undefined, out, { tileRows: 3, tiles: empiricalTiles(net, big, undefined, settings) })).rejects.toThrow(/empirical NTK is not finite at row [0-7], .*rescale/);
    expect(existsSync(out)).toBe(false);
  });

  it('tile rows from the memory budget follow the empirical estimate, which grows with the rows', async () => {
    const one = empiricalTileBytes(net, x, 1, 14, 'structured');
    const five = empiricalTileBytes(net, x, 5, 14, 'structured');
    expect(five).toBeGreaterThan(one);
    const out = fresh('B.npy');
    const s = await writeKernelOutOfCore(net, x, undefined, out, { tileMemoryBytes: five, tiles: empiricalTiles(net, x, undefined, settings) });
    expect(s.tileRows).toBe(5);
  });
});
