import { describe, expect, it } from 'vitest';
import { float64Arrays } from '../../src/dynamics/arrays.js';
import { eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { constantSchedule } from '../../src/dynamics/schedule.js';
import { scheduledSolve, scheduledSolveBatch } from '../../src/dynamics/scheduledFlow.js';
import { spectralSolve } from '../../src/dynamics/spectral.js';
import { tfjsArrays } from '../../src/dynamics/tfjsArrays.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { parseSpec } from '../../src/layers/json.js';
import { initTfjs } from '../../src/tfjs/backend.js';
import { randomMatrix } from '../helpers.js';

const spec = parseSpec('dense(64, wStd=1.4) > relu > dense(64, wStd=1.4) > relu > dense(3, wStd=1.4)');
const x = randomMatrix(20, 6, 61);
const xt = randomMatrix(7, 6, 62);
const eb = eigenbasis({
  thetaTrain: analyticKernelSync(spec, x, undefined, { get: 'ntk' }).ntk!,
  thetaTest: analyticKernelSync(spec, xt, x, { get: 'ntk' }).ntk!,
  y: randomMatrix(20, 3, 63),
  yTest: randomMatrix(7, 3, 64),
  f0: randomMatrix(20, 3, 65, 0.2),
  f0Test: randomMatrix(7, 3, 66, 0.2),
});
const times = Float64Array.from([0.5, 5, 30, 100, 300]);
const schedules = [constantSchedule(0.01), constantSchedule(0.03), constantSchedule(0.1), { starts: [0, 20, 60], values: [0.1, 0.01, 0.001] }];

const scaledErr = (a: Float64Array, b: Float64Array): number => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
};

describe('one integrator, two array implementations', () => {
  it('float64 batch of 4 schedules equals the per-schedule runs and the closed form (1e-8)', () => {
    const batch = scheduledSolveBatch(eb, schedules, 3, times, { arrays: float64Arrays });
    expect(batch.dtype).toBe('float64');
    schedules.forEach((s, b) => {
      const single = scheduledSolve(eb, s, 3, times);
      expect(scaledErr(batch.solutions[b].fTrain, single.fTrain)).toBeLessThan(1e-8);
      if (s.starts.length === 1) {
        const closed = spectralSolve(eb, s.values[0], 3, times);
        expect(scaledErr(batch.solutions[b].fTrain, closed.fTrain)).toBeLessThan(1e-8);
        expect(scaledErr(batch.solutions[b].fTest!, closed.fTest!)).toBeLessThan(1e-8);
      }
    });
  });

  it('tfjs float32, batched over 4 schedules, agrees with float64 to float32 precision (2e-5)', async () => {
    const info = await initTfjs('auto');
    console.info(`tfjs backend: ${info.backend} (${info.reason}), dtype ${info.dtype}`);
    const f32 = scheduledSolveBatch(eb, schedules, 3, times, { arrays: tfjsArrays() });
    const f64 = scheduledSolveBatch(eb, schedules, 3, times, { arrays: float64Arrays });
    expect(f32.dtype).toBe('float32');
    let worst = 0;
    schedules.forEach((_, b) => {
      // 2e-5: float32 rounding (6e-8 per operation) accumulated over a few hundred steps at rtol 1e-6
      worst = Math.max(worst, scaledErr(f32.solutions[b].fTrain, f64.solutions[b].fTrain), scaledErr(f32.solutions[b].fTest!, f64.solutions[b].fTest!));
    });
    console.info(`tfjs float32 vs float64: worst error ${worst.toExponential(2)} relative to max |f| (${f32.steps} vs ${f64.steps} steps)`);
    expect(worst).toBeLessThan(2e-5);
  }, 60_000);
});
