import type { FlowArrays } from './arrays.js';

/**
 * Dormand–Prince 5(4) with adaptive steps (Hairer, Nørsett & Wanner, Solving ODEs I, §II.5), written once over
 * the `FlowArrays` interface so the same solver drives float64 CPU arrays and float32 tfjs tensors. The
 * 5th-order solution is propagated, the embedded 4th-order one estimates the error (worst row of the batch:
 * all rows share the step), and the step follows the standard controller with safety factor 0.9.
 * Discontinuities of the right-hand side (λ schedules that jump) are `breakpoints`: integration restarts
 * there instead of stepping across them.
 */
export interface DopriOptions {
  rtol?: number;
  atol?: number;
  breakpoints?: readonly number[];
  /** First step (default: a millionth of the span). */
  h0?: number;
  /** Give up after this many steps (a stiff or divergent problem). */
  maxSteps?: number;
}

const A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
];
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1];
const B5 = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84];
// b (5th order) − b* (4th order), for the seven stages including the FSAL one
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];
// dense output of order 4 (Hairer & Wanner's DOPRI5 continuous extension), stages 1, 3, 4, 5, 6, 7
const D = [-12715105075 / 11282082432, 0, 87487479700 / 32700410799, -10690763975 / 1880347072, 701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423];

/**
 * The state at t + θh inside an accepted step, from y, y_new and the seven stages:
 * y(θ) = y + θ·r2 + θ(1−θ)·r3 + θ²(1−θ)·r4 + θ²(1−θ)²·r5 with r2 = y_new − y, r3 = h·k1 − r2,
 * r4 = r2 − h·k7 − r3, r5 = h·Σ d_i k_i, expanded into one linear combination.
 */
function denseCoefficients(theta: number, h: number): number[] {
  const a = theta;
  const b = theta * (1 - theta);
  const c = theta * b;
  const e = b * b;
  // order: y, y_new, k1..k7
  return [1 - a + b - 2 * c, a - b + 2 * c, h * (b - c + e * D[0]), 0, h * e * D[2], h * e * D[3], h * e * D[4], h * e * D[5], h * (-c + e * D[6])];
}

/** What the solver asks its driver to read back: rows of a batch, or the controller's error norm. */
type ReadRequest<T> = { kind: 'rows'; a: T } | { kind: 'norm'; e: T; y: T; yNew: T; rtol: number; atol: number };

/** The solver proper, as a generator that yields each read-back it needs (sync and async drivers below). */
function* dopriCore<T>(
  ops: FlowArrays<T>,
  f: (t: number, y: T) => T,
  y0: T,
  times: ArrayLike<number>,
  opts: DopriOptions,
): Generator<ReadRequest<T>, { y: Float64Array; steps: number }, Float64Array | number> {
  const rtol = opts.rtol ?? 1e-10;
  const atol = opts.atol ?? 1e-12;
  const maxSteps = opts.maxSteps ?? 10_000_000;
  const first = (yield { kind: 'rows', a: y0 }) as Float64Array;
  const per = first.length;
  const out = new Float64Array(times.length * per);
  const tEnd = times.length ? times[times.length - 1] : 0;
  // The integrator stops only at jumps of the right-hand side and at the end; output times in between are
  // read from the dense output of each step, so many output times cost no extra steps.
  const stops = [...new Set([...(opts.breakpoints ?? []).filter((b) => b > 0 && b < tEnd), tEnd])].sort((a, b) => a - b);
  let y = ops.lincomb([1], [y0]);
  let t = 0;
  let h = opts.h0 ?? Math.max(1e-12, tEnd * 1e-6);
  let steps = 0;
  let k1: T | null = null; // f(t, y), reused from the last stage of an accepted step (first-same-as-last)
  let outIdx = 0;
  while (outIdx < times.length && times[outIdx] <= 0) out.set(first, per * outIdx++);
  try {
    for (const stop of stops) {
      if (stop <= t) continue;
      if (k1) ops.dispose(k1);
      k1 = null; // after a breakpoint the right-hand side may have changed
      while (t < stop) {
        if (!k1) k1 = f(t, y);
        const hFree = h;
        const clamped = t + h >= stop;
        if (clamped) h = stop - t;
        const ks: T[] = [k1];
        for (let s = 1; s < 6; s++) {
          const yi = ops.lincomb([1, ...A[s].map((a) => h * a)], [y, ...ks]);
          ks.push(f(t + C[s] * h, yi));
          ops.dispose(yi);
        }
        const yNew = ops.lincomb([1, ...B5.map((b) => h * b)], [y, ...ks]);
        const k7 = f(t + h, yNew);
        const errVec = ops.lincomb(E.map((e) => h * e), [...ks, k7]);
        const err = (yield { kind: 'norm', e: errVec, y, yNew, rtol, atol }) as number;
        ops.dispose(errVec);
        if (!Number.isFinite(err)) throw new RangeError(`ODE solution is not finite at t = ${t}`);
        if (err <= 1) {
          const tNew = clamped ? stop : t + h;
          // outputs strictly inside the step come from the dense output; one at its end is y_new itself
          while (outIdx < times.length && times[outIdx] < tNew) {
            const yi = ops.lincomb(denseCoefficients((times[outIdx] - t) / h, h), [y, yNew, ...ks, k7]);
            out.set((yield { kind: 'rows', a: yi }) as Float64Array, per * outIdx++);
            ops.dispose(yi);
          }
          t = tNew;
          ops.dispose(y, k1);
          y = yNew;
          k1 = k7;
          if (++steps > maxSteps) throw new RangeError(`ODE integration took more than ${maxSteps} steps (stiff or divergent problem)`);
        } else {
          ops.dispose(yNew, k7);
        }
        ops.dispose(...ks.slice(1));
        const factor = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * err ** -0.2));
        const hNext = h * factor;
        h = err > 1 ? Math.min(hNext, h) : clamped ? Math.max(hNext, hFree) : hNext;
      }
      if (outIdx < times.length && times[outIdx] <= t) {
        const rows = (yield { kind: 'rows', a: y }) as Float64Array;
        while (outIdx < times.length && times[outIdx] <= t) out.set(rows, per * outIdx++);
      }
    }
  } finally {
    if (k1) ops.dispose(k1);
    ops.dispose(y);
  }
  return { y: out, steps };
}

/**
 * Integrates y' = f(t, y) from t = 0 (state y0) and returns the states at each of `times` (increasing, ≥ 0)
 * as float64 rows (time-major: times × batch × size), with the number of accepted steps.
 */
export function integrateDopri<T>(
  ops: FlowArrays<T>,
  f: (t: number, y: T) => T,
  y0: T,
  times: ArrayLike<number>,
  opts: DopriOptions = {},
): { y: Float64Array; steps: number } {
  const run = dopriCore(ops, f, y0, times, opts);
  for (let r = run.next(0); ; ) {
    if (r.done) return r.value;
    const q = r.value;
    let v: Float64Array | number;
    try {
      v = q.kind === 'rows' ? ops.toRows(q.a) : ops.errorNorm(q.e, q.y, q.yNew, q.rtol, q.atol);
    } catch (e) {
      run.throw(e); // runs the solver's cleanup (disposes its arrays), then rethrows
      throw e;
    }
    r = run.next(v);
  }
}

/**
 * `integrateDopri` for arrays that read back asynchronously (tfjs on the webgpu backend): the same steps and
 * numbers, each read-back awaited (`toRowsAsync` / `errorNormAsync` where the arrays have them).
 */
export async function integrateDopriAsync<T>(
  ops: FlowArrays<T>,
  f: (t: number, y: T) => T,
  y0: T,
  times: ArrayLike<number>,
  opts: DopriOptions = {},
): Promise<{ y: Float64Array; steps: number }> {
  const run = dopriCore(ops, f, y0, times, opts);
  for (let r = run.next(0); ; ) {
    if (r.done) return r.value;
    const q = r.value;
    let v: Float64Array | number;
    try {
      v = q.kind === 'rows'
        ? await (ops.toRowsAsync ? ops.toRowsAsync(q.a) : ops.toRows(q.a))
        : await (ops.errorNormAsync ? ops.errorNormAsync(q.e, q.y, q.yNew, q.rtol, q.atol) : ops.errorNorm(q.e, q.y, q.yNew, q.rtol, q.atol));
    } catch (e) {
      run.throw(e); // runs the solver's cleanup (disposes its arrays), then rethrows
      throw e;
    }
    r = run.next(v);
  }
}
