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
 * The evaluation is chosen per regime:
 *
 *  - b = κ/a ≤ 1 ("slow" modes, never fully learned): expand e^{−bu} in (1):
 *        H = b e^{bw − pτ} Σ_{k≥0} (−b)^k/(k!(k+s)) (1 − w^{k+s}),
 *    with 1 − w^{k+s} = (1 − w^s) + w^s(1 − w^k) and 1 − w^{k+1} = (1 − w^k) + w^k(1 − w) accumulated from
 *    expm1 values (sums of positive terms, so no cancellation at small τ; the k = 0 term is τ at s = 0, L = 2).
 *    The alternating series loses at most e^{2b} ≤ 7.4; it is truncated per mode once e·b^k/k! < 1e-17.
 *    This avoids (3), which cancels badly for b ≪ 1 (H ~ b while U(s, b) ~ Γ(s) b^{1−s}).
 *  - b > 1 and Y = b(1 − w) ≥ 1e-3: the difference (3). By (2), H ≥ (1 − e^{−Y})·U(s, x) and
 *    H ≥ (1 − e^{−Y})/e^{−Y}·G·U(s, b), so the relative error is ≤ 2·ε_U/(1 − e^{−Y}) ≲ 2e3·ε_U ≈ 1e-12.
 *    U is evaluated by the fast piecewise-polynomial evaluator in z = ln x (~1e-15 relative).
 *  - b > 1 and Y < 1e-3 (early times, H ≈ κt small): expand (2) in y/x ≤ Y/x < 1.002e-3 and in Y:
 *        H = Y Σ_j binom(−p, j) (Y/x)^j Σ_m (−Y)^m / (m! (j+m+1)),   j + m ≤ 5 (remainder < 1e-18 relative).
 *  - Closed forms: κ = 0: G = e^{−Lλt}, H = 0. λ = 0: G = e^{−κt}, H = 1 − e^{−κt}. L = 1 (a = 0):
 *    G = e^{−(κ+λ)t}, H = κ/(κ+λ)·(1 − e^{−(κ+λ)t}) (expm1 throughout).
 *  - t = +∞ gives the limits: G = 0 (or 1 when κ = λ = 0); H = κ/(κ+λ) for L = 1, 1 for λ = 0 < κ, 0 for L ≥ 2.
 *
 * G is always e^{−(Lλt + Y)} computed in one exp (relative error ~ε·(Lλt + Y), the conditioning of the input).
 * In {@link modeResponses} everything that depends only on t (τ, 1 − w, w, 1 − w^s, w^s) is computed once per
 * time and everything that depends only on κ (b, ln b, U(s, b), series coefficients) once per mode, so the inner
 * loop costs one exp plus a short polynomial.
 */
import {
  SCALED_GAMMA_Z_LARGE as Z_LARGE,
  SCALED_GAMMA_Z_SMALL as Z_SMALL,
  EULER_GAMMA,
  EXP_TAYLOR as EXP_T,
  scaledUpperGammaFor,
  smallArgTerms,
} from './specialFunctions.js';

/** Per-mode series truncation: terms with e·b^k/k! below this are dropped (b ≤ 1, so ≤ 19 terms). */
const SERIES_TOL = 1e-17;
/** Below this Y = κ(1 − e^{−at})/a the early-time expansion replaces the difference of scaled gammas. */
const Y_SMALL = 1e-2;
/** Max total order j + m of the early-time double series. */
const EARLY_ORDER = 9;
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

/** Values that depend only on (λ, L) and one time t; for L ≥ 2 and λ > 0. */
interface TimeData {
  n: number;
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
  /** w^s */
  ws: Float64Array;
  /** smallest k with w^k < 1e-17 (k τ > 39.15), capped at MAX_SERIES */
  kw: Int32Array;
}

function timeData(times: ArrayLike<number>, lambda: number, depth: number, s: number): TimeData {
  const n = times.length;
  const a = 2 * (depth - 1) * lambda;
  const td: TimeData = {
    n,
    t: new Float64Array(n),
    tau: new Float64Array(n),
    decay: new Float64Array(n),
    d: new Float64Array(n),
    w: new Float64Array(n),
    wp: new Float64Array(n),
    dOverA: new Float64Array(n),
    oneMinusWs: new Float64Array(n),
    ws: new Float64Array(n),
    kw: new Int32Array(n),
  };
  for (let j = 0; j < n; j++) {
    const t = times[j];
    const tau = a * t;
    const d = -Math.expm1(-tau);
    td.t[j] = t;
    td.tau[j] = tau;
    td.decay[j] = depth * lambda * t;
    td.d[j] = d;
    const w = Math.exp(-tau);
    const wp = Math.exp(-depth * lambda * t);
    td.w[j] = w < FLUSH ? 0 : w;
    td.wp[j] = wp < FLUSH ? 0 : wp;
    td.kw[j] = tau > 39.15 / MAX_SERIES ? Math.ceil(39.15 / tau) : MAX_SERIES;
    td.dOverA[j] = tau > 0 ? (d / tau) * t : t;
    td.oneMinusWs[j] = -Math.expm1(-s * tau);
    td.ws[j] = Math.exp(-s * tau);
  }
  return td;
}

/** binom(−p, j) for j ≤ EARLY_ORDER. */
function binomNegP(p: number): Float64Array {
  const c = new Float64Array(EARLY_ORDER + 1);
  c[0] = 1;
  for (let j = 1; j <= EARLY_ORDER; j++) c[j] = (c[j - 1] * -(p + j - 1)) / j;
  return c;
}

/** 1/(m!(j+m+1)) with (−1)^m, indexed [j*(EARLY_ORDER+1) + m]. */
function earlyInner(): Float64Array {
  const n1 = EARLY_ORDER + 1;
  const c = new Float64Array(n1 * n1);
  for (let j = 0; j < n1; j++) {
    let fact = 1;
    for (let m = 0; m < n1; m++) {
      if (m > 0) fact *= m;
      c[j * n1 + m] = (m % 2 === 0 ? 1 : -1) / (fact * (j + m + 1));
    }
  }
  return c;
}
const EARLY_INNER = earlyInner();

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
  const { tau, d: dArr, w: wArr, wp: wpArr, oneMinusWs, ws: wsArr, kw: kwArr } = td;
  // Series in b (regime "b ≤ 1" of the module comment). coef[k] = (−b)^k/(k!(k+s)), k = 1..K−1, and
  // tail[k] = Σ_{k' ≥ k} coef[k'] serves the terms where 1 − w^{k'} has rounded to 1.
  let term = 1; // (−b)^k/k!
  let bound = Math.E;
  let K = 1;
  let e0sum = s > 0 ? 1 / s : 0; // Σ_{k≥0} coef[k] (used for s > 0 only)
  while (K < MAX_SERIES) {
    term *= -b / K;
    bound *= b / K;
    coef[K] = term / (K + s);
    e0sum += coef[K];
    K++;
    if (bound < SERIES_TOL) break;
  }
  tail[K] = 0;
  for (let k = K - 1; k >= 1; k--) tail[k] = tail[k + 1] + coef[k];
  const emb = Math.exp(-b);
  for (let j = 0; j < n; j++) {
    const D = dArr[j];
    const w = wArr[j];
    const z = lnB - tau[j];
    const x = b * w;
    // e^{bw}: Taylor polynomial for bw < e^{−3}
    let ex = 1;
    if (z >= Z_SMALL) ex = Math.exp(x);
    else if (z > -40) {
      const nt = smallArgTerms(z);
      ex = EXP_T[nt - 1];
      for (let k = nt - 2; k >= 0; k--) ex = ex * x + EXP_T[k];
    }
    // Σ_{k≥1} coef[k]·(1 − w^k), with 1 − w^{k+1} = (1 − w^k) + w^k(1 − w)
    const kk = K < kwArr[j] ? K : kwArr[j];
    let acc = tail[kk];
    if (kk > 1) {
      let ck = D;
      let wk = w;
      acc += coef[1] * ck;
      for (let k = 2; k < kk; k++) {
        ck += wk * D;
        wk *= w;
        acc += coef[k] * ck;
      }
    }
    const S = s > 0 ? oneMinusWs[j] * e0sum + wsArr[j] * acc : tau[j] + acc;
    const wpx = wpArr[j] * ex; // e^{bw − pτ}
    const o = off + j * stride;
    g[o] = wpx * emb; // G = e^{−pτ − b(1 − w)}
    h[o] = b * wpx * S;
  }
}

/**
 * Fills g[off + j*stride], h[off + j*stride] for one mode κ > 0 (L ≥ 2, λ > 0) and all times in `td`.
 * `coef`, `tail` are scratch of length ≥ MAX_SERIES + 1.
 */
function fillMode(
  kappa: number,
  a: number,
  lnA: number,
  s: number,
  p: number,
  binom: Float64Array,
  td: TimeData,
  g: Float64Array,
  h: Float64Array,
  off: number,
  stride: number,
  coef: Float64Array,
  tail: Float64Array,
): void {
  const n = td.n;
  const { tau, decay, w: wArr, wp: wpArr, dOverA } = td;
  const b = kappa / a;
  const lnB = Math.log(kappa) - lnA; // ln b without forming b (which may overflow for a → 0)
  if (b <= 1) {
    fillSeries(b, lnB, s, td, g, h, off, stride, coef, tail);
    return;
  }
  // b > 1: difference of scaled gammas, or the early-time expansion.
  const U = scaledUpperGammaFor(s);
  const ub = U.atLog(lnB);
  const products = b < 1e100; // form x = b·w and x^{1−s} = b^{1−s}·w^{1−s} as products in the small-x branch
  const bp = Math.exp(p * lnB); // b^{1−s}
  const emb = b < -LOG_FLUSH ? Math.exp(-b) : 0;
  const n1 = EARLY_ORDER + 1;
  const sm = U.small;
  const gs = U.gammaS;
  if (s !== 0 && !U.useKummer) throw new Error('internal: 0 < s < 0.2 cannot occur for integer depth');
  for (let j = 0; j < n; j++) {
    const Y = kappa * dOverA[j];
    const z = lnB - tau[j];
    let G: number;
    let H: number;
    if (Y < Y_SMALL) {
      G = Math.exp(-decay[j] - Y);
      const q = Y * Math.exp(-z); // Y/x
      let outer = 0;
      let qj = 1;
      for (let jj = 0; jj <= EARLY_ORDER; jj++) {
        // Σ_{m ≤ EARLY_ORDER − jj} (−Y)^m/(m!(jj+m+1)) by Horner
        const base = jj * n1;
        let inner = EARLY_INNER[base + EARLY_ORDER - jj];
        for (let m = EARLY_ORDER - jj - 1; m >= 0; m--) inner = inner * Y + EARLY_INNER[base + m];
        outer += binom[jj] * qj * inner;
        qj *= q;
      }
      H = Y * outer;
    } else if (z < Z_SMALL && products) {
      // x = b w < 0.05: U(s, x) by its series (inlined for speed; s = 0 or s ≥ 1/4 for integer L, so Temme's
      // E1 form or Kummer's form), and G = e^{−pτ}·e^{−b}·e^{x} sharing e^{x} with the series (no exp call).
      const x = b * wArr[j];
      let ex = 1;
      let poly = sm[0];
      if (z > -40) {
        const nt = smallArgTerms(z);
        ex = EXP_T[nt - 1];
        poly = sm[nt - 1];
        for (let k = nt - 2; k >= 0; k--) {
          ex = ex * x + EXP_T[k];
          poly = poly * x + sm[k];
        }
      }
      G = -decay[j] - b > LOG_FLUSH ? wpArr[j] * emb * ex : 0;
      const ux = s === 0 ? x * ex * (-EULER_GAMMA - z - x * poly) : gs * (bp * wpArr[j]) * ex - x * poly;
      H = ux - G * ub;
    } else {
      G = Math.exp(-decay[j] - Y);
      const ux = z > Z_LARGE ? U.largeX(z) : z >= Z_SMALL ? U.mid(z) : U.atLog(z);
      H = ux - G * ub;
    }
    const o = off + j * stride;
    g[o] = G;
    h[o] = H;
  }
}

/** Fills a mode by the closed forms that need no special function (κ = 0, λ = 0, L = 1) or t = ∞. */
function simpleCase(kappa: number, lambda: number, depth: number, t: number): { g: number; h: number } | null {
  if (t === Infinity) {
    const g = kappa + depth * lambda > 0 ? 0 : 1; // Φ(t) grows without bound unless κ = λ = 0
    let h = 0;
    if (kappa > 0) h = lambda === 0 ? 1 : depth === 1 ? kappa / (kappa + lambda) : 0;
    return { g, h };
  }
  if (kappa === 0) return { g: Math.exp(-depth * lambda * t), h: 0 };
  if (lambda === 0) return { g: Math.exp(-kappa * t), h: -Math.expm1(-kappa * t) };
  if (depth === 1) {
    const c = kappa + lambda;
    return { g: Math.exp(-c * t), h: (kappa / c) * -Math.expm1(-c * t) };
  }
  return null;
}

/** G(t), H(t) of one mode: f(t) = G·f0 + H·y. Float64. */
export function modeResponse(kappa: number, lambda: number, depth: number, t: number): { g: number; h: number } {
  const fn = 'modeResponse';
  checkKappa(kappa, fn);
  checkLambda(lambda, fn);
  checkDepth(depth, fn);
  checkTime(t, fn);
  const simple = simpleCase(kappa, lambda, depth, t);
  if (simple !== null) return simple;
  const a = 2 * (depth - 1) * lambda;
  const s = (depth - 2) / (2 * (depth - 1));
  const p = depth / (2 * (depth - 1));
  const td = timeData([t], lambda, depth, s);
  const g = new Float64Array(1);
  const h = new Float64Array(1);
  fillMode(kappa, a, Math.log(a), s, p, binomNegP(p), td, g, h, 0, 1, new Float64Array(MAX_SERIES + 1), new Float64Array(MAX_SERIES + 1));
  return { g: g[0], h: h[0] };
}

/** Vectorized: for all modes κ_i and times t_j (one λ, one L), fills g[j*nModes+i], h[j*nModes+i]. */
export function modeResponses(
  kappas: Float64Array,
  lambda: number,
  depth: number,
  times: Float64Array,
): { g: Float64Array; h: Float64Array } {
  const fn = 'modeResponses';
  checkLambda(lambda, fn);
  checkDepth(depth, fn);
  const nM = kappas.length;
  const nT = times.length;
  for (let i = 0; i < nM; i++) checkKappa(kappas[i], fn, i);
  let anyInf = false;
  for (let j = 0; j < nT; j++) {
    checkTime(times[j], fn, j);
    if (times[j] === Infinity) anyInf = true;
  }
  const g = new Float64Array(nM * nT);
  const h = new Float64Array(nM * nT);
  const general = depth >= 2 && lambda > 0;
  if (!general || anyInf) {
    // Closed forms for every mode (or a t = ∞ among the times): evaluate point by point.
    for (let j = 0; j < nT; j++) {
      const t = times[j];
      for (let i = 0; i < nM; i++) {
        const r = general && t !== Infinity && kappas[i] > 0 ? modeResponse(kappas[i], lambda, depth, t) : simpleCase(kappas[i], lambda, depth, t);
        const o = j * nM + i;
        g[o] = r!.g;
        h[o] = r!.h;
      }
    }
    return { g, h };
  }
  const a = 2 * (depth - 1) * lambda;
  const lnA = Math.log(a);
  const s = (depth - 2) / (2 * (depth - 1));
  const p = depth / (2 * (depth - 1));
  const binom = binomNegP(p);
  const td = timeData(times, lambda, depth, s);
  const coef = new Float64Array(MAX_SERIES + 1);
  const tail = new Float64Array(MAX_SERIES + 1);
  for (let i = 0; i < nM; i++) {
    const kappa = kappas[i];
    if (kappa === 0) {
      for (let j = 0; j < nT; j++) g[j * nM + i] = Math.exp(-td.decay[j]);
      continue;
    }
    fillMode(kappa, a, lnA, s, p, binom, td, g, h, i, nM, coef, tail);
  }
  return { g, h };
}
