import { describe, expect, it } from 'vitest';
import { computeRows, selfParts, splitRows } from '../../src/kernels/recursion.js';
import { relu } from '../../src/layers/abrelu.js';
import { dense } from '../../src/layers/dense.js';
import { bindKernel, serial } from '../../src/layers/serial.js';
import { jsLinalg } from '../../src/linalg/js.js';
import { rowSquaredNorms } from '../../src/linalg/matrix.js';
import { Rng } from '../../src/util/random.js';

// The symmetric tiles (X2 = X1) read the input covariance from the lower triangle only and may leave the NNGP
// unwritten: both are checked entry by entry (toBe) against the general (rectangular) path on the same full Gram
// matrix off the diagonal, and against the self parts (the exact θ = 0 formulas the symmetric tiles put there) on
// it. Off the diagonal both paths apply the same per-entry operations (the recursion is symmetric in its two
// arguments and the products commute exactly), so no tolerance is needed.

const n = 150; // two full 64-tiles and a partial one
const d = 20;
const x = { rows: n, cols: d, data: new Rng(11).normals(n * d) };
const fn = bindKernel(serial(dense(64, { wStd: 1.3, bStd: 0.2 }), relu(), dense(64, { wStd: 1.3 }), relu(), dense(1)), d);
const norms = rowSquaredNorms(x);
const gram = jsLinalg.syrk(x, { alpha: 1 / d }).data;
const input = { fn, norms1: norms, norms2: norms, inputDim: d };

function reference(): { k: Float64Array; t: Float64Array } {
  const k = gram.slice();
  const t = new Float64Array(n * n);
  computeRows(input, n, k, t, { r0: 0, r1: n, symmetric: false });
  const self = selfParts(fn, norms, d);
  for (let i = 0; i < n; i++) {
    k[i * n + i] = self.nngp[i];
    t[i * n + i] = self.ntk[i];
  }
  return { k, t };
}

describe('symmetric tiles', () => {
  const ref = reference();

  it('read only the lower triangle: garbage above the diagonal changes nothing', () => {
    const k = gram.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) k[i * n + j] = Number.NaN;
    const t = new Float64Array(n * n);
    for (const task of splitRows(n, 2, true)) computeRows(input, n, k, t, task);
    for (let q = 0; q < n * n; q++) {
      expect(t[q]).toBe(ref.t[q]);
      expect(k[q]).toBe(ref.k[q]);
    }
  });

  it('writeNngp: false leaves the input covariance in k and gives the same NTK', () => {
    const k = gram.slice();
    const t = new Float64Array(n * n);
    computeRows(input, n, k, t, { r0: 0, r1: n, symmetric: true, writeNngp: false });
    for (let q = 0; q < n * n; q++) {
      expect(t[q]).toBe(ref.t[q]);
      expect(k[q]).toBe(gram[q]);
    }
    // and the NNGP written when asked for
    const k2 = gram.slice();
    computeRows(input, n, k2, new Float64Array(n * n), { r0: 0, r1: n, symmetric: true, writeNngp: true });
    for (let q = 0; q < n * n; q++) {
      expect(k2[q]).toBe(ref.k[q]);
    }
  });
});
