import { describe, expect, it } from 'vitest';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { NATIVE_SCALE_MIN, wasmScaleCalls } from '../../src/tfjs/wasmScale.js';
import { Rng } from '../../src/util/random.js';

/**
 * A large float32 tensor times a scalar runs as a native loop on wasm (src/tfjs/wasmScale.ts, native/src/kernels.c
 * scale). Truth: the float32 product written here, Math.fround(x·s) (the double product of two float32 values is
 * exact, so one rounding gives IEEE float32 multiplication), bit for bit, special values included; the scalar on
 * either side; and the stock kernel's products for everything else (small tensors, two full tensors).
 */
const bits = (v: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(v).buffer));

describe('native tensor-times-scalar Multiply (wasm)', () => {
  it('equals the float32 product bit for bit, with the scalar on either side and through autodiff', async () => {
    await initTfjs('wasm');
    const rng = new Rng(9);
    const n = NATIVE_SCALE_MIN + 7;
    const xv = Float32Array.from(rng.normals(n), (v) => v * 3);
    const special = [0, -0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 1e-38];
    special.forEach((v, i) => (xv[i] = v));
    const s = Math.fround(0.2357022604);
    const want = bits(Array.from(xv, (v) => Math.fround(v * s)));
    const x = tf.tensor(xv, [n]);
    for (const f of [() => tf.mul(x, s), () => tf.mul(tf.scalar(s), x), () => tf.mul(x, tf.tensor([s], [1]))]) {
      const before = wasmScaleCalls();
      const y = f();
      expect(wasmScaleCalls()).toBe(before + 1);
      expect(y.shape).toEqual([n]);
      expect(bits(y.dataSync())).toEqual(want);
      y.dispose();
    }
    // the gradient of x·s is dy·s: the same kernel
    const dy = tf.tensor(Float32Array.from(rng.normals(n)), [n]);
    const before = wasmScaleCalls();
    const g = tf.grad((t) => tf.mul(t, s))(x, dy);
    expect(wasmScaleCalls()).toBeGreaterThan(before);
    expect(bits(g.dataSync())).toEqual(bits(Array.from(dy.dataSync(), (v) => Math.fround(v * s))));
    // NaN stays NaN
    const nan = tf.mul(tf.fill([n], NaN), s).dataSync();
    expect(Number.isNaN(nan[0]) && Number.isNaN(nan[n - 1])).toBe(true);
    tf.dispose([x, dy, g]);
  });

  it('small tensors, two full tensors and a scalar of higher rank keep the stock kernel (and its values)', async () => {
    await initTfjs('wasm');
    const before = wasmScaleCalls();
    const small = tf.mul(tf.tensor([1.5, -2, 3]), 2);
    expect(Array.from(small.dataSync())).toEqual([3, -4, 6]);
    const n = NATIVE_SCALE_MIN;
    const a = tf.fill([n], 1.5);
    const b = tf.fill([n], 2);
    expect(tf.mul(a, b).dataSync()[n - 1]).toBe(3);
    const lifted = tf.mul(a, tf.tensor([[2]], [1, 1])); // broadcasts to [1, n]: the stock kernel's shape rules
    expect(lifted.shape).toEqual([1, n]);
    expect(lifted.dataSync()[0]).toBe(3);
    expect(wasmScaleCalls()).toBe(before);
    tf.dispose([small, a, b, lifted]);
  });
});
