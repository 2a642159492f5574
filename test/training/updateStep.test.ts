import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { fusedSgdUsable, setFusedSgdEnabled } from '../../src/tfjs/wasmSgd.js';
import { updateStep } from '../../src/training/updateStep.js';
import { Rng } from '../../src/util/random.js';
import { relToMax } from '../helpers.js';

// Float32 tensors against float64 arithmetic: one step is 3–4 float32 operations on O(1) values, so the error is a
// few float32 ulps (6e-8 each) of the largest value: 1e-6 of the maximum leaves a margin of ~5×. Iterated steps
// accumulate about one ulp per step and operation: 40 steps stay below 2e-5; the tolerance 1e-4 is 5× that.

/** Float32-representable values (so the float64 reference starts from exactly the tensor's numbers). */
const f32 = (n: number, seed: number): Float64Array => Float64Array.from(Float32Array.from(new Rng(seed).normals(n)));

describe('updateStep (θ ← θ − η(∇L + λθ), with heavy-ball momentum v ← μv + ∇L + λθ, θ ← θ − ηv)', () => {
  beforeAll(async () => {
    await initTfjs('auto');
  });

  it('plain SGD: θ − η(g + λθ), and θ − ηg at λ = 0, against float64; the inputs are left alone', () => {
    const p = f32(24, 1);
    const g = f32(24, 2);
    const [eta, lambda] = [0.1, 0.3];
    const pt = tf.tensor(Float32Array.from(p), [4, 6]);
    const gt = tf.tensor(Float32Array.from(g), [4, 6]);
    const r = updateStep([pt], [gt], null, { lr: eta, lambda, momentum: 0 });
    expect(r.velocity).toBeNull();
    expect(r.params[0].shape).toEqual([4, 6]);
    expect(relToMax(r.params[0].dataSync(), p.map((v, i) => v - eta * (g[i] + lambda * v)))).toBeLessThan(1e-6);
    const r0 = updateStep([pt], [gt], null, { lr: eta, lambda: 0, momentum: 0 });
    expect(relToMax(r0.params[0].dataSync(), p.map((v, i) => v - eta * g[i]))).toBeLessThan(1e-6);
    expect(pt.isDisposed || gt.isDisposed).toBe(false);
  });

  it('the data gradient at 0: N steps multiply θ by (1 − ηλ)^N (the factor SGD applies, not e^{−ηλN})', () => {
    const p = f32(10, 3);
    const [eta, lambda, steps] = [0.5, 0.1, 30];
    let params = [tf.tensor(Float32Array.from(p))];
    const zero = [tf.zeros([10])];
    for (let k = 0; k < steps; k++) params = updateStep(params, zero, null, { lr: eta, lambda, momentum: 0 }).params;
    const factor = (1 - eta * lambda) ** steps; // 0.95^30 = 0.2146; e^{−1.5} = 0.2231 is 4% away
    expect(relToMax(params[0].dataSync(), p.map((v) => v * factor))).toBeLessThan(1e-4);
  });

  it('momentum, the data gradient at 0: N steps follow the 2×2 linear recurrence (θ, v) ← M(θ, v), M = [[1 − ηλ, −ημ], [λ, μ]]', () => {
    const p = f32(8, 4);
    const [eta, lambda, mu, steps] = [0.1, 0.5, 0.9, 40];
    let params = [tf.tensor(Float32Array.from(p))];
    let velocity = [tf.zeros([8])];
    const zero = [tf.zeros([8])];
    for (let k = 0; k < steps; k++) {
      const r = updateStep(params, zero, velocity, { lr: eta, lambda, momentum: mu });
      params = r.params;
      velocity = r.velocity!;
    }
    // M^N by repeated multiplication in float64; θ_N = (M^N)₀₀ θ_0, v_N = (M^N)₁₀ θ_0 (v_0 = 0)
    const m = [1 - eta * lambda, -eta * mu, lambda, mu];
    let a = [1, 0, 0, 1];
    for (let k = 0; k < steps; k++) a = [m[0] * a[0] + m[1] * a[2], m[0] * a[1] + m[1] * a[3], m[2] * a[0] + m[3] * a[2], m[2] * a[1] + m[3] * a[3]];
    expect(relToMax(params[0].dataSync(), p.map((v) => a[0] * v))).toBeLessThan(1e-4);
    expect(relToMax(velocity[0].dataSync(), p.map((v) => a[2] * v))).toBeLessThan(1e-4);
    // it is not plain decay: without momentum the factor would be (1 − ηλ)^N
    expect(Math.abs(a[0] - (1 - eta * lambda) ** steps)).toBeGreaterThan(0.05);
  });

  it('momentum with a data gradient: two steps written out in float64', () => {
    const p = f32(6, 5);
    const g1 = f32(6, 6);
    const g2 = f32(6, 7);
    const [eta, lambda, mu] = [0.2, 0.05, 0.7];
    const r1 = updateStep([tf.tensor(Float32Array.from(p))], [tf.tensor(Float32Array.from(g1))], [tf.zeros([6])], { lr: eta, lambda, momentum: mu });
    const r2 = updateStep(r1.params, [tf.tensor(Float32Array.from(g2))], r1.velocity, { lr: eta, lambda, momentum: mu });
    const v1 = p.map((v, i) => g1[i] + lambda * v);
    const th1 = p.map((v, i) => v - eta * v1[i]);
    const v2 = th1.map((v, i) => mu * v1[i] + g2[i] + lambda * v);
    const th2 = th1.map((v, i) => v - eta * v2[i]);
    expect(relToMax(r2.params[0].dataSync(), th2)).toBeLessThan(1e-6);
    expect(relToMax(r2.velocity![0].dataSync(), v2)).toBeLessThan(1e-6);
  });

  it('wasm: the fused one-op step (src/tfjs/wasmSgd.ts) gives the tfjs ops\' bits exactly, with and without momentum and λ', async () => {
    await initTfjs('wasm');
    const rng = new Rng(21);
    for (const [lambda, mu] of [[0, 0], [1e-3, 0], [0, 0.9], [1e-3, 0.9], [0.37, 0.5]] as const) {
      const n = 257;
      // a wide range of magnitudes (1e-6 … 1e3) so that roundings differ from op to op
      const vals = (): Float32Array => Float32Array.from(rng.normals(n), (v, i) => v * 10 ** ((i % 10) - 6));
      const p = tf.tensor(vals());
      const g = tf.tensor(vals());
      const v = mu > 0 ? [tf.tensor(vals())] : null;
      const settings = { lr: 0.1, lambda, momentum: mu };
      const tensors = (): number => tf.engine().state.numTensors;
      const before = setFusedSgdEnabled(false);
      const stock = updateStep([p], [g], v, settings);
      setFusedSgdEnabled(true);
      expect(fusedSgdUsable([p, g])).toBe(true);
      const t0 = tensors();
      const fused = updateStep([p], [g], v, settings);
      // one op: one new tensor per output (θ', and v' with momentum)
      expect(tensors() - t0).toBe(mu > 0 ? 2 : 1);
      setFusedSgdEnabled(before);
      expect(Array.from(fused.params[0].dataSync())).toEqual(Array.from(stock.params[0].dataSync()));
      if (v) expect(Array.from(fused.velocity![0].dataSync())).toEqual(Array.from(stock.velocity![0].dataSync()));
    }
  });
});
