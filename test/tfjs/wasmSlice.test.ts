import { describe, expect, it } from 'vitest';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { Rng } from '../../src/util/random.js';

/**
 * The wasm backend's Slice is replaced by one that reads the heap in place (src/tfjs/wasmSlice.ts). It moves data
 * only, so it must equal, exactly, a slice computed here by plain index arithmetic on the host copy: every rank
 * from 1 to 6, random begins and sizes (empty, whole-axis and single-element cases included), float32 and int32.
 */
function expectedSlice(values: Float32Array | Int32Array, shape: number[], begin: number[], size: number[]): number[] {
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, q) => p * q, 1));
  const total = size.reduce((p, q) => p * q, 1);
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    let r = i;
    let flat = 0;
    for (let a = size.length - 1; a >= 0; a--) {
      flat += (begin[a] + (r % size[a])) * strides[a];
      r = Math.floor(r / size[a]);
    }
    out.push(values[flat]);
  }
  return out;
}

describe('wasm Slice in place', () => {
  it('equals index arithmetic exactly for ranks 1–6, random begins and sizes, float32 and int32', async () => {
    await initTfjs('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const rng = new Rng(7);
    const pick = (n: number): number => Math.min(n - 1, Math.floor(rng.uniform() * n));
    let cases = 0;
    for (let trial = 0; trial < 300; trial++) {
      const rank = 1 + (trial % 6);
      const shape = Array.from({ length: rank }, () => 1 + pick(5));
      const begin = shape.map((d) => pick(d));
      // a third of the axes taken whole (the contiguous-run merge), others random, some empty
      const size = shape.map((d, a) => (rng.uniform() < 0.33 ? d - begin[a] : pick(d - begin[a] + 1)));
      if (rng.uniform() < 0.3) size.forEach((_, a) => { if (a > 0) { begin[a] = 0; size[a] = shape[a]; } });
      const total = shape.reduce((p, q) => p * q, 1);
      const dtype = trial % 2 === 0 ? 'float32' : 'int32';
      const values = dtype === 'float32' ? Float32Array.from({ length: total }, () => rng.normal()) : Int32Array.from({ length: total }, (_, i) => i * 7 - 3);
      const x = tf.tensor(values, shape, dtype);
      const y = tf.slice(x, begin, size);
      expect(y.shape).toEqual(size);
      expect(Array.from(y.dataSync())).toEqual(expectedSlice(values, shape, begin, size));
      tf.dispose([x, y]);
      cases++;
    }
    expect(cases).toBe(300);
  });

  it('is installed once, and a slice of a large tensor still agrees after the heap grows', async () => {
    await initTfjs('wasm');
    await initTfjs('wasm');
    expect((tf.getKernel('Slice', 'wasm').kernelFunc as { ntkInPlace?: boolean }).ntkInPlace).toBe(true);
    const big = tf.randomNormal([64, 33, 35, 16], 0, 1, 'float32', 3);
    const s = tf.slice(big, [5, 1, 2, 3], [50, 30, 31, 9]);
    const host = big.dataSync() as Float32Array;
    expect(Array.from(s.dataSync())).toEqual(expectedSlice(host, [64, 33, 35, 16], [5, 1, 2, 3], [50, 30, 31, 9]));
    tf.dispose([big, s]);
  });

  it('split (concat\'s gradient) and unstack equal index arithmetic exactly', async () => {
    await initTfjs('wasm');
    for (const name of ['SplitV', 'Unpack']) expect((tf.getKernel(name, 'wasm').kernelFunc as { ntkInPlace?: boolean }).ntkInPlace).toBe(true);
    const shape = [3, 4, 5, 6, 2];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
    const host = x.dataSync() as Float32Array;
    for (let axis = 0; axis < shape.length; axis++) {
      const sizes = axis === 3 ? [1, 3, 2] : [shape[axis] - 1, 1];
      let at = 0;
      for (const part of tf.split(x, sizes, axis)) {
        const begin = shape.map((_, a) => (a === axis ? at : 0));
        const size = shape.map((d, a) => (a === axis ? part.shape[a] : d));
        expect(Array.from(part.dataSync())).toEqual(expectedSlice(host, shape, begin, size));
        at += part.shape[axis];
      }
      tf.unstack(x, axis).forEach((part, i) => {
        expect(part.shape).toEqual(shape.filter((_, a) => a !== axis));
        const begin = shape.map((_, a) => (a === axis ? i : 0));
        const size = shape.map((d, a) => (a === axis ? 1 : d));
        expect(Array.from(part.dataSync())).toEqual(expectedSlice(host, shape, begin, size));
      });
    }
    // the gradient of concat goes through SplitV
    const a = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const b = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 2);
    const w = tf.randomNormal([2, 3, 9], 0, 1, 'float32', 3);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q], 2), w)))([a, b]);
    const wh = w.dataSync() as Float32Array;
    expect(Array.from(ga.dataSync())).toEqual(expectedSlice(wh, [2, 3, 9], [0, 0, 0], [2, 3, 4]));
    expect(Array.from(gb.dataSync())).toEqual(expectedSlice(wh, [2, 3, 9], [0, 0, 4], [2, 3, 5]));
  });
});
