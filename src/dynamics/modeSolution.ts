/**
 * Closed-form solution of one eigenmode of the infinite-width L2 dynamics (conventions: paper-notes.md,
 * "The infinite-width theory"). A mode of Θ_0/n with eigenvalue κ ≥ 0, target y and start f0 obeys, for constant
 * λ ≥ 0 and depth L ≥ 1,
 *
 *     f'(t) = −κ e^{−a t} (f − y) − L λ f,   a = 2(L−1)λ,
 *
 * so f(t) = G(t)·f0 + H(t)·y with G = e^{−Φ(t)}, Φ(t) = (κ/a)(1 − e^{−at}) + Lλt and
 * H(t) = e^{−Φ(t)} ∫_0^t κ e^{−as} e^{Φ(s)} ds.
 *
 * Derivation of the forms used (L ≥ 2, λ > 0, κ > 0). Write b = κ/a, τ = a t, w = e^{−τ}, p = L/(2(L−1)) (so that
 * Lλt = pτ) and s = 1 − p = (L−2)/(2(L−1)) ∈ [0, 1/2). Then G = w^p e^{−b(1−w)} and, with u = e^{−aσ},
 *
 *     H = b w^p e^{bw} ∫_w^1 u^{−p} e^{−bu} du                                   (1)
 *       = ∫_0^Y (1 + y/x)^{−p} e^{−y} dy,   x = b w,  Y = b(1 − w),             (2)
 *       = U(s, x) − G·U(s, b),                                                   (3)
 *
 * where U(s, x) = x^{1−s} e^{x} Γ(s, x) = ∫_0^∞ (1 + y/x)^{−p} e^{−y} dy ∈ [0, 1] is the scaled upper incomplete
 * gamma function (specialFunctions.ts). Every factor in (3) is bounded by 1, so nothing overflows even when
 * e^{κ/a} would (κ/a up to ~1e11 in practice), and ln x = ln(κ/a) − τ is computed without forming x.
 * The evaluation is chosen per regime (relative accuracy reached, measured against mpmath at 90 digits on
 * 22,500 points, L = 2…10, λ = 1e-8…10, κ = 1e-12…1e3 and κ/a up to 1e8, t from 0 to 100/λ: ≤ 1.5e-13):
 *
 *  - b = κ/a ≤ 1 ("slow" modes, never fully learned): expand e^{−bu} in (1):
 *        H = b e^{bw − pτ} Σ_{k≥0} (−b)^k/(k!(k+s)) (1 − w^{k+s}),
 *    with 1 − w^{k+s} = (1 − w^s) + w^s(1 − w^k) and 1 − w^{k+1} = (1 − w^k) + w^k(1 − w) accumulated from
 *    expm1 values (sums of positive terms, so no cancellation at small τ; the k = 0 term is τ at s = 0, L = 2).
 *    The alternating series loses at most e^{2b} ≤ 7.4; it is truncated per mode once e·b^k/k! < 1e-17 (≤ 19
 *    terms), and per time once w^k < 1e-17 (the rest of the sum is then a precomputed tail). e^{bw} comes from
 *    its Taylor polynomial when bw < e^{−3}. This regime avoids (3), which cancels badly for b ≪ 1 (H ~ b while
 *    U(s, b) ~ Γ(s) b^{1−s}).
 *  - b > 1 and Y = b(1 − w) ≥ 0.01: the difference (3). By (2), H ≥ (1 − e^{−Y})·U(s, x) and
 *    H ≥ (1 − e^{−Y})/e^{−Y}·G·U(s, b), so the relative error is ≤ 2·ε_U/(1 − e^{−Y}) ≤ 200·ε_U ≈ 1e-13.
 *    U(s, x) by the fast evaluator of specialFunctions.ts, per range of z = ln x = ln b − τ: asymptotic series
 *    in 1/x = e^{τ}/b for z > 10; the piecewise polynomial for −3 ≤ z ≤ 10; the small-x series for z < −3,
 *    inlined here with x = b·w and x^{1−s} = b^{1−s}·w^p formed as products, e^{x} by its Taylor polynomial
 *    shared with G = w^p e^{−b} e^{x}, and one term only below z = −40 (late times: no exp call at all).
 *  - b > 1 and Y < 0.01 (early times, H ≈ κt small, where (3) would cancel): the Taylor series of H in
 *    u = κt = bτ ≤ 0.0102, whose coefficients follow from the ODE (see earlyCoefficients), 9 terms.
 *  - Closed forms: κ = 0: G = e^{−Lλt}, H = 0. λ = 0: G = e^{−κt}, H = 1 − e^{−κt}. L = 1 (a = 0):
 *    G = e^{−(κ+λ)t}, H = κ/(κ+λ)·(1 − e^{−(κ+λ)t}) (expm1 where it matters, one transcendental per point).
 *  - t = +∞ gives the limits: G = 0 (or 1 when κ = λ = 0); H = κ/(κ+λ) for L = 1, 1 for λ = 0 < κ, 0 for L ≥ 2.
 *
 * G = e^{−(Lλt + Y)} is one exp, or the product w^p e^{−b} e^{bw} of accurate factors; its relative error is
 * ~ε·(Lλt + Y), the conditioning of the input. Values below ~1e-280 are flushed to 0 (absolute error < 1e-280).
 *
 * Speed ({@link modeResponses}): everything that depends only on t (τ, w, w^p, w^s, 1 − w^k, …) is computed
 * once per time, everything that depends only on κ (b, ln b, U(s, b), series coefficients) once per mode. The
 * times are sorted once, so along them τ grows and z falls, and every mode's regimes are contiguous ranges
 * (found by bisection), each run by its own tight loop. About 15–40 ns per (mode, time) on a small VM, i.e.
 * 0.4–1 s for 25.6M evaluations.
 */
import * as sf from './specialFunctions.js';

// Module-local copies of what the hot loops use: when this file is transpiled to CommonJS (tsx, ts-node, jest…),
// every use of an imported binding becomes a getter call on the exports object, ~2× slower in these loops.
const Z_LARGE = sf.SCALED_GAMMA_Z_LARGE;
const Z_SMALL = sf.SCALED_GAMMA_Z_SMALL;
const EULER_GAMMA = sf.EULER_GAMMA;
const scaledUpperGammaFor = sf.scaledUpperGammaFor;

/**
 * Σ_{k=0}^{8} c[k] x^k by Estrin's scheme (short dependency chains, no data-dependent loop). With the Taylor
 * coefficients of e^x, or the 9 small-x coefficients of ScaledUpperGamma, this is exact to < 5e-18 relative for
 * 0 ≤ x < e^{−3} (x^9/9!).
 */
function poly8(c: Float64Array, x: number): number {
  const x2 = x * x;
  const x4 = x2 * x2;
  return (
    c[0] + c[1] * x + x2 * (c[2] + c[3] * x) + x4 * (c[4] + c[5] * x + x2 * (c[6] + c[7] * x)) + x4 * x4 * c[8]
  );
}
const EXP_T = sf.EXP_TAYLOR; // 1/k!, k ≤ 8
if (EXP_T.length !== 9) throw new Error('internal: poly8 expects 9 Taylor coefficients');

/** Per-mode series truncation: terms with e·b^k/k! below this are dropped (b ≤ 1, so ≤ 19 terms). */
const SERIES_TOL = 1e-17;
/** Below this Y = κ(1 − e^{−at})/a the early-time expansion replaces the difference of scaled gammas. */
const Y_SMALL = 1e-2;
/** Terms of the early-time Taylor series H = Σ c_n (κt)^n (κt < 0.0102 there: remainder < 1e-17 relative). */
const N_EARLY = 9;
const MAX_SERIES = 40;
/**
 * Per-time factors w, w^p below this are flushed to 0 (subnormal arithmetic is ~100× slower). They only multiply
 * into terms below ~1e-180 (b < 1e100 where they are used), i.e. zero at the absolute tolerance.
 */
const FLUSH = 1e-280;
/** G formed as a product is set to 0 when ln G < this (instead of going through subnormals). */
const LOG_FLUSH = -690;

function checkDepth(depth: number, fn: string): void {
  if (!(Number.isInteger(depth) && depth >= 1)) throw new RangeError(`${fn}: depth must be an integer ≥ 1, got ${depth}`);
}

function checkLambda(lambda: number, fn: string): void {
  if (!(lambda >= 0 && lambda < Infinity)) throw new RangeError(`${fn}: lambda must be finite and ≥ 0, got ${lambda}`);
}

function checkKappa(kappa: number, fn: string, i?: number): void {
  if (!(kappa >= 0 && kappa < Infinity)) {
    const where = i === undefined ? '' : ` at index ${i}`;
    throw new RangeError(`${fn}: kappa must be finite and ≥ 0${where}, got ${kappa} (clamp tiny negative eigenvalues first)`);
  }
}

function checkTime(t: number, fn: string, j?: number): void {
  if (!(t >= 0)) {
    const where = j === undefined ? '' : ` at index ${j}`;
    throw new RangeError(`${fn}: t must be ≥ 0${where}, got ${t}`);
  }
}

/**
 * Values that depend only on (λ, L) and one time t, for L ≥ 2 and λ > 0, with the times SORTED ascending
 * (order[k] is the caller's index of the k-th smallest time). τ, Lλt, (1 − w)/a increase and z = ln b − τ
 * decreases along the sorted times, so each mode's regimes are contiguous index ranges, found by bisection,
 * and every range gets its own branch-free loop.
 */
interface TimeData {
  n: number;
  order: Int32Array;
  /** t (sorted) */
  t: Float64Array;
  /** τ = a t */
  tau: Float64Array;
  /** Lλt = pτ */
  decay: Float64Array;
  /** 1 − w = −expm1(−τ) */
  d: Float64Array;
  /** w = e^{−τ} */
  w: Float64Array;
  /** w^p = e^{−pτ} = e^{−Lλt} */
  wp: Float64Array;
  /** (1 − w)/a (= t for τ → 0) */
  dOverA: Float64Array;
  /** 1 − w^s */
  oneMinusWs: Float64Array;
  /** ∫_w^1 u^{−p} du = (1 − w^s)/s, or τ for s = 0 (the k = 0 term of the b-series) */
  i0: Float64Array;
  /** w^s */
  ws: Float64Array;
  /** smallest k with w^k < 1e-17 (k τ > 39.15), capped at MAX_SERIES */
  kw: Int32Array;
  /** 1 − w^k at [j·MAX_SERIES + k] for 1 ≤ k < kw[j], j < jLate (by 1 − w^{k+1} = (1 − w^k) + w^k(1 − w)) */
  oneMinusWk: Float64Array;
  /** e^{τ} (for 1/x = e^{τ}/b), +∞ beyond τ = 700 */
  eTau: Float64Array;
  /** first sorted index with τ ≥ 40 (from there on w^k rounds to 0 for k ≥ 1 and e^{bw} to 1 when b ≤ 1) */
  jLate: number;
}

const TAU_LATE = 40;

function timeData(times: ArrayLike<number>, lambda: number, depth: number, s: number): TimeData {
  const n = times.length;
  const a = 2 * (depth - 1) * lambda;
  const order = Int32Array.from({ length: n }, (_, j) => j);
  order.sort((i, j) => times[i] - times[j]);
  const td: TimeData = {
    n,
    order,
    t: new Float64Array(n),
    tau: new Float64Array(n),
    decay: new Float64Array(n),
    d: new Float64Array(n),
    w: new Float64Array(n),
    wp: new Float64Array(n),
    dOverA: new Float64Array(n),
    oneMinusWs: new Float64Array(n),
    i0: new Float64Array(n),
    ws: new Float64Array(n),
    kw: new Int32Array(n),
    oneMinusWk: new Float64Array(0),
    eTau: new Float64Array(n),
    jLate: n,
  };
  for (let k = n - 1; k >= 0; k--) {
    const t = times[order[k]];
    const tauRaw = a * t; // may overflow to ∞ for absurd t; stored capped so that z = ln b − τ stays finite
    const tau = tauRaw < 1e300 ? tauRaw : 1e300;
    const d = -Math.expm1(-tau);
    td.t[k] = t;
    td.tau[k] = tau;
    td.decay[k] = depth * lambda * t;
    td.d[k] = d;
    const w = Math.exp(-tau);
    const wp = Math.exp(-depth * lambda * t);
    td.w[k] = w < FLUSH ? 0 : w;
    td.wp[k] = wp < FLUSH ? 0 : wp;
    td.kw[k] = tau > 39.15 / MAX_SERIES ? Math.ceil(39.15 / tau) : MAX_SERIES;
    td.dOverA[k] = tau > 0 ? (tauRaw < 1e300 ? (d / tau) * t : 1 / a) : t;
    td.oneMinusWs[k] = -Math.expm1(-s * tau);
    // (i0 only ever multiplies w^p: zero it where w^p was flushed, so that τ = ∞ at s = 0 gives 0, not NaN)
    td.i0[k] = td.wp[k] === 0 ? 0 : s > 0 ? td.oneMinusWs[k] / s : tau;
    td.ws[k] = Math.exp(-s * tau);
    td.eTau[k] = tau < 700 ? Math.exp(tau) : Infinity;
    if (tau >= TAU_LATE) td.jLate = k;
  }
  const cw = new Float64Array(td.jLate * MAX_SERIES);
  for (let j = 0; j < td.jLate; j++) {
    const D = td.d[j];
    const w = td.w[j];
    let ck = D;
    let wk = w;
    cw[j * MAX_SERIES + 1] = ck;
    for (let k = 2; k < td.kw[j]; k++) {
      ck += wk * D;
      wk *= w;
      cw[j * MAX_SERIES + k] = ck;
    }
  }
  td.oneMinusWk = cw;
  return td;
}

/** First k in [lo, hi) with arr[k]·scale ≥ v (arr ascending), or hi. */
function firstAtLeast(arr: Float64Array, scale: number, v: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] * scale >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First k in [lo, hi) with lnB − tau[k] ≤ zMax (tau ascending), or hi. */
function firstZAtMost(tau: Float64Array, lnB: number, zMax: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lnB - tau[mid] <= zMax) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First k in [lo, hi) with lnB − tau[k] < zMax (tau ascending), or hi. */
function firstZBelow(tau: Float64Array, lnB: number, zMax: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lnB - tau[mid] < zMax) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Early-regime coefficients: H = Σ_{n=1}^{N_EARLY} c[n] u^n with u = κt = bτ. From the ODE in τ,
 * dH/dτ = b e^{−τ}(1 − H) − pH, with e_k = (−1)^k/k! and β = 1/b = a/κ < 1:
 *     c[1] = 1,   c[n+1] = (e_n β^n − Σ_{k=0}^{n} e_k β^k c[n−k] − pβ c[n]) / (n+1),
 * bounded coefficients (|c[n]| ≲ 3^n/n!; c[n] → (−1)^{n+1}/n! as β → 0, i.e. H → 1 − e^{−κt}).
 * `eb` is scratch for e_k β^k.
 */
function earlyCoefficients(beta: number, p: number, c: Float64Array, eb: Float64Array): void {
  eb[0] = 1;
  for (let k = 1; k <= N_EARLY; k++) eb[k] = (eb[k - 1] * -beta) / k;
  c[0] = 0;
  c[1] = 1;
  for (let n = 1; n < N_EARLY; n++) {
    let sum = 0;
    for (let k = 0; k <= n; k++) sum += eb[k] * c[n - k];
    c[n + 1] = (eb[n] - sum - p * beta * c[n]) / (n + 1);
  }
}

/** The b = κ/a ≤ 1 regime of {@link fillMode} (series in b; see the module comment). */
function fillSeries(
  b: number,
  lnB: number,
  s: number,
  td: TimeData,
  g: Float64Array,
  h: Float64Array,
  off: number,
  stride: number,
  coef: Float64Array,
  tail: Float64Array,
): void {
  const n = td.n;
  const { tau, w: wArr, wp: wpArr, oneMinusWs, ws: wsArr, kw: kwArr, i0 } = td;
  // coef[k] = (−b)^k/(k!(k+s)), k = 1..K−1; tail[k] = Σ_{k' ≥ k} coef[k'] serves the terms where 1 − w^{k'}
  // has rounded to 1 (w^{k'} < 1e-17).
  let term = 1; // (−b)^k/k!
  let bound = Math.E;
  let K = 1;
  let e1sum = 0; // Σ_{k≥1} coef[k]
  while (K < MAX_SERIES) {
    term *= -b / K;
    bound *= b / K;
    coef[K] = term / (K + s);
    e1sum += coef[K];
    K++;
    if (bound < SERIES_TOL) break;
  }
  tail[K] = 0;
  for (let k = K - 1; k >= 1; k--) tail[k] = tail[k + 1] + coef[k];
  const emb = Math.exp(-b);
  const order = td.order;
  const jLate = td.jLate;
  const cw = td.oneMinusWk;
  // τ < 40, in three ranges of z = ln(bw): e^{bw} by exp (z ≥ −3), by its Taylor polynomial (−40 ≤ z < −3),
  // or 1 (z < −40)
  const jE = firstZBelow(tau, lnB, Z_SMALL, 0, jLate);
  const jT = firstZBelow(tau, lnB, -40, jE, jLate);
  for (let j = 0; j < jLate; j++) {
    const w = wArr[j];
    const ex = j < jE ? Math.exp(b * w) : j < jT ? poly8(EXP_T, b * w) : 1;
    // Σ_{k≥1} coef[k]·(1 − w^k): the per-time table of 1 − w^k, and tail[] where w^k < 1e-17 (two accumulators)
    const kk = K < kwArr[j] ? K : kwArr[j];
    const base = j * MAX_SERIES;
    let acc = tail[kk];
    let acc2 = 0;
    let k = 1;
    for (; k + 1 < kk; k += 2) {
      acc += coef[k] * cw[base + k];
      acc2 += coef[k + 1] * cw[base + k + 1];
    }
    if (k < kk) acc += coef[k] * cw[base + k];
    acc += acc2;
    // S = Σ_k coef[k]·(1 − w^{k+s}) with 1 − w^{k+s} = (1 − w^s) + w^s(1 − w^k) (at s = 0: 1 − w^s = 0, w^s = 1)
    const S = i0[j] + oneMinusWs[j] * e1sum + wsArr[j] * acc;
    const wpx = wpArr[j] * ex; // e^{bw − pτ}
    const o = off + order[j] * stride;
    g[o] = wpx * emb; // G = e^{−pτ − b(1 − w)}
    h[o] = b * wpx * S;
  }
  // τ ≥ 40: w^k < 1e-17 for k ≥ 1 (1 − w^k = 1, so S = i0 + (1 − w^s + w^s)·e1sum = i0 + e1sum) and
  // bw ≤ e^{−40} (e^{bw} = 1)
  for (let j = jLate; j < n; j++) {
    const wp = wpArr[j];
    const o = off + order[j] * stride;
    g[o] = wp * emb;
    h[o] = b * wp * (i0[j] + e1sum);
  }
}

/**
 * Fills g[off + j*stride], h[off + j*stride] for one mode κ > 0 (L ≥ 2, λ > 0) and all times in `td`.
 * `coef`, `tail` are scratch of length ≥ MAX_SERIES + 1.
 * (Each branch stores its own results: merging a value from a branch that V8 has never run into the hot path
 * would force boxed doubles; see also primeFeedback.)
 */
function fillMode(
  kappa: number,
  a: number,
  lnA: number,
  s: number,
  p: number,
  td: TimeData,
  g: Float64Array,
  h: Float64Array,
  off: number,
  stride: number,
  coef: Float64Array,
  tail: Float64Array,
): void {
  const b = kappa / a;
  const lnB = Math.log(kappa) - lnA; // ln b without forming b (which may overflow for a → 0)
  if (b <= 1) {
    fillSeries(b, lnB, s, td, g, h, off, stride, coef, tail);
    return;
  }
  // b > 1: difference of scaled gammas (3), or the early-time expansion.
  const n = td.n;
  const { t: tArr, tau, decay, w: wArr, wp: wpArr, dOverA, eTau } = td;
  const U = scaledUpperGammaFor(s);
  const ub = U.atLog(lnB);
  const products = b < 1e100; // form x = b·w and x^{1−s} = b^{1−s}·w^{1−s} as products in the small-x branch
  const bp = Math.exp(p * lnB); // b^{1−s}
  const emb = b < -LOG_FLUSH ? Math.exp(-b) : 0;
  const sm = U.small;
  const e1 = s === 0;
  const gsbp = e1 ? 0 : U.gammaS * bp; // Γ(s)·b^{1−s}
  if (!e1 && !U.useKummer) throw new Error('internal: 0 < s < 0.2 cannot occur for an integer depth');
  if (sm.length !== 9) throw new Error('internal: poly8 expects 9 small-x coefficients');
  const order = td.order;
  // Regimes along the sorted times: early (Y < Y_SMALL) | z > 10 | −3 ≤ z ≤ 10 | −40 ≤ z < −3 | z < −40.
  const jY = firstAtLeast(dOverA, kappa, Y_SMALL, 0, n);
  const j10 = products ? firstZAtMost(tau, lnB, Z_LARGE, jY, n) : n;
  const j3 = products ? firstZBelow(tau, lnB, Z_SMALL, j10, n) : n;
  const j40 = firstZBelow(tau, lnB, -40, j3, n);
  if (jY > 0) {
    const c = coef; // scratch (the b ≤ 1 series does not run for this mode)
    earlyCoefficients(1 / b, p, c, tail);
    for (let j = 0; j < jY; j++) {
      const u = kappa * tArr[j]; // κt = bτ ≤ 0.0102
      let acc = c[N_EARLY];
      for (let k = N_EARLY - 1; k >= 1; k--) acc = acc * u + c[k];
      const o = off + order[j] * stride;
      g[o] = Math.exp(-decay[j] - kappa * dOverA[j]);
      h[o] = u * acc;
    }
  }
  if (!products) {
    // b ≥ 1e100 (a → 0): the general evaluator, which forms x = e^z itself
    for (let j = jY; j < n; j++) {
      const G = Math.exp(-decay[j] - kappa * dOverA[j]);
      const o = off + order[j] * stride;
      g[o] = G;
      h[o] = U.atLog(lnB - tau[j]) - G * ub;
    }
    return;
  }
  const beta = 1 / b;
  for (let j = jY; j < j10; j++) {
    // x = b w > e^{10}: asymptotic series in 1/x = e^{τ}/b
    const G = Math.exp(-decay[j] - kappa * dOverA[j]);
    const o = off + order[j] * stride;
    g[o] = G;
    h[o] = U.largeXInv(beta * eTau[j]) - G * ub;
  }
  for (let j = j10; j < j3; j++) {
    const G = Math.exp(-decay[j] - kappa * dOverA[j]);
    const o = off + order[j] * stride;
    g[o] = G;
    h[o] = U.mid(lnB - tau[j]) - G * ub;
  }
  // x = b w < e^{−3}: U(s, x) by its series (inlined: Temme's E1 form for s = 0, Kummer's form for s ≥ 1/4),
  // and G = e^{−pτ}·e^{−b}·e^{x} sharing e^{x} with the series (no exp call). G is set to 0 below e^{−690}.
  for (let j = j3; j < j40; j++) {
    const z = lnB - tau[j];
    const x = b * wArr[j];
    const ex = poly8(EXP_T, x);
    const poly = poly8(sm, x);
    const G = -decay[j] - b > LOG_FLUSH ? wpArr[j] * emb * ex : 0;
    const ux = e1 ? x * ex * (-EULER_GAMMA - z - x * poly) : gsbp * wpArr[j] * ex - x * poly;
    const o = off + order[j] * stride;
    g[o] = G;
    h[o] = ux - G * ub;
  }
  // x < e^{−40}: one term (e^{x} = 1 to rounding)
  const sm0 = sm[0];
  for (let j = j40; j < n; j++) {
    const x = b * wArr[j];
    const G = -decay[j] - b > LOG_FLUSH ? wpArr[j] * emb : 0;
    const ux = e1 ? x * (-EULER_GAMMA - (lnB - tau[j]) - x * sm0) : gsbp * wpArr[j] - x * sm0;
    const o = off + order[j] * stride;
    g[o] = G;
    h[o] = ux - G * ub;
  }
}

/**
 * Closed forms for a whole grid when no special function is needed (L = 1 or λ = 0): G = e^{−ct},
 * H = h∞·(1 − e^{−ct}) with c = κ + λ, h∞ = κ/(κ+λ) for L = 1; c = κ, h∞ = 1 for λ = 0; and c = Lλ, h∞ = 0
 * for κ = 0. One transcendental per point: G = 1 + expm1(−ct) where ct < 1/2 (G ≥ 0.6, no cancellation),
 * else H = h∞·(1 − G) (1 − G ≥ 0.39, no cancellation).
 */
function fillClosedForm(kappas: Float64Array, lambda: number, depth: number, times: Float64Array, g: Float64Array, h: Float64Array): void {
  const nM = kappas.length;
  const nT = times.length;
  for (let i = 0; i < nM; i++) {
    const kappa = kappas[i];
    const c = kappa === 0 ? depth * lambda : depth === 1 ? kappa + lambda : kappa;
    const lim = kappa === 0 ? 0 : kappa / c;
    for (let j = 0; j < nT; j++) {
      const ct = c * times[j];
      const o = j * nM + i;
      if (ct < 0.5) {
        const e = Math.expm1(-ct);
        g[o] = 1 + e;
        h[o] = lim * -e;
      } else {
        const G = Math.exp(-ct);
        g[o] = G;
        h[o] = lim * (1 - G);
      }
    }
  }
}

/** G, H at t = +∞: G = 0 (1 when κ = λ = 0); H = κ/(κ+λ) for L = 1, 1 for λ = 0 < κ, 0 for L ≥ 2, λ > 0. */
function limitAtInfinity(kappa: number, lambda: number, depth: number): { g: number; h: number } {
  const g = kappa + depth * lambda > 0 ? 0 : 1; // Φ(t) grows without bound unless κ = λ = 0
  let h = 0;
  if (kappa > 0) h = lambda === 0 ? 1 : depth === 1 ? kappa / (kappa + lambda) : 0;
  return { g, h };
}

function checkInputs(fn: string, kappas: ArrayLike<number>, lambda: number, depth: number, times: ArrayLike<number>): void {
  checkLambda(lambda, fn);
  checkDepth(depth, fn);
  const scalar = kappas.length === 1 && times.length === 1;
  for (let i = 0; i < kappas.length; i++) checkKappa(kappas[i], fn, scalar ? undefined : i);
  for (let j = 0; j < times.length; j++) checkTime(times[j], fn, scalar ? undefined : j);
}

/** modeResponses without input checks, for finite times. */
function fillGrid(kappas: Float64Array, lambda: number, depth: number, times: Float64Array, g: Float64Array, h: Float64Array): void {
  if (depth === 1 || lambda === 0) {
    fillClosedForm(kappas, lambda, depth, times, g, h);
    return;
  }
  const nM = kappas.length;
  const nT = times.length;
  const a = 2 * (depth - 1) * lambda;
  const lnA = Math.log(a);
  const s = (depth - 2) / (2 * (depth - 1));
  const p = depth / (2 * (depth - 1));
  const td = timeData(times, lambda, depth, s);
  const coef = new Float64Array(MAX_SERIES + 1);
  const tail = new Float64Array(MAX_SERIES + 1);
  for (let i = 0; i < nM; i++) {
    const kappa = kappas[i];
    if (kappa === 0) {
      for (let j = 0; j < nT; j++) g[td.order[j] * nM + i] = td.wp[j]; // e^{−Lλt} (flushed below 1e-280); H = 0
      continue;
    }
    fillMode(kappa, a, lnA, s, p, td, g, h, i, nM, coef, tail);
  }
}

/**
 * G(t), H(t) of one mode: f(t) = G·f0 + H·y. Float64.
 * @param kappa - eigenvalue κ ≥ 0 of Θ_0/n
 * @param lambda - constant λ ≥ 0
 * @param depth - L ≥ 1
 * @param t - physical time ≥ 0 (Infinity: the limit)
 * @returns the mode's response coefficients G(t), H(t)
 */
export function modeResponse(kappa: number, lambda: number, depth: number, t: number): { g: number; h: number } {
  checkInputs('modeResponse', [kappa], lambda, depth, [t]);
  if (t === Infinity) return limitAtInfinity(kappa, lambda, depth);
  const g = new Float64Array(1);
  const h = new Float64Array(1);
  fillGrid(Float64Array.of(kappa), lambda, depth, Float64Array.of(t), g, h);
  return { g: g[0], h: h[0] };
}

/**
 * Vectorized: for all modes κ_i and times t_j (one λ, one L), fills g[j*nModes+i], h[j*nModes+i].
 * @param kappas - eigenvalues κ_i ≥ 0 of Θ_0/n
 * @param lambda - constant λ ≥ 0
 * @param depth - L ≥ 1
 * @param times - physical times t_j ≥ 0
 * @returns G and H, each times.length × kappas.length (row j: time t_j)
 */
export function modeResponses(
  kappas: Float64Array,
  lambda: number,
  depth: number,
  times: Float64Array,
): { g: Float64Array; h: Float64Array } {
  checkInputs('modeResponses', kappas, lambda, depth, times);
  const nM = kappas.length;
  const nT = times.length;
  const g = new Float64Array(nM * nT);
  const h = new Float64Array(nM * nT);
  let nInf = 0;
  for (let j = 0; j < nT; j++) if (times[j] === Infinity) nInf++;
  if (nInf === 0) {
    fillGrid(kappas, lambda, depth, times, g, h);
    return { g, h };
  }
  // Some t = +∞: the finite times through the grid code, the infinite ones from the limits (rows are contiguous).
  const finite = new Float64Array(nT - nInf);
  for (let j = 0, k = 0; j < nT; j++) if (times[j] !== Infinity) finite[k++] = times[j];
  const gf = new Float64Array(nM * finite.length);
  const hf = new Float64Array(nM * finite.length);
  fillGrid(kappas, lambda, depth, finite, gf, hf);
  for (let j = 0, k = 0; j < nT; j++) {
    if (times[j] === Infinity) {
      for (let i = 0; i < nM; i++) {
        const r = limitAtInfinity(kappas[i], lambda, depth);
        g[j * nM + i] = r.g;
        h[j * nM + i] = r.h;
      }
    } else {
      g.set(gf.subarray(k * nM, (k + 1) * nM), j * nM);
      h.set(hf.subarray(k * nM, (k + 1) * nM), j * nM);
      k++;
    }
  }
  return { g, h };
}

/**
 * Runs every branch of the hot loops once at load time (~0.1 ms plus the ~1 ms set-up of the s = 0 and s = 1/4
 * evaluators). V8 compiles a branch it has never seen run as generic code, and a double flowing out of such
 * code is boxed on every iteration: without this, a call whose modes all sit in one regime ran ~10× slower.
 */
function primeFeedback(): void {
  for (const depth of [2, 3]) {
    const lambda = 1e-3;
    const a = 2 * (depth - 1) * lambda;
    // b = κ/a in each regime; τ = a t from t = 0 through early, mid, small-x (both sides of z = −40) and beyond
    const kappas = Float64Array.from([1e-3, 0.5, 20, 1e6], (b) => b * a);
    const times = Float64Array.from([0, 1e-7, 0.1, 2, 10, 50, 300, 800], (tau) => tau / a);
    for (let r = 0; r < 2; r++) {
      modeResponses(kappas, lambda, depth, times);
      modeResponses(Float64Array.of(1, 0), 1e-120, depth, Float64Array.of(1e121)); // b > 1e100
    }
  }
  modeResponses(Float64Array.of(0, 1, 1e-9), 0.1, 1, Float64Array.of(0, 0.1, 100, Infinity));
  modeResponses(Float64Array.of(0, 1), 0, 3, Float64Array.of(0, 0.1, 100));
}
primeFeedback();
