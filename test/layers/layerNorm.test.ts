import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { monteCarloKernel } from '../../src/kernels/monteCarlo.js';
import { relu } from '../../src/layers/abrelu.js';
import { batchNorm } from '../../src/layers/batchNorm.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { identity } from '../../src/layers/identity.js';
import { parseOneLineSpec, specFromJson, specToJson } from '../../src/layers/json.js';
import { layerNorm } from '../../src/layers/layerNorm.js';
import { homogeneityDegree } from '../../src/layers/serial.js';
import { serial } from '../../src/network/network.js';
import { SpecError } from '../../src/layers/specError.js';
import type { Layer, NetworkSpec, Parameterization } from '../../src/layers/types.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { Rng } from '../../src/util/random.js';
import { randomMatrix, relToMax } from '../helpers.js';

beforeAll(async () => {
  await initTfjs('auto');
});


// ---------------------------------------------------------------------------------------------------------------
// An independent float64 reference: the recursion written out for one pair at a time, from the formulas alone
// (no layer module is called), carrying (K11, K22, K12) and (Θ11, Θ22, Θ12) through the network.
// ---------------------------------------------------------------------------------------------------------------
type RefOp = { kind: 'dense'; width: number; w: number; b: number } | { kind: 'relu' } | { kind: 'erf' } | { kind: 'ln' } | { kind: 'id' };

function referencePair(ops: readonly RefOp[], xa: ArrayLike<number>, xb: ArrayLike<number>, param: Parameterization): { k: number; t: number } {
  const d = xa.length;
  let k11 = 0;
  let k22 = 0;
  let k12 = 0;
  for (let j = 0; j < d; j++) {
    k11 += xa[j] * xa[j];
    k22 += xb[j] * xb[j];
    k12 += xa[j] * xb[j];
  }
  k11 /= d;
  k22 /= d;
  k12 /= d;
  let t11 = 0;
  let t22 = 0;
  let t12 = 0;
  let fanIn = d;
  for (const op of ops) {
    if (op.kind === 'dense') {
      const w2 = op.w * op.w;
      const b2 = op.b * op.b;
      const [n11, n22, n12] = [w2 * k11 + b2, w2 * k22 + b2, w2 * k12 + b2];
      if (param === 'ntk') {
        [t11, t22, t12] = [w2 * t11 + n11, w2 * t22 + n22, w2 * t12 + n12];
      } else {
        const bias = op.b > 0 ? 1 : 0;
        [t11, t22, t12] = [w2 * t11 + fanIn * k11 + bias, w2 * t22 + fanIn * k22 + bias, w2 * t12 + fanIn * k12 + bias];
      }
      [k11, k22, k12] = [n11, n22, n12];
      fanIn = op.width;
    } else if (op.kind === 'relu') {
      const cos = Math.max(-1, Math.min(1, k12 / Math.sqrt(k11 * k22)));
      const th = Math.acos(cos);
      k12 = (Math.sqrt(k11 * k22) * (Math.sin(th) + (Math.PI - th) * cos)) / (2 * Math.PI);
      t12 *= (Math.PI - th) / (2 * Math.PI);
      k11 /= 2;
      k22 /= 2;
      t11 /= 2;
      t22 /= 2;
    } else if (op.kind === 'erf') {
      const kk = (a: number, b: number, c: number): number => (2 / Math.PI) * Math.asin((2 * c) / Math.sqrt((1 + 2 * a) * (1 + 2 * b)));
      const dd = (a: number, b: number, c: number): number => (4 / Math.PI) / Math.sqrt((1 + 2 * a) * (1 + 2 * b) - 4 * c * c);
      t12 *= dd(k11, k22, k12);
      t11 *= dd(k11, k11, k11);
      t22 *= dd(k22, k22, k22);
      [k11, k22, k12] = [kk(k11, k11, k11), kk(k22, k22, k22), kk(k11, k22, k12)];
    } else if (op.kind === 'ln') {
      const s = Math.sqrt(k11 * k22);
      k12 /= s;
      t12 /= s;
      t11 /= k11;
      t22 /= k22;
      k11 = 1;
      k22 = 1;
    }
  }
  return { k: k12, t: t12 };
}

function reference(ops: readonly RefOp[], x1: Mat, x2: Mat, param: Parameterization): { k: Float64Array; t: Float64Array } {
  const k = new Float64Array(x1.rows * x2.rows);
  const t = new Float64Array(x1.rows * x2.rows);
  for (let i = 0; i < x1.rows; i++) {
    for (let j = 0; j < x2.rows; j++) {
      const r = referencePair(ops, x1.data.subarray(i * x1.cols, (i + 1) * x1.cols), x2.data.subarray(j * x2.cols, (j + 1) * x2.cols), param);
      k[i * x2.rows + j] = r.k;
      t[i * x2.rows + j] = r.t;
    }
  }
  return { k, t };
}

/** The spec and its reference ops, built side by side from one description. */
function build(desc: readonly RefOp[], param: Parameterization): NetworkSpec {
  const layers: Layer[] = desc.map((op) => {
    switch (op.kind) {
      case 'dense':
        return dense(op.width, { wStd: op.w, bStd: op.b });
      case 'relu':
        return relu();
      case 'erf':
        return erf();
      case 'ln':
        return layerNorm();
      case 'id':
        return identity();
    }
  });
  return { ...serial(...layers), parameterization: param };
}

const D = (width: number, w: number, b: number): RefOp => ({ kind: 'dense', width, w, b });
const RELU: RefOp = { kind: 'relu' };
const ERF: RefOp = { kind: 'erf' };
const LN: RefOp = { kind: 'ln' };
const ID: RefOp = { kind: 'id' };

const ARCHS: Record<string, RefOp[]> = {
  'dense > relu > dense > layerNorm > dense': [D(64, 1.3, 0.2), RELU, D(48, 1.1, 0.1), LN, D(3, 1.2, 0.3)],
  'layerNorm between hidden layers (no biases, then erf)': [D(64, 1.4, 0), LN, RELU, D(32, 1.2, 0.2), LN, ERF, D(2, 0.9, 0.1)],
  'dense > identity > layerNorm > layerNorm > relu > dense': [D(40, 0.8, 1.5), ID, LN, LN, RELU, D(1, 1, 0)],
};

describe('layerNorm analytic kernel against an independent float64 reference', () => {
  const x1 = randomMatrix(7, 5, 21, 1.3);
  const x2 = randomMatrix(4, 5, 22, 0.6);
  for (const [name, ops] of Object.entries(ARCHS)) {
    for (const param of ['ntk', 'standard'] as const) {
      it(`${name}, ${param}: NNGP and NTK to 1e-10 relative (cross and symmetric)`, () => {
        const spec = build(ops, param);
        const an = analyticKernelSync(spec, x1, x2);
        const ref = reference(ops, x1, x2, param);
        expect(relToMax(an.nngp!.data, ref.k)).toBeLessThan(1e-10);
        expect(relToMax(an.ntk!.data, ref.t)).toBeLessThan(1e-10);
        const sym = analyticKernelSync(spec, x1); // the tiled path with the diagonal from the diag transforms
        const refSym = reference(ops, x1, x1, param);
        expect(relToMax(sym.nngp!.data, refSym.k)).toBeLessThan(1e-10);
        expect(relToMax(sym.ntk!.data, refSym.t)).toBeLessThan(1e-10);
      });
    }
  }

  it('the NNGP diagonal right after layerNorm is exactly 1 and Θ(x, x) = Θ_in/K_in', () => {
    const spec = serial(dense(16, { wStd: 1.5, bStd: 0.4 }), layerNorm());
    const an = analyticKernelSync(spec, x1);
    for (let i = 0; i < x1.rows; i++) expect(an.nngp!.data[i * x1.rows + i]).toBe(1);
    const ref = reference([D(16, 1.5, 0.4), LN], x1, x1, 'ntk');
    expect(relToMax(an.ntk!.data, ref.t)).toBeLessThan(1e-12);
  });

  it('is refused where its input units are not centred Gaussian (first layer, after a nonlinearity), naming the layer', () => {
    const x = randomMatrix(3, 4, 1);
    for (const spec of [serial(layerNorm(), dense(2)), serial(dense(8), relu(), layerNorm(), dense(1)), serial(dense(8), erf(), identity(), layerNorm())]) {
      expect(() => analyticKernelSync(spec, x)).toThrow(SpecError);
      expect(() => analyticKernelSync(spec, x)).toThrow(/^layers\[\d\] \(layerNorm\): layerNorm has an analytic kernel only on centred Gaussian units: put it right after a dense layer/);
    }
  });
});

describe('layerNorm finite form', () => {
  it('rows have mean 0 and (biased) variance 1; the output is invariant to scaling the input', () => {
    const net = serial(layerNorm());
    const x = randomMatrix(4, 32, 3, 2.5);
    for (let i = 0; i < x.data.length; i++) x.data[i] += 0.7; // a non-centred input
    const params = net.init(32, 0);
    const xt = tf.tensor2d(Float32Array.from(x.data), [4, 32]);
    const y = net.apply(params, xt).arraySync();
    const y3 = net.apply(params, tf.mul(xt, 3) as Tensor2D).arraySync();
    for (let r = 0; r < 4; r++) {
      const mean = y[r].reduce((a, b) => a + b, 0) / 32;
      const v = y[r].reduce((a, b) => a + (b - mean) ** 2, 0) / 32;
      expect(Math.abs(mean)).toBeLessThan(1e-6);
      expect(Math.abs(v - 1)).toBeLessThan(1e-5);
      for (let u = 0; u < 32; u++) expect(Math.abs(y3[r][u] - y[r][u])).toBeLessThan(1e-5);
    }
  });

  it('the structured backward rule equals tfjs autodiff (vector-Jacobian products for k = 3 outputs at once)', () => {
    const ln = layerNorm().finite!({ parameterization: 'ntk', fanIn: 24 });
    const N = 5;
    const n = 24;
    const k = 3;
    const rng = new Rng(17);
    const xData = rng.normalsFloat32(N * n, 1.8);
    for (let i = 0; i < xData.length; i++) xData[i] += i % n < 6 ? 1.2 : -0.3; // a non-centred input
    const x = tf.tensor2d(xData, [N, n]);
    const delta = tf.tensor3d(rng.normalsFloat32(k * N * n, 1), [k, N, n]) as Tensor3D;
    const mine = (ln.structured!.backward([], x, delta) as Tensor3D).arraySync();
    for (let c = 0; c < k; c++) {
      const dc = tf.squeeze(tf.slice(delta, [c, 0, 0], [1, N, n]), [0]);
      const grad = tf.grad((z: Tensor) => tf.sum(tf.mul(ln.apply([], z as Tensor2D) as Tensor2D, dc)))(x).arraySync() as number[][];
      let err = 0;
      let scale = 0;
      for (let i = 0; i < N; i++) {
        for (let u = 0; u < n; u++) {
          err = Math.max(err, Math.abs(mine[c][i][u] - grad[i][u]));
          scale = Math.max(scale, Math.abs(grad[i][u]));
        }
      }
      console.info(`layerNorm backward rule versus autodiff, output ${c}: max rel err ${(err / scale).toExponential(2)}`);
      expect(err / scale).toBeLessThan(1e-5);
    }
  });

  it('structured empirical NTK equals the Jacobian one to 1e-4 (every output pair), layerNorm anywhere', async () => {
    const x1 = randomMatrix(5, 6, 1);
    const x2 = randomMatrix(4, 6, 2);
    const specs: NetworkSpec[] = [
      serial(dense(24, { wStd: 1.3, bStd: 0.2 }), relu(), dense(20, { wStd: 1.1, bStd: 0.1 }), layerNorm(), dense(3, { wStd: 1.2, bStd: 0.3 })),
      { ...serial(dense(20, { wStd: 1.4 }), layerNorm(), relu(), dense(16, { wStd: 1.2, bStd: 0.2 }), layerNorm(), erf(), dense(4)), parameterization: 'standard' },
      serial(layerNorm(), dense(16, { bStd: 0.5 }), relu(), layerNorm(), dense(2)), // finite-only places
    ];
    for (const [s, spec] of specs.entries()) {
      const a = await empiricalKernel(spec, x1, x2, { method: 'structured', seed: 30 + s, full: true });
      const b = await empiricalKernel(spec, x1, x2, { method: 'jacobian', seed: 30 + s, full: true });
      expect(relToMax(a.ntk.data, b.ntk.data)).toBeLessThan(1e-4);
      console.info(`structured versus Jacobian NTK, spec ${s}: trace ${relToMax(a.ntk.data, b.ntk.data).toExponential(2)}, every pair ${relToMax(a.full!, b.full!).toExponential(2)}`);
      expect(relToMax(a.full!, b.full!)).toBeLessThan(1e-4);
      expect(relToMax(a.nngp.data, b.nngp.data)).toBeLessThan(1e-5);
    }
  });

  it('after a Dense layer with a bias the units still average to 0 over a row (O(1/√n)): what the kernel assumes', () => {
    const n = 4096;
    const net = serial(dense(n, { wStd: 1.2, bStd: 1.5 }));
    const x = randomMatrix(6, 5, 9, 1);
    for (let i = 0; i < x.data.length; i++) x.data[i] += 2; // non-centred inputs too
    const params = net.init(5, 4);
    const z = net.apply(params, tf.tensor2d(Float32Array.from(x.data), [6, 5])).arraySync();
    const k = analyticKernelSync(net, x).nngp!;
    for (let r = 0; r < 6; r++) {
      const mean = z[r].reduce((a, b) => a + b, 0) / n;
      // the mean of n i.i.d. N(0, K(x, x)) units: standard deviation √(K/n); 4.5 of them is a safe bound
      expect(Math.abs(mean)).toBeLessThan(4.5 * Math.sqrt(k.data[r * 6 + r] / n));
    }
  });
});

describe('layerNorm Monte Carlo: finite networks of width 1024–2048 converge to the analytic kernel', () => {
  // The mean over S networks is within a few standard errors of the analytic kernel: its finite-width bias is
  // O(1/n) (~1e-3 relative here), below the standard error of S = 16 networks of width 1024 (~0.5–1% for the NTK;
  // the NNGP f·f'ᵀ/k of one network stays O(1) random at any width, so its standard error is larger).
  const cases: Array<[string, NetworkSpec]> = [
    ['dense > relu > dense > layerNorm > dense', serial(dense(1024, { wStd: 1.3, bStd: 0.2 }), relu(), dense(1024, { wStd: 1.1, bStd: 0.1 }), layerNorm(), dense(4, { wStd: 1.2, bStd: 0.3 }))],
    ['dense > layerNorm > relu > dense (width 2048)', serial(dense(2048, { wStd: 1.4, bStd: 0.5 }), layerNorm(), relu(), dense(4, { wStd: 1.1, bStd: 0.2 }))],
  ];
  for (const [name, spec] of cases) {
    it(`${name}: every entry within 5 standard errors (S = 16), NTK within 5% relative`, async () => {
      const x = randomMatrix(5, 7, 40);
      const mc = await monteCarloKernel(spec, x, undefined, { seeds: 16, seed0: 500 });
      const an = analyticKernelSync(spec, x);
      let worstZ = 0;
      let worstRel = 0;
      for (const [emp, se, ref] of [[mc.ntk, mc.ntkStderr!, an.ntk!], [mc.nngp, mc.nngpStderr!, an.nngp!]] as const) {
        for (let i = 0; i < ref.data.length; i++) worstZ = Math.max(worstZ, Math.abs(emp.data[i] - ref.data[i]) / se.data[i]);
      }
      worstRel = relToMax(mc.ntk.data, an.ntk!.data);
      console.info(`${name}: worst |mean − analytic|/SE = ${worstZ.toFixed(2)}, NTK max rel err ${worstRel.toExponential(2)}`);
      // 15 distinct entries per kernel; |t| > 5 with 15 degrees of freedom has probability ~1.6e-4 per entry.
      expect(worstZ).toBeLessThan(5);
      expect(worstRel).toBeLessThan(0.05);
    }, 120_000);
  }
});

describe('layerNorm and batchNorm in specs', () => {
  it('layerNorm: JSON {"type":"layerNorm"}, one-line "layernorm" (any case), round trip, no weights, homogeneity null', () => {
    const a = specFromJson({ layers: [{ type: 'dense', width: 8 }, { type: 'layerNorm' }, { type: 'dense', width: 1 }] });
    const b = parseOneLineSpec('dense(8) > layernorm > dense(1)');
    const c = parseOneLineSpec('dense(8) > LayerNorm > dense(1)');
    expect(specToJson(b)).toEqual(specToJson(a));
    expect(specToJson(c)).toEqual(specToJson(a));
    expect(specToJson(a).layers[1]).toEqual({ type: 'layerNorm' });
    expect(() => parseOneLineSpec('dense(8) > layernorm(1)')).toThrow(/takes at most 0 argument/);
    const ln = a.layers[1];
    expect(ln.hasWeights).toBe(false);
    expect(ln.homogeneity).toBeNull();
    expect(ln.scaleParams(0.3)).toBe(ln);
    expect(homogeneityDegree(a)).toBeNull(); // dense > layerNorm > dense is not homogeneous of degree 2
  });

  it('batchNorm parses (JSON and one line); its kernel is a one-line error, its structured NTK points to the Jacobian method', async () => {
    const spec = specFromJson({ layers: [{ type: 'dense', width: 8 }, { type: 'batchNorm' }, { type: 'dense', width: 1 }] });
    expect(specToJson(parseOneLineSpec('dense(8) > batchnorm > dense(1)'))).toEqual(specToJson(spec));
    const x = randomMatrix(3, 4, 5);
    let message = '';
    try {
      analyticKernelSync(spec, x);
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/^layers\[1\] \(batchNorm\): batchNorm has no closed-form kernel: batch normalization couples the examples of a batch; use layerNorm/);
    expect(message).not.toContain('\n');
    await expect(empiricalKernel(spec, x)).rejects.toThrow(/no structured NTK rule: use the Jacobian method/);
    expect((await empiricalKernel(spec, x, undefined, { method: 'jacobian' })).ntk.data.every(Number.isFinite)).toBe(true);
    expect(batchNorm().homogeneity).toBeNull();
  });
});
