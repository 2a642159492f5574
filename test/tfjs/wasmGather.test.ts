import { describe, expect, it } from 'vitest';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { Rng } from '../../src/util/random.js';

/**
 * The wasm backend's GatherV2 along axis 0 is replaced by row copies from the heap (src/tfjs/wasmGather.ts). Pure
 * data movement: it must equal, exactly, rows picked here by index arithmetic on the host copy, for ranks 1–4,
 * float32 and int32, repeated and any-order indices, 1-D and 2-D index tensors; other axes keep the stock kernel
 * (checked the same way), and an out-of-range index still throws the stock kernel's error.
 */
describe('wasm GatherV2 by rows', () => {
  it('equals index arithmetic exactly (ranks 1–4, float32 and int32, axis 0 and other axes)', async () => {
    await initTfjs('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect((tf.getKernel('GatherV2', 'wasm')?.kernelFunc as { ntkGather?: boolean }).ntkGather).toBe(true);
    const rng = new Rng(5);
    const pick = (n: number): number => Math.min(n - 1, Math.floor(rng.uniform() * n));
    for (let trial = 0; trial < 80; trial++) {
      const rank = 1 + (trial % 4);
      const shape = Array.from({ length: rank }, () => 1 + pick(6));
      const dtype = trial % 3 === 0 ? 'int32' : 'float32';
      const total = shape.reduce((p, q) => p * q, 1);
      const values = dtype === 'int32' ? Int32Array.from({ length: total }, () => pick(1000) - 500) : Float32Array.from(rng.normals(total));
      const x = tf.tensor(values, shape, dtype);
      const axis = trial % 5 === 4 ? pick(rank) : 0;
      const idxShape = trial % 2 === 0 ? [1 + pick(7)] : [1 + pick(3), 1 + pick(3)];
      const idx = Int32Array.from({ length: idxShape.reduce((p, q) => p * q, 1) }, () => pick(shape[axis]));
      const got = tf.gather(x, tf.tensor(idx, idxShape, 'int32'), axis);
      expect(got.shape).toEqual([...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)]);
      expect(got.dtype).toBe(dtype);
      const outer = shape.slice(0, axis).reduce((p, q) => p * q, 1);
      const inner = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
      const want: number[] = [];
      for (let o = 0; o < outer; o++) for (const i of idx) for (let e = 0; e < inner; e++) want.push(values[(o * shape[axis] + i) * inner + e]);
      expect(Array.from(got.dataSync())).toEqual(want);
      tf.dispose([x, got]);
    }
  });

  it('an index out of range throws the stock kernel\'s error', async () => {
    await initTfjs('wasm');
    const x = tf.tensor([[1, 2], [3, 4]]);
    expect(() => tf.gather(x, tf.tensor([0, 2], [2], 'int32'))).toThrow(/GatherV2: the index value 2 is not in \[0, 1\]/);
    expect(() => tf.gather(x, tf.tensor([-1], [1], 'int32'))).toThrow(/GatherV2/);
  });
});
