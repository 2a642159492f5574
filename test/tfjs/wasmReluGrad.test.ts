import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { RELU_GRAD, setFusedReluGradEnabled } from '../../src/tfjs/wasmReluGrad.js';
import { Rng } from '../../src/util/random.js';

/**
 * relu's gradient on the wasm backend runs as one native op (src/tfjs/wasmReluGrad.ts, native/src/kernels.c
 * reluGrad). It must give tfjs's own gradient (Step, Cast, Mul; the same process with the fused op switched off)
 * bit for bit: zeros keep their sign (dy·0 is −0 for negative dy), NaN in x or dy gives NaN, and the kernel must
 * really run (the profile lists it; with it off, Step and Mul run instead).
 */
const bits = (t: Tensor): number[] => {
  const f = new Float32Array(t.dataSync());
  const u = new Uint32Array(f.buffer);
  return Array.from(f, (v, i) => (Number.isNaN(v) ? -1 : u[i])); // any NaN is NaN
};

async function kernelsOf(f: () => Tensor): Promise<string[]> {
  const info = await tf.profile(() => f());
  return info.kernels.map((k) => k.name);
}

describe('fused relu gradient (wasm)', () => {
  it('equals tfjs\'s Step·Mul gradient bit for bit, special values included', async () => {
    await initTfjs('wasm');
    const rng = new Rng(11);
    const special = [NaN, 0, -0, 1e-45, -1e-45, Infinity, -Infinity, 3, -3];
    for (const shape of [[9], [4, 5], [2, 3, 4, 5], [128, 14, 14, 16]]) {
      const size = shape.reduce((p, q) => p * q, 1);
      const xv = Float32Array.from(rng.normals(size));
      const dv = Float32Array.from(rng.normals(size));
      for (let i = 0; i < Math.min(size, special.length * special.length); i++) {
        xv[i] = special[i % special.length];
        dv[i] = special[Math.floor(i / special.length) % special.length];
      }
      const x = tf.tensor(xv, shape);
      const dy = tf.tensor(dv, shape);
      const g = tf.grad((t: Tensor) => tf.relu(t));
      const fused = g(x, dy);
      const before = setFusedReluGradEnabled(false);
      const stock = g(x, dy);
      setFusedReluGradEnabled(before);
      expect(bits(fused)).toEqual(bits(stock));
      // and against the rule written out here (float32 product; the product of ±0 and a negative keeps the sign)
      const want = Array.from(xv, (v, i) => Math.fround(dv[i] * (Number.isNaN(v) ? NaN : v > 0 ? 1 : 0)));
      expect(bits(fused)).toEqual(bits(tf.tensor(want, shape)));
      tf.dispose([x, dy, fused, stock]);
    }
  });

  it('runs as one kernel, and tfjs\'s ops when switched off', async () => {
    await initTfjs('wasm');
    const x = tf.tensor([[-1, 2], [3, -4]]);
    const dy = tf.tensor([[5, 6], [7, 8]]);
    const g = () => tf.grad((t: Tensor) => tf.relu(t))(x, dy);
    const on = await kernelsOf(g);
    expect(on).toContain(RELU_GRAD);
    expect(on).not.toContain('Step');
    const before = setFusedReluGradEnabled(false);
    const off = await kernelsOf(g);
    setFusedReluGradEnabled(before);
    expect(off).not.toContain(RELU_GRAD);
    expect(off).toContain('Step');
  });

  it('second derivatives as tfjs\'s own form gives them', async () => {
    await initTfjs('wasm');
    const x = tf.tensor([-1.5, 0, 2.25, 4]);
    const dy = tf.tensor([0.5, -2, 3, -1]);
    // d/d(dy) of Σ w·(relu'(x)·dy) is w·relu'(x); d/dx of it is 0
    const w = tf.tensor([1, 2, 3, 4]);
    const outer = (fusedOn: boolean) => {
      const before = setFusedReluGradEnabled(fusedOn);
      const f = (d: Tensor, xx: Tensor) => tf.sum(tf.mul(w, tf.grad((t: Tensor) => tf.relu(t))(xx, d)));
      const [gd, gx] = tf.grads(f)([dy, x]);
      setFusedReluGradEnabled(before);
      return [Array.from(gd.dataSync()), Array.from(gx.dataSync())];
    };
    const fused = outer(true);
    expect(fused[0]).toEqual([0, 0, 3, 4]);
    expect(fused[1].every((v) => v === 0)).toBe(true);
    expect(fused).toEqual(outer(false));
  });
});
