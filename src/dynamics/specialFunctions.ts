/**
 * Special functions for the closed-form L2 mode dynamics: the upper incomplete gamma function Γ(s, x) for
 * s ∈ [0, 1) and x ≥ 0, including the exponential integral E1(x) = Γ(0, x). Float64 throughout.
 *
 * The central quantity is the SCALED upper incomplete gamma
 *
 *     U(s, x) = x^{1−s} e^{x} Γ(s, x) = ∫_0^∞ (1 + y/x)^{s−1} e^{−y} dy,        0 ≤ U ≤ 1,
 *
 * which never overflows or underflows (U → 1 − (1−s)/x as x → ∞; U ≈ Γ(s)·x^{1−s} or x·ln(1/x) as x → 0), so it
 * can be combined with other factors in log space without loss. Γ(s, x), ln Γ(s, x) and E1 are derived from it.
 *
 * No dependency of this package provides an incomplete gamma function (JavaScript's Math has not even Γ), so this
 * module implements Γ(1+s) and Γ(s, x) itself, with no imports.
 *
 * Algorithms (accurate to a few ulp: ≤ 5e-15 relative against mpmath on a dense grid of s ∈ [0, 1) and
 * x ∈ [e^{−40}, e^{40}]; checked against mpmath values and scipy in test/dynamics/specialFunctions.test.ts):
 *  - x ≤ 1.5: the power series written so that it stays uniform as s → 0 (Temme's form, cf. DLMF 8.7.3):
 *        Γ(s, x) = (Γ(1+s) − 1)/s − (x^s − 1)/s − x^s Σ_{n≥1} (−x)^n / (n! (s+n)),
 *    with (Γ(1+s) − 1)/s from the Taylor series of 1/Γ(1+s) (no cancellation at small s) and (x^s − 1)/s =
 *    expm1(s ln x)/s (= ln x at s = 0, which gives E1(x) = −γ − ln x − Σ (−x)^n/(n·n!)). The alternating sum
 *    loses at most a factor ~e^{2x}·x ≲ 30 at x = 1.5.
 *  - x > 1.5: Legendre's continued fraction
 *        e^{x} x^{1−s} Γ(s, x) = x / (x+1−s − 1(1−s)/(x+3−s − 2(2−s)/(x+5−s − …)))
 *    evaluated by the modified Lentz algorithm (relative stopping tolerance 3e-16; ≲ 60 iterations at x = 1.5,
 *    a handful for large x). For x > 1e6 the asymptotic series U ~ Σ_{k<6} (s−1)…(s−k)/x^k is used instead.
 *    The unscaled Γ(s, x) = e^{−x} x^{s−1} U multiplies accurate factors for x < 700 and goes through logs beyond.
 *  - {@link ScaledUpperGamma}: a fast evaluator of U(s, e^z) for one fixed s, used in hot loops (tens of
 *    millions of calls). It uses the small-x series with as many terms as needed for z < −3, a piecewise
 *    polynomial (Chebyshev interpolation of the accurate U above, degree 10 on intervals of width 1/8 in
 *    z = ln x) for −3 ≤ z ≤ 10, and the asymptotic series U ~ Σ_k (s−1)(s−2)…(s−k)/x^k (6 terms) for z > 10.
 *    Agreement with the accurate U is ~1e-15 relative.
 */

/** Euler–Mascheroni constant γ. */
export const EULER_GAMMA = 0.5772156649015329;

/** Taylor coefficients of 1/Γ(z) = Σ_{k≥1} C[k] z^k (computed with mpmath at 40 digits; C[0] = 0). */
const RGAMMA_TAYLOR = [
  0, 1.0, 0.5772156649015328606065, -0.655878071520253881077, -0.042002635034095235529, 0.1665386113822914895017,
  -0.04219773455554433674821, -0.009621971527876973562115, 0.007218943246663099542395, -0.001165167591859065112114,
  -0.0002152416741149509728157, 0.0001280502823881161861532, -0.00002013485478078823865569,
  -0.000001250493482142670657345, 0.000001133027231981695882374, -2.05633841697760710345e-7, 6.116095104481415817862e-9,
  5.002007644469222930056e-9, -1.181274570487020144588e-9, 1.043426711691100510492e-10, 7.78226343990507125405e-12,
  -3.696805618642205708188e-12, 5.100370287454475979015e-13, -2.058326053566506783222e-14, -5.34812253942301798237e-15,
  1.226778628238260790159e-15, -1.181259301697458769514e-16, 1.18669225475160033258e-18, 1.412380655318031781556e-18,
  -2.298745684435370206592e-19, 1.714406321927337433384e-20,
];

function checkS(s: number, fn: string): void {
  if (!(s >= 0 && s < 1)) throw new RangeError(`${fn}: s must be in [0, 1), got ${s}`);
}

function checkX(x: number, fn: string): void {
  if (!(x >= 0)) throw new RangeError(`${fn}: x must be ≥ 0, got ${x}`);
}

/** 1/Γ(1+s) for |s| ≤ 1 (Taylor series of the entire function 1/Γ; ~1 ulp). */
export function rgamma1p(s: number): number {
  if (!(Math.abs(s) <= 1)) throw new RangeError(`rgamma1p: |s| must be ≤ 1, got ${s}`);
  // 1/Γ(1+s) = 1/(s Γ(s)) = Σ_{k≥1} C[k] s^{k−1}
  let acc = 0;
  for (let k = RGAMMA_TAYLOR.length - 1; k >= 1; k--) acc = acc * s + RGAMMA_TAYLOR[k];
  return acc;
}

/** Γ(1+s) for |s| ≤ 1. */
export function gamma1p(s: number): number {
  return 1 / rgamma1p(s);
}

/**
 * (Γ(1+s) − 1)/s for |s| ≤ 1, without cancellation at small s (→ −γ as s → 0):
 * Γ(1+s) − 1 = −Γ(1+s)·(1/Γ(1+s) − 1) and 1/Γ(1+s) − 1 = s·Σ_{k≥2} C[k] s^{k−2}.
 */
export function gamma1pm1OverS(s: number): number {
  if (!(Math.abs(s) <= 1)) throw new RangeError(`gamma1pm1OverS: |s| must be ≤ 1, got ${s}`);
  let acc = 0;
  for (let k = RGAMMA_TAYLOR.length - 1; k >= 2; k--) acc = acc * s + RGAMMA_TAYLOR[k];
  return -acc / rgamma1p(s);
}

/** expm1(s·z)/s, with its limit z at s = 0. */
function expm1Over(s: number, z: number): number {
  return s === 0 ? z : Math.expm1(s * z) / s;
}

/** Power-series Γ(s, x) for 0 < x ≤ ~2 (see the module comment). */
function upperGammaSeries(s: number, x: number): number {
  const lx = Math.log(x);
  // Σ_{n≥1} (−x)^n / (n! (s+n))
  let term = 1; // (−x)^n / n!
  let sum = 0;
  for (let n = 1; n < 200; n++) {
    term *= -x / n;
    const d = term / (s + n);
    sum += d;
    if (Math.abs(d) < 1e-17 * Math.abs(sum)) break;
  }
  const xs = s === 0 ? 1 : Math.exp(s * lx);
  return gamma1pm1OverS(s) - expm1Over(s, lx) - xs * sum;
}

/** Modified-Lentz evaluation of x·CF = U(s, x) for x ≳ 1 (see the module comment). */
function scaledUpperGammaCF(s: number, x: number): number {
  if (x > 1e6) {
    // asymptotic series; 6 terms: 6!/x^6 < 1e-33 (the CF would also work but its b_i = x + 2i − s round)
    let acc = 1;
    let term = 1;
    for (let k = 1; k < 6; k++) {
      term *= (s - k) / x;
      acc += term;
    }
    return acc;
  }
  const TINY = 1e-300;
  let b = x + 1 - s;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 3e-16) break;
  }
  return x * h;
}

const SERIES_MAX_X = 1.5;

/**
 * U(s, x) = x^{1−s} e^{x} Γ(s, x) ∈ [0, 1] for s ∈ [0, 1), x ≥ 0 (U(s, 0) = 0, U(s, ∞) = 1). Accurate
 * (~1e-15 relative); about 0.1–1 µs per call. For hot loops use {@link ScaledUpperGamma}.
 */
export function upperGammaScaled(s: number, x: number): number {
  checkS(s, 'upperGammaScaled');
  checkX(x, 'upperGammaScaled');
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (x <= SERIES_MAX_X) {
    const lx = Math.log(x);
    return Math.exp(x + (1 - s) * lx) * upperGammaSeries(s, x);
  }
  return scaledUpperGammaCF(s, x);
}

/** ln Γ(s, x) for s ∈ [0, 1), x ≥ 0 (finite for every x > 0; +∞ at x = 0, s = 0). */
export function logUpperGamma(s: number, x: number): number {
  checkS(s, 'logUpperGamma');
  checkX(x, 'logUpperGamma');
  if (x === 0) return s === 0 ? Infinity : Math.log(gamma1p(s) / s);
  if (x === Infinity) return -Infinity;
  if (x <= SERIES_MAX_X) return Math.log(upperGammaSeries(s, x));
  return Math.log(scaledUpperGammaCF(s, x)) - x - (1 - s) * Math.log(x);
}

/** Γ(s, x) for s ∈ [0, 1), x ≥ 0. Underflows to 0 for x ≳ 745 (use {@link upperGammaScaled} or the log form). */
export function upperGamma(s: number, x: number): number {
  checkS(s, 'upperGamma');
  checkX(x, 'upperGamma');
  if (x === 0) return s === 0 ? Infinity : gamma1p(s) / s;
  if (x === Infinity) return 0;
  if (x <= SERIES_MAX_X) return upperGammaSeries(s, x);
  const u = scaledUpperGammaCF(s, x);
  // e^{−x} from the exact argument (a few ulp) while it is a normal number; the log form beyond
  if (x < 700) return Math.exp(-x) * Math.pow(x, s - 1) * u;
  return Math.exp(Math.log(u) - x - (1 - s) * Math.log(x));
}

/** Exponential integral E1(x) = Γ(0, x), x ≥ 0. */
export function expint1(x: number): number {
  return upperGamma(0, x);
}

/** e^{x} E1(x), x ≥ 0 (never overflows; ~1/x for large x). */
export function expint1Scaled(x: number): number {
  checkX(x, 'expint1Scaled');
  if (x === 0) return Infinity;
  if (x === Infinity) return 0;
  if (x <= SERIES_MAX_X) return Math.exp(x) * upperGammaSeries(0, x);
  return scaledUpperGammaCF(0, x) / x;
}

// ---------------------------------------------------------------------------------------------------------------
// Fast evaluator for one s.

const Z_LO = -3; // below: series with a fixed number of terms (x < 0.0498)
const Z_HI = 10; // above: asymptotic series (x > 22026)
const Z_STEP = 0.125;
const DEGREE = 10; // (mid() hard-codes Estrin's scheme for this degree)
/** ln x below which {@link ScaledUpperGamma.smallX} applies. */
export const SCALED_GAMMA_Z_SMALL = Z_LO;
/** ln x above which {@link ScaledUpperGamma.largeX} applies. */
export const SCALED_GAMMA_Z_LARGE = Z_HI;
const N_SMALL = 9; // series terms for x < e^{-3}: x^9/9! < 5e-18
const N_ASYMP = 6; // asymptotic terms for x > e^{10}: 6!/x^6 < 1e-23
/** 1/n!, n < 9: Taylor coefficients of e^x (do not modify). */
export const EXP_TAYLOR = Float64Array.from({ length: N_SMALL }, (_, n) => {
  let f = 1;
  for (let k = 2; k <= n; k++) f *= k;
  return 1 / f;
});
/**
 * SMALL_TERMS[⌊−z⌋] = number of Taylor terms n (powers x^0 … x^{n−1}) after which x^n/n! < 1e-17 for every
 * x = e^z with z in that unit interval (z < −3): 1 for z < −40, 2 for z < −20, 3 for z < −13, 4 for z < −9,
 * 6 for z < −6, 9 for z < −3.
 */
const SMALL_TERMS = Int8Array.from({ length: 41 }, (_, k) => (k >= 40 ? 1 : k >= 20 ? 2 : k >= 13 ? 3 : k >= 9 ? 4 : k >= 6 ? 6 : N_SMALL));

/**
 * Number of Taylor terms that make the small-x series of {@link ScaledUpperGamma.smallX} (and e^x) exact to
 * < 1e-17 relative at x = e^z, z < −3.
 */
export function smallArgTerms(z: number): number {
  return z <= -40 ? 1 : SMALL_TERMS[Math.floor(-z)];
}

/** e^x by its Taylor polynomial with n ≤ 9 terms (pair with {@link smallArgTerms}; for x < e^{−3}). */
export function expTaylor(x: number, n: number): number {
  let ex = EXP_TAYLOR[n - 1];
  for (let k = n - 2; k >= 0; k--) ex = ex * x + EXP_TAYLOR[k];
  return ex;
}

/**
 * Fast U(s, x) = x^{1−s} e^{x} Γ(s, x) for one fixed s ∈ [0, 1), taking z = ln x (the natural variable of the
 * mode dynamics, where ln x = ln(κ/a) − a t comes for free). A few ns per call after a ~1 ms set-up. Regimes:
 *  - z < −3: the small-x series truncated where x^n/n! < 1e-17 (9 terms at z = −3, 1 below z = −40) and
 *    e^x by its Taylor polynomial. For s ≥ 0.2: U = Γ(s) x^{1−s} e^{x} − x Σ_n x^n/(s)_{n+1} (Kummer's
 *    positive series for γ(s, x); the two terms differ by ≥ 1.6× there). For s < 0.2, E1 included: Temme's form
 *    U = x e^{x} [x^{−s}((Γ(1+s)−1)/s − expm1(s z)/s) − Σ_{n≥1} (−x)^n/(n!(s+n))], uniform as s → 0;
 *  - −3 ≤ z ≤ 10: degree-10 polynomials in z on 104 intervals of width 1/8, interpolating the accurate U at
 *    Chebyshev points (U(s, e^z) is entire in z, so the interpolants converge geometrically);
 *  - z > 10: U ~ Σ_{k<6} (s−1)(s−2)…(s−k) x^{−k}.
 */
export class ScaledUpperGamma {
  readonly s: number;
  /** Γ(s) (Infinity for s = 0). */
  readonly gammaS: number;
  /** Whether the small-x branch uses Kummer's series (s ≥ 0.2) rather than Temme's form (s < 0.2). */
  readonly useKummer: boolean;
  /**
   * Small-x series coefficients (do not modify): Kummer, U = Γ(s) x^{1−s} e^x − x Σ_n small[n] x^n with
   * small[n] = 1/(s)_{n+1}; Temme, U = x e^x [x^{−s}((Γ(1+s)−1)/s − expm1(s z)/s) − x Σ_n small[n] x^n] with
   * small[n] = (−1)^{n+1}/((n+1)! (s+n+1)). Use the first smallArgTerms(z) of them.
   */
  readonly small: Float64Array;
  private readonly g1: number;
  private readonly coef: Float64Array; // (DEGREE+1) monomial coefficients in u ∈ [−1, 1] per interval
  private readonly nInt: number;
  private readonly asym: Float64Array;

  constructor(s: number) {
    checkS(s, 'ScaledUpperGamma');
    this.s = s;
    this.gammaS = s === 0 ? Infinity : gamma1p(s) / s;
    this.g1 = gamma1pm1OverS(s);
    this.useKummer = s >= 0.2;
    this.small = new Float64Array(N_SMALL);
    if (this.useKummer) {
      let poch = s; // (s)_{n+1}
      for (let n = 0; n < N_SMALL; n++) {
        this.small[n] = 1 / poch;
        poch *= s + n + 1;
      }
    } else {
      let fact = 1;
      for (let n = 1; n <= N_SMALL; n++) {
        fact *= n;
        this.small[n - 1] = (n % 2 === 0 ? 1 : -1) / (fact * (s + n));
      }
    }
    this.asym = new Float64Array(N_ASYMP);
    let a = 1;
    for (let k = 0; k < N_ASYMP; k++) {
      this.asym[k] = a;
      a *= s - 1 - k;
    }
    const nInt = Math.round((Z_HI - Z_LO) / Z_STEP);
    this.nInt = nInt;
    this.coef = new Float64Array(nInt * (DEGREE + 1));
    const n1 = DEGREE + 1;
    const nodes = new Float64Array(n1);
    const vals = new Float64Array(n1);
    for (let k = 0; k < n1; k++) nodes[k] = Math.cos((Math.PI * (k + 0.5)) / n1);
    const cheb = new Float64Array(n1);
    const mono = new Float64Array(n1);
    // T_j in monomial form, built by T_{j+1} = 2u T_j − T_{j−1}
    const tPrev = new Float64Array(n1);
    const tCur = new Float64Array(n1);
    const tNext = new Float64Array(n1);
    for (let iv = 0; iv < nInt; iv++) {
      const c = Z_LO + (iv + 0.5) * Z_STEP;
      for (let k = 0; k < n1; k++) vals[k] = upperGammaScaled(s, Math.exp(c + 0.5 * Z_STEP * nodes[k]));
      for (let j = 0; j < n1; j++) {
        let acc = 0;
        for (let k = 0; k < n1; k++) acc += vals[k] * Math.cos((Math.PI * j * (k + 0.5)) / n1);
        cheb[j] = ((j === 0 ? 1 : 2) * acc) / n1;
      }
      mono.fill(0);
      tPrev.fill(0);
      tCur.fill(0);
      tPrev[0] = 1; // T_0
      tCur[1] = 1; // T_1
      mono[0] += cheb[0];
      mono[1] += cheb[1];
      for (let j = 2; j < n1; j++) {
        tNext.fill(0);
        for (let m = 0; m < n1; m++) {
          if (m > 0) tNext[m] += 2 * tCur[m - 1];
          tNext[m] -= tPrev[m];
        }
        for (let m = 0; m < n1; m++) mono[m] += cheb[j] * tNext[m];
        tPrev.set(tCur);
        tCur.set(tNext);
      }
      this.coef.set(mono, iv * n1);
    }
  }

  /** U(s, e^z). Non-decreasing in z; 0 at z = −∞, 1 at z = +∞. */
  atLog(z: number): number {
    if (z < Z_LO) {
      if (z === -Infinity) return 0;
      const x = Math.exp(z);
      const n = smallArgTerms(z);
      return this.smallX(z, x, Math.exp((1 - this.s) * z), expTaylor(x, n), n);
    }
    if (z > Z_HI) return this.largeX(z);
    return this.mid(z);
  }

  /** U(s, x) for x ≥ 0. */
  at(x: number): number {
    return this.atLog(Math.log(x));
  }

  /**
   * Small-x branch of {@link atLog} for finite z = ln x < −3, with x = e^z, x1s = x^{1−s}, ex = e^x and
   * n = smallArgTerms(z) supplied by the caller (hot loops form x and x^{1−s} as products of per-mode and
   * per-time factors, and reuse e^x, instead of calling exp). The series is truncated after n terms.
   */
  smallX(z: number, x: number, x1s: number, ex: number, n: number): number {
    const sm = this.small;
    let poly = sm[n - 1];
    for (let k = n - 2; k >= 0; k--) poly = poly * x + sm[k];
    if (this.useKummer) return this.gammaS * x1s * ex - x * poly;
    const s = this.s;
    const head = s === 0 ? -EULER_GAMMA - z : Math.exp(-s * z) * (this.g1 - Math.expm1(s * z) / s);
    return x * ex * (head - x * poly);
  }

  /** Table branch of {@link atLog}, for −3 ≤ z ≤ 10 (not checked). */
  mid(z: number): number {
    const q = (z - Z_LO) * (1 / Z_STEP);
    let iv = Math.floor(q);
    if (iv >= this.nInt) iv = this.nInt - 1; // z = Z_HI exactly
    const u = 2 * (q - iv) - 1;
    const base = iv * (DEGREE + 1);
    const c = this.coef;
    // Estrin's scheme for degree 10 (shorter dependency chains than Horner)
    const u2 = u * u;
    const u4 = u2 * u2;
    const p01 = c[base] + c[base + 1] * u;
    const p23 = c[base + 2] + c[base + 3] * u;
    const p45 = c[base + 4] + c[base + 5] * u;
    const p67 = c[base + 6] + c[base + 7] * u;
    const p89 = c[base + 8] + c[base + 9] * u;
    const p03 = p01 + p23 * u2;
    const p47 = p45 + p67 * u2;
    const p810 = p89 + c[base + 10] * u2;
    return p03 + u4 * (p47 + u4 * p810);
  }

  /** Asymptotic branch of {@link atLog}, for z > 10. */
  largeX(z: number): number {
    if (z === Infinity) return 1;
    return this.largeXInv(Math.exp(-z));
  }

  /** Asymptotic branch given r = 1/x = e^{−z} < e^{−10} (hot loops form r as a product). */
  largeXInv(r: number): number {
    const as = this.asym;
    let acc = as[N_ASYMP - 1];
    for (let k = N_ASYMP - 2; k >= 0; k--) acc = acc * r + as[k];
    return acc;
  }

}

const cache = new Map<number, ScaledUpperGamma>();

/** A cached {@link ScaledUpperGamma} for s (one per distinct s; the set-up costs ~1 ms). */
export function scaledUpperGammaFor(s: number): ScaledUpperGamma {
  let f = cache.get(s);
  if (f === undefined) {
    f = new ScaledUpperGamma(s);
    cache.set(s, f);
  }
  return f;
}
