import { describe, expect, it } from 'vitest';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { PSD_TOLERANCE, clipSpectrum, regularizedNote } from '../../src/dynamics/psdSpectrum.js';
import { spectralSolve } from '../../src/dynamics/spectral.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import type { Mat } from '../../src/linalg/matrix.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

const spec = parseSpec('dense(16, wStd=1.4) > relu > dense(16, wStd=1.4) > relu > dense(2, wStd=1.4)');
const y = randomMatrix(8, 2, 3);

/** A symmetric matrix with the given eigenvalues in a random orthogonal basis (Gram–Schmidt). */
function withSpectrum(values: number[]): Mat {
  const n = values.length;
  const q = Array.from(randomMatrix(n, n, 9).data);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let r = 0; r < n; r++) d += q[i * n + r] * q[j * n + r];
      for (let r = 0; r < n; r++) q[i * n + r] -= d * q[j * n + r];
    }
    const norm = Math.hypot(...q.slice(i * n, (i + 1) * n));
    for (let r = 0; r < n; r++) q[i * n + r] /= norm;
  }
  const data = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b <= a; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[i] * q[i * n + a] * q[i * n + b];
    data[a * n + b] = s;
    data[b * n + a] = s;
  }
  return { rows: n, cols: n, data };
}

describe('Θ must be positive semi-definite', () => {
  it('a real kernel with duplicated inputs (singular, round-off negatives) passes; what was clipped is recorded', () => {
    const x = randomMatrix(8, 5, 4);
    x.data.copyWithin(5, 0, 5); // row 1 = row 0, row 3 = row 2: rank-deficient Θ
    x.data.copyWithin(15, 10, 15);
    const th = analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!;
    const eb = eigenbasis({ thetaTrain: th, y });
    expect(eb.spectrum.regularized).toBe(false);
    expect(eb.spectrum.lowest).toBeGreaterThan(-PSD_TOLERANCE * eb.spectrum.largest);
    expect(eb.spectrum.frobeniusChange).toBeLessThan(1e-12 * eb.spectrum.largest);
    expect(Array.from(eb.kappa).every((k) => k >= 0)).toBe(true);
  });

  it('an indefinite Θ is refused with its lowest and largest eigenvalues, naming --regularize', () => {
    const th = withSpectrum([-0.5, 0.1, 1, 2, 3, 4, 5, 8]);
    let err: unknown;
    try {
      eigenbasis({ thetaTrain: th, y });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^Θ \(train\) is not positive semi-definite: lowest eigenvalue -0\.500, largest 8\.00 .*--regularize/);
  });

  it('with regularize, negative eigenvalues are clipped to 0 and the amount is reported', () => {
    const th = withSpectrum([-0.5, -0.2, 1, 2, 3, 4, 5, 8]);
    const eb = eigenbasis({ thetaTrain: th, y }, undefined, { regularize: true });
    expect(eb.spectrum).toMatchObject({ clipped: 2, regularized: true, tolerance: PSD_TOLERANCE });
    expect(eb.spectrum.lowest).toBeCloseTo(-0.5, 12);
    expect(eb.spectrum.frobeniusChange).toBeCloseTo(Math.hypot(0.5, 0.2), 12);
    expect(eb.kappa.filter((k) => k === 0).length).toBe(2);
    // the flow on the clipped kernel equals the flow on the PSD projection
    const proj = withSpectrum([0, 0, 1, 2, 3, 4, 5, 8]);
    const t = Float64Array.from([1, 10]);
    const a = spectralSolve(eb, 0.01, 2, t).fTrain;
    const b = spectralSolve(eigenbasis({ thetaTrain: proj, y }), 0.01, 2, t).fTrain;
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 10);
    expect(regularizedNote(eb.spectrum)).toMatch(/^regularized Θ: clipped 2 negative eigenvalues of Θ to 0 \(lowest -0\.500, largest 8\.00; \|ΔΘ\|_F = 0\.539\)/);
  });

  it('clipSpectrum: tolerance is relative to the largest eigenvalue; a negative-definite matrix is refused', () => {
    expect(clipSpectrum(Float64Array.from([-1e-12, 1]), 1, 'K').clip).toMatchObject({ clipped: 1, regularized: false });
    expect(() => clipSpectrum(Float64Array.from([-1e-9, 1]), 1, 'K')).toThrow(/not positive semi-definite/);
    expect(() => clipSpectrum(Float64Array.from([-1e-9, 1]), 1, 'K', { tolerance: 1e-8 })).not.toThrow();
    expect(() => clipSpectrum(Float64Array.from([-2, -1]), 1, 'K')).toThrow(/not positive semi-definite/);
    expect(clipSpectrum(Float64Array.from([0, 0]), 1, 'K').clip.clipped).toBe(0);
  });
});
