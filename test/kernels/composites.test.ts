import { beforeAll, describe, expect, it } from 'vitest';
import { analyticKernel, analyticKernelSync, kernelDiagonal } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { monteCarloKernel } from '../../src/kernels/monteCarlo.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { erf } from '../../src/layers/erf.js';
import { fanInSum } from '../../src/layers/fanInSum.js';
import { parallel } from '../../src/layers/parallel.js';
import { residual } from '../../src/layers/residual.js';
import { serial } from '../../src/layers/serial.js';
import type { NetworkSpec } from '../../src/layers/types.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { maxRelErr, randomMatrix } from '../helpers.js';

/**
 * An independent float64 implementation of the NTK-parameterization recursions on whole matrices, written here
 * with direct loops (not through the layer modules): K is the (N1+N2)×(N1+N2) joint matrix of both point sets,
 * so the self parts are its diagonal, which uses the θ = 0 formulas as the toolkit does.
 */
type Op =
  | { op: 'dense'; w: number; b: number }
  | { op: 'relu' }
  | { op: 'erf' }
  | { op: 'residual'; block: Op[] }
  | { op: 'sum'; branches: Op[][] };

interface Pair {
  k: Float64Array;
  t: Float64Array;
}

function refRun(ops: readonly Op[], p: Pair, n: number): Pair {
  let cur = p;
  for (const o of ops) cur = refOp(o, cur, n);
  return cur;
}

function refOp(o: Op, p: Pair, n: number): Pair {
  const k = new Float64Array(n * n);
  const t = new Float64Array(n * n);
  if (o.op === 'dense') {
    for (let i = 0; i < n * n; i++) {
      k[i] = o.w * o.w * p.k[i] + o.b * o.b;
      t[i] = o.w * o.w * p.t[i] + k[i];
    }
  } else if (o.op === 'relu') {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const q = i * n + j;
        const norm = Math.sqrt(p.k[i * n + i] * p.k[j * n + j]);
        const th = i === j ? 0 : Math.acos(Math.min(1, Math.max(-1, p.k[q] / norm)));
        k[q] = (norm * (Math.sin(th) + (Math.PI - th) * Math.cos(th))) / (2 * Math.PI);
        t[q] = (p.t[q] * (Math.PI - th)) / (2 * Math.PI);
      }
    }
  } else if (o.op === 'erf') {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const q = i * n + j;
        const prod = (1 + 2 * p.k[i * n + i]) * (1 + 2 * p.k[j * n + j]);
        k[q] = (2 / Math.PI) * Math.asin((2 * p.k[q]) / Math.sqrt(prod));
        t[q] = (p.t[q] * 4) / Math.PI / Math.sqrt(prod - 4 * p.k[q] * p.k[q]);
      }
    }
  } else if (o.op === 'residual') {
    const b = refRun(o.block, p, n);
    for (let i = 0; i < n * n; i++) {
      k[i] = b.k[i] + p.k[i]; // K_out = K_block + K_in
      t[i] = b.t[i] + p.t[i];
    }
  } else {
    for (const br of o.branches) {
      const b = refRun(br, p, n);
      for (let i = 0; i < n * n; i++) {
        k[i] += b.k[i];
        t[i] += b.t[i];
      }
    }
  }
  return { k, t };
}

/** The reference kernels between the rows of x1 and x2: blocks of the joint matrix. */
function reference(ops: readonly Op[], x1: Mat, x2: Mat): { nngp: Float64Array; ntk: Float64Array; diag1: Pair } {
  const n1 = x1.rows;
  const n = n1 + x2.rows;
  const d = x1.cols;
  const all = [...Array.from({ length: n1 }, (_, i) => x1.data.subarray(i * d, (i + 1) * d)), ...Array.from({ length: x2.rows }, (_, i) => x2.data.subarray(i * d, (i + 1) * d))];
  const k0 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k0[i * n + j] = all[i].reduce((s, v, q) => s + v * all[j][q], 0) / d;
  const out = refRun(ops, { k: k0, t: new Float64Array(n * n) }, n);
  const nngp = new Float64Array(n1 * x2.rows);
  const ntk = new Float64Array(n1 * x2.rows);
  for (let i = 0; i < n1; i++) {
    for (let j = 0; j < x2.rows; j++) {
      nngp[i * x2.rows + j] = out.k[i * n + n1 + j];
      ntk[i * x2.rows + j] = out.t[i * n + n1 + j];
    }
  }
  const diag1 = { k: Float64Array.from({ length: n1 }, (_, i) => out.k[i * n + i]), t: Float64Array.from({ length: n1 }, (_, i) => out.t[i * n + i]) };
  return { nngp, ntk, diag1 };
}

const W = 16;
const resSpec = (): NetworkSpec =>
  serial(
    dense(W, { wStd: 1.3, bStd: 0.1 }),
    residual(relu(), dense(W, { wStd: 1.2, bStd: 0.2 })),
    relu(),
    residual(dense(W), relu(), dense(W, { wStd: 1.1 })),
    dense(2, { wStd: 0.9, bStd: 0.3 }),
  );
const resOps: Op[] = [
  { op: 'dense', w: 1.3, b: 0.1 },
  { op: 'residual', block: [{ op: 'relu' }, { op: 'dense', w: 1.2, b: 0.2 }] },
  { op: 'relu' },
  { op: 'residual', block: [{ op: 'dense', w: 1, b: 0 }, { op: 'relu' }, { op: 'dense', w: 1.1, b: 0 }] },
  { op: 'dense', w: 0.9, b: 0.3 },
];
const parSpec = (): NetworkSpec =>
  serial(
    dense(W, { wStd: 1.2, bStd: 0.2 }),
    parallel([dense(W, { wStd: 1.4 }), relu(), dense(W)], [erf(), dense(W, { wStd: 0.7, bStd: 0.3 })]),
    fanInSum(),
    relu(),
    dense(1, { wStd: 1.1 }),
  );
const parOps: Op[] = [
  { op: 'dense', w: 1.2, b: 0.2 },
  { op: 'sum', branches: [[{ op: 'dense', w: 1.4, b: 0 }, { op: 'relu' }, { op: 'dense', w: 1, b: 0 }], [{ op: 'erf' }, { op: 'dense', w: 0.7, b: 0.3 }]] },
  { op: 'relu' },
  { op: 'dense', w: 1.1, b: 0 },
];

describe('composite kernels against an independent float64 implementation', () => {
  const x1 = randomMatrix(70, 5, 21);
  const x2 = randomMatrix(45, 5, 22);
  for (const [name, spec, ops] of [
    ['residual MLP', resSpec, resOps],
    ['parallel of two different branches + fanInSum', parSpec, parOps],
  ] as const) {
    it(`${name}: NNGP, NTK, symmetric and cross, and the diagonal agree to 1e-12`, async () => {
      const s = spec();
      const cross = analyticKernelSync(s, x1, x2);
      const ref = reference(ops, x1, x2);
      expect(maxRelErr(cross.nngp!.data, ref.nngp)).toBeLessThan(1e-12);
      expect(maxRelErr(cross.ntk!.data, ref.ntk)).toBeLessThan(1e-12);
      const sym = analyticKernelSync(s, x1);
      const refSym = reference(ops, x1, x1);
      expect(maxRelErr(sym.nngp!.data, refSym.nngp)).toBeLessThan(1e-12);
      expect(maxRelErr(sym.ntk!.data, refSym.ntk)).toBeLessThan(1e-12);
      // exact diagonal, from the self parts, and kernelDiagonal through the same engine
      const diag = kernelDiagonal(s, x1);
      expect(maxRelErr(diag.nngp, ref.diag1.k)).toBeLessThan(1e-12);
      expect(maxRelErr(diag.ntk, ref.diag1.t)).toBeLessThan(1e-12);
      for (let i = 0; i < x1.rows; i++) {
        expect(sym.nngp!.data[i * x1.rows + i]).toBe(diag.nngp[i]);
        expect(sym.ntk!.data[i * x1.rows + i]).toBe(diag.ntk[i]);
      }
      // worker threads (they rebuild the composites from JSON) give the same numbers bit for bit
      const big = randomMatrix(900, 5, 23); // above the inline threshold: workers run
      const threaded = await analyticKernel(s, big, undefined, { threads: 2 });
      const inline = analyticKernelSync(s, big);
      expect(threaded.ntk!.data).toEqual(inline.ntk!.data);
    });
  }
});

describe('composite finite forms', () => {
  beforeAll(async () => {
    await initTfjs('auto');
  });
  const relToMax = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let d = 0;
    let m = 0;
    for (let i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
      m = Math.max(m, Math.abs(b[i]));
    }
    return d / m;
  };

  for (const [name, spec] of [
    ['residual MLP', resSpec],
    ['parallel + fanInSum', parSpec],
  ] as const) {
    it(`${name}: structured empirical NTK equals the Jacobian one to 1e-4 (trace and every output pair)`, async () => {
      const x1 = randomMatrix(5, 6, 1);
      const x2 = randomMatrix(4, 6, 2);
      for (const [a, b] of [[x1, x2], [x1, undefined]] as const) {
        const s = await empiricalKernel(spec(), a, b, { method: 'structured', seed: 3, full: true });
        const j = await empiricalKernel(spec(), a, b, { method: 'jacobian', seed: 3, full: true });
        const e = relToMax(s.ntk.data, j.ntk.data);
        console.info(`${name}: structured versus Jacobian, trace ${e.toExponential(2)}`);
        expect(e).toBeLessThan(1e-4);
        expect(relToMax(s.full!, j.full!)).toBeLessThan(1e-4);
        expect(relToMax(s.nngp.data, j.nngp.data)).toBeLessThan(1e-5);
      }
    });
  }

  it('Monte Carlo over 16 residual MLPs of width 1024 agrees with the analytic NNGP and NTK within 4 standard errors', async () => {
    const width = 1024;
    const spec = serial(
      dense(width, { wStd: 1.3, bStd: 0.2 }),
      residual(relu(), dense(width, { wStd: 1.2, bStd: 0.1 })),
      relu(),
      dense(1, { wStd: 1.1 }),
    );
    const x = randomMatrix(4, 5, 31);
    const mc = await monteCarloKernel(spec, x, undefined, { seeds: 16 });
    const an = analyticKernelSync(spec, x);
    let worst = 0;
    for (const [m, se, a] of [
      [mc.nngp, mc.nngpStderr!, an.nngp!],
      [mc.ntk, mc.ntkStderr!, an.ntk!],
    ] as const) {
      for (let i = 0; i < a.data.length; i++) {
        const z = Math.abs(m.data[i] - a.data[i]) / se.data[i];
        worst = Math.max(worst, z);
        expect(z).toBeLessThan(4);
      }
    }
    console.info(`residual MLP, width ${width}, 16 seeds: worst |mean − analytic| = ${worst.toFixed(2)} standard errors`);
  });
});
