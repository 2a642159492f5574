/**
 * Dormand–Prince 5(4) with adaptive steps (Hairer, Nørsett & Wanner, Solving ODEs I, §II.5): the 5th-order
 * solution is propagated, the embedded 4th-order one estimates the error, and the step follows the standard
 * controller with safety factor 0.9. Float64. Discontinuities of the right-hand side (e.g. a λ schedule that
 * jumps) are passed as `breakpoints`: integration restarts there instead of stepping across them.
 */
export type Rhs = (t: number, y: Float64Array, dydt: Float64Array) => void;

export interface DopriOptions {
  rtol?: number;
  atol?: number;
  /** Times where the right-hand side jumps. */
  breakpoints?: readonly number[];
  /** First step (default: a fraction of the span). */
  h0?: number;
  /** Give up after this many steps (a stiff or divergent problem). */
  maxSteps?: number;
}

const C2 = 1 / 5, C3 = 3 / 10, C4 = 4 / 5, C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40, A32 = 9 / 40;
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9;
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729;
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656;
const B1 = 35 / 384, B3 = 500 / 1113, B4 = 125 / 192, B5 = -2187 / 6784, B6 = 11 / 84;
// error coefficients: b (5th order) − b* (4th order)
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40;

/**
 * Integrates y' = f(t, y) from t = 0 (state y0) and returns the state at each of `times` (increasing, ≥ 0)
 * as rows of a (times × dim) array, plus the number of accepted steps.
 */
export function integrateDopri(f: Rhs, y0: Float64Array, times: ArrayLike<number>, opts: DopriOptions = {}): { y: Float64Array; steps: number } {
  const rtol = opts.rtol ?? 1e-10;
  const atol = opts.atol ?? 1e-12;
  const maxSteps = opts.maxSteps ?? 10_000_000;
  const n = y0.length;
  const out = new Float64Array(times.length * n);
  const y = Float64Array.from(y0);
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n);
  const k5 = new Float64Array(n), k6 = new Float64Array(n), k7 = new Float64Array(n);
  const tmp = new Float64Array(n), ynew = new Float64Array(n);
  const tEnd = times.length ? times[times.length - 1] : 0;
  const stops = [...new Set([...(opts.breakpoints ?? []).filter((b) => b > 0 && b < tEnd), ...Array.from(times)])].sort((a, b) => a - b);
  let t = 0;
  let h = opts.h0 ?? Math.max(1e-12, tEnd * 1e-6);
  let steps = 0;
  let fsal = false; // k1 holds f(t, y) from the last step (first-same-as-last)
  let outIdx = 0;
  while (outIdx < times.length && times[outIdx] <= 0) out.set(y, n * outIdx++);
  for (const stop of stops) {
    if (stop <= t) continue;
    fsal = false; // after a breakpoint the right-hand side may have changed
    while (t < stop) {
      if (!fsal) f(t, y, k1);
      const hFree = h; // the controller's step, before it is shortened to land on `stop`
      const clamped = t + h >= stop;
      if (clamped) h = stop - t;
      for (let i = 0; i < n; i++) tmp[i] = y[i] + h * A21 * k1[i];
      f(t + C2 * h, tmp, k2);
      for (let i = 0; i < n; i++) tmp[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
      f(t + C3 * h, tmp, k3);
      for (let i = 0; i < n; i++) tmp[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
      f(t + C4 * h, tmp, k4);
      for (let i = 0; i < n; i++) tmp[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
      f(t + C5 * h, tmp, k5);
      for (let i = 0; i < n; i++) tmp[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
      f(t + h, tmp, k6);
      for (let i = 0; i < n; i++) ynew[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
      f(t + h, ynew, k7);
      let err = 0;
      for (let i = 0; i < n; i++) {
        const e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
        const sc = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(ynew[i]));
        err += (e / sc) ** 2;
      }
      err = Math.sqrt(err / Math.max(1, n));
      if (!Number.isFinite(err)) throw new RangeError(`ODE solution is not finite at t = ${t}`);
      if (err <= 1) {
        t = t + h === stop || stop - (t + h) < 1e-14 * Math.max(1, stop) ? stop : t + h;
        y.set(ynew);
        k1.set(k7);
        fsal = true;
        if (++steps > maxSteps) throw new RangeError(`ODE integration took more than ${maxSteps} steps (stiff or divergent problem)`);
      }
      const factor = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * err ** -0.2));
      const hNext = h * factor;
      h = err > 1 ? Math.min(hNext, h) : clamped ? Math.max(hNext, hFree) : hNext;
    }
    while (outIdx < times.length && times[outIdx] <= t) out.set(y, n * outIdx++);
  }
  return { y: out, steps };
}
