import { describe, expect, it } from 'vitest';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { Rng } from '../../src/util/random.js';

/**
 * The wasm backend's Concat and Identity are replaced (src/tfjs/wasmConcat.ts). Concat moves data only, so it must
 * equal, exactly, a concatenation computed here by index arithmetic on host copies; Identity shares its input's
 * data, so a clone must keep its values after the original is disposed and free nothing twice.
 */
function expectedConcat(parts: { values: number[]; shape: number[] }[], axis: number): number[] {
  const rows = parts[0].shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (const { values, shape } of parts) {
      const run = shape.slice(axis).reduce((p, q) => p * q, 1);
      for (let e = r * run; e < (r + 1) * run; e++) out.push(values[e]);
    }
  }
  return out;
}

describe('wasm Concat and Identity', () => {
  it('Concat equals index arithmetic exactly: ranks 1–4, every axis, 2–5 inputs (empty ones too), short and long runs', async () => {
    await initTfjs('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const rng = new Rng(21);
    const pick = (n: number): number => Math.min(n - 1, Math.floor(rng.uniform() * n));
    for (let trial = 0; trial < 200; trial++) {
      const rank = 1 + (trial % 4);
      const axis = pick(rank);
      const base = Array.from({ length: rank }, (_, a) => 1 + pick(a === rank - 1 && trial % 3 === 0 ? 90 : 5)); // runs ≥ 64 sometimes
      const parts = Array.from({ length: 2 + pick(4) }, () => {
        const shape = [...base];
        shape[axis] = rng.uniform() < 0.1 ? 0 : 1 + pick(4);
        const size = shape.reduce((p, q) => p * q, 1);
        const dtype = trial % 2 === 0 ? 'float32' : 'int32';
        const values = Array.from({ length: size }, () => (dtype === 'int32' ? pick(1000) : rng.normal()));
        return { shape, dtype, values: Array.from(dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values)) };
      });
      const got = tf.tidy(() => tf.concat(parts.map((p) => tf.tensor(p.values, p.shape, p.dtype as 'float32' | 'int32')), axis));
      const expected = expectedConcat(parts, axis);
      expect(Array.from(got.dataSync())).toEqual(expected);
      got.dispose();
    }
  });

  it('Identity: a clone outlives its original with the same values; no memory leaks or double frees', async () => {
    await initTfjs('wasm');
    const before = tf.memory().numBytes;
    const x = tf.tensor([1, 2, 3, 4.5], [2, 2]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4.5]);
    // gradients save (clone) their inputs: a gradient still works and frees everything afterwards
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, v)))(y));
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6, 9]);
    g.dispose();
    y.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });
});
