import { describe, expect, it } from 'vitest';
import { analyticKernel, analyticKernelSync } from '../../src/kernels/analytic.js';
import type { Images } from '../../src/data/images.js';
import { relu } from '../../src/layers/abrelu.js';
import { conv } from '../../src/layers/conv.js';
import { dense } from '../../src/layers/dense.js';
import { flatten } from '../../src/layers/flatten.js';
import { globalAvgPool } from '../../src/layers/globalAvgPool.js';
import { serial } from '../../src/layers/serial.js';
import type { Layer, NetworkSpec } from '../../src/layers/types.js';
import { Rng } from '../../src/util/random.js';

/** Random N×H×W×C images. */
function images(n: number, h: number, w: number, c: number, seed: number): Images {
  return { shape: [n, h, w, c], data: Float64Array.from(new Rng(seed).normals(n * h * w * c)), dtype: 'float64' };
}

const c3 = (): Layer => conv(8, { filter: [3, 3], padding: 'SAME', wStd: 1.3, bStd: 0.2 });
const flatNet = (act: Layer): NetworkSpec => serial(c3(), act, c3(), relu(), flatten(), dense(1, { wStd: 1.1 }));
const gapNet = (): NetworkSpec => serial(c3(), relu(), conv(8, { filter: [3, 3], strides: [2, 2], padding: 'VALID' }), relu(), globalAvgPool(), dense(1));

// Sizes are chosen above the engine's inline threshold (pairs × entries per pair × layers ≥ 10⁷), so that two
// threads really start; results that came from the workers live in shared memory, which the tests check.
describe('image kernels on worker threads', () => {
  it('diagonal mode (flatten readout): two threads equal one thread bit for bit, X2 = X1 and X1 ≠ X2', async () => {
    const x = images(240, 8, 8, 2, 1);
    const y = images(120, 8, 8, 2, 2);
    const spec = flatNet(relu());
    const one = analyticKernelSync(spec, x);
    const two = await analyticKernel(spec, x, undefined, { threads: 2 });
    expect(two.ntk!.data.buffer).toBeInstanceOf(SharedArrayBuffer); // computed by the workers
    expect(two.nngp!.data).toEqual(one.nngp!.data);
    expect(two.ntk!.data).toEqual(one.ntk!.data);
    const cross1 = analyticKernelSync(spec, x, y, { get: 'ntk' });
    const cross2 = await analyticKernel(spec, x, y, { threads: 2, get: 'ntk' });
    expect(cross2.ntk!.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(cross2.ntk!.data).toEqual(cross1.ntk!.data);
    expect(cross2.nngp).toBeNull();
  }, 60_000);

  it('full mode (globalAvgPool readout, strided VALID conv): two threads equal one thread bit for bit', async () => {
    const x = images(30, 8, 8, 1, 3);
    const one = analyticKernelSync(gapNet(), x);
    const two = await analyticKernel(gapNet(), x, undefined, { threads: 2 });
    expect(two.ntk!.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(two.nngp!.data).toEqual(one.nngp!.data);
    expect(two.ntk!.data).toEqual(one.ntk!.data);
  }, 60_000);

  it('a user-written layer runs with threads requested (on the calling thread) and equals the built-in one', async () => {
    // a ReLU written in user code: the same transform as relu(), under a type name no worker could rebuild
    const builtinRelu = relu();
    const userRelu: Layer = { ...builtinRelu, json: { type: 'myRelu' } as unknown as Layer['json'] };
    const x = images(100, 8, 8, 2, 1);
    const mine = await analyticKernel(flatNet(userRelu), x, undefined, { threads: 2, get: 'ntk' });
    const ref = await analyticKernel(flatNet(builtinRelu), x, undefined, { threads: 2, get: 'ntk' });
    expect(mine.ntk!.data.buffer).not.toBeInstanceOf(SharedArrayBuffer); // inline
    expect(mine.ntk!.data).toEqual(ref.ntk!.data);
  }, 60_000);
});
