import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { elementwiseFinite } from './elementwise.js';
import { SpecError } from './specError.js';
import { checkOptions } from './strictOptions.js';
import { pointwiseKernel } from './pointwise.js';
import { requireGaussianInput } from './gaussianInput.js';
import type { CrossBlock, DiagBlock, KernelTransform, Layer } from './types.js';

/** An activation given as functions: float64 for the kernel, tfjs ops for the finite network. */
export interface ElementwiseFunctions {
  /** φ on one float64 number (the kernel's quadrature evaluates it). */
  readonly phi: (x: number) => number;
  /** φ as tfjs ops, entrywise on a tensor (the finite net; autodiff runs through it). */
  readonly tfPhi: (x: Tensor) => Tensor;
  /** φ' on one number; default: the central difference (φ(x + h) − φ(x − h))/(2h), h = 6.06e-6·max(1, |x|). */
  readonly dphi?: (x: number) => number;
  /** φ' as tfjs ops; default: tfjs autodiff of `tfPhi`. */
  readonly tfDphi?: (x: Tensor) => Tensor;
}

/** Options of `elementwise`. */
export interface ElementwiseOptions {
  /** Name carried in the layer's JSON form and in error messages (default 'custom'). */
  readonly name?: string;
  /** Gauss–Hermite degree per axis: deg² evaluations per kernel entry (default 26, 2 to 150). */
  readonly degree?: number;
  /** Declare φ(c·x) = c·φ(x) for c > 0 (homogeneity 0); otherwise the layer's homogeneity is null. */
  readonly homogeneous?: boolean;
}

/**
 * The default Gauss–Hermite degree: 676 evaluations of φ (and of φ') per kernel entry. Even, so that no node
 * sits at 0, where ReLU-like activations have their kink (an odd rule puts its largest weight there: the ReLU
 * NTK factor is then 3× less accurate, and its diagonal is wrong by 25%).
 */
export const DEFAULT_DEGREE = 26;
/** Newton from the classical starting guesses is checked (distinct nodes, exact moments) up to this degree. */
const MAX_DEGREE = 150;

/** Nodes x_i and weights w_i of the physicists' Gauss–Hermite rule: ∫e^{−x²}f(x)dx ≈ Σ w_i f(x_i), exact to degree 2n − 1. */
export interface HermiteRule {
  /** Nodes x_i (length n, ascending). */
  readonly nodes: Float64Array;
  /** Weights w_i (length n): Σ w_i g(x_i) ≈ ∫ e^{−x²} g(x) dx. */
  readonly weights: Float64Array;
}

const RULES = new Map<number, HermiteRule>();

/**
 * The n-point physicists' Gauss–Hermite rule, float64, computed once per n: Newton's method on the orthonormal
 * recurrence p_j = x·√(2/j)·p_{j−1} − √((j−1)/j)·p_{j−2}, p_0 = π^{−1/4} (normalized so it neither over- nor
 * underflows for large n), w_i = 2/p_n'(x_i)², with the classical starting guesses (Numerical Recipes §4.6).
 * @param n - number of nodes (degree)
 * @returns nodes and weights for ∫ e^{−x²} g(x) dx (cached per n)
 */
export function hermiteRule(n: number): HermiteRule {
  const cached = RULES.get(n);
  if (cached) return cached;
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEGREE) throw new SpecError(`Gauss–Hermite degree must be an integer from 1 to ${MAX_DEGREE}, got ${n}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const pim4 = Math.PI ** -0.25;
  const m = Math.floor((n + 1) / 2);
  let z = 0;
  for (let i = 0; i < m; i++) {
    // Starting guesses: the largest root, then each from the ones before (roots are found in decreasing order).
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** (-1 / 6);
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * nodes[0];
    else if (i === 3) z = 1.91 * z - 0.91 * nodes[1];
    else z = 2 * z - nodes[i - 2];
    let pp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = pim4;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) <= 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    // The rule is symmetric: store x_i and −x_i (the middle node of an odd rule is 0).
    nodes[i] = z;
    nodes[n - 1 - i] = -z;
    weights[i] = weights[n - 1 - i] = 2 / (pp * pp);
  }
  const rule: HermiteRule = { nodes, weights };
  RULES.set(n, rule);
  return rule;
}

/** Central-difference step scale ε^{1/3} ≈ 6.06e-6: balances the O(h²) truncation error against the ε/h rounding. */
const FD_STEP = Math.cbrt(Number.EPSILON);

/** φ'(x) ≈ (φ(x + h) − φ(x − h))/(2h), h = 6.06e-6·max(1, |x|): relative error about 1e-10 for smooth φ. */
export function centralDifference(phi: (x: number) => number): (x: number) => number {
  return (x: number) => {
    const h = FD_STEP * Math.max(1, Math.abs(x));
    return (phi(x + h) - phi(x - h)) / (2 * h);
  };
}

/**
 * The kernel transform of any activation by Gauss–Hermite quadrature. With (u, v) ~ N(0, [[K11, K12], [K12, K22]]),
 * ρ = K12/√(K11K22), u = √K11·z1, v = √K22·(ρz1 + √(1 − ρ²)z2) and z1, z2 independent N(0, 1):
 *   E[f(u)g(v)] ≈ (1/π)·Σ_ij w_i w_j f(√(2K11)·x_i)·g(√(2K22)·(ρx_i + √(1 − ρ²)x_j)),
 * a deg×deg tensor-product rule, applied with f = g = φ (NNGP) and f = g = φ' (the NTK factor). The diagonal
 * uses the 1-D rule E[f(u)²] ≈ (1/√π)·Σ_i w_i f(√(2K)·x_i)² at degree max(deg, 150). Exact for polynomial φ of degree < deg; smooth
 * φ converge geometrically, kinked φ (ReLU) only algebraically (see docs/architectures.md).
 */
export function quadratureTransform(phi: (x: number) => number, dphi: (x: number) => number, degree: number = DEFAULT_DEGREE): KernelTransform {
  const { nodes, weights } = hermiteRule(degree);
  const n = degree;
  // The 1-D rule costs deg evaluations, not deg²: the diagonal affords the highest degree, and needs it most
  // (φ(u)², φ'(u)² vary on half the scale of φ(u)φ(v)).
  const diagRule = hermiteRule(Math.max(degree, MAX_DEGREE));
  return {
    cross(blk: CrossBlock): void {
      const { nr, nc, k, t, k11, k22 } = blk;
      // Per-row factors w_i·f(u_i)/π for f = φ, φ' (u_i depends only on K11), reused across the row.
      const a = new Float64Array(n);
      const da = new Float64Array(n);
      for (let r = 0; r < nr; r++) {
        const s1 = Math.sqrt(2 * Math.max(0, k11[r]));
        for (let i = 0; i < n; i++) {
          const u = s1 * nodes[i];
          a[i] = (weights[i] * phi(u)) / Math.PI;
          if (t) da[i] = (weights[i] * dphi(u)) / Math.PI;
        }
        const base = r * nc;
        for (let c = 0; c < nc; c++) {
          const idx = base + c;
          const d2 = Math.max(0, k22[c]);
          const norm = Math.sqrt(Math.max(0, k11[r]) * d2);
          // A zero-variance input makes u or v ≡ 0 whatever ρ is; ρ = 0 then gives the right product of means.
          let rho = norm > 0 ? k[idx] / norm : 0;
          if (rho > 1) rho = 1;
          else if (rho < -1) rho = -1;
          const s2 = Math.sqrt(2 * d2);
          const sr = s2 * rho;
          const sq = s2 * Math.sqrt(Math.max(0, 1 - rho * rho));
          let kk = 0;
          let tt = 0;
          for (let i = 0; i < n; i++) {
            const vi = sr * nodes[i];
            let inner = 0;
            let dinner = 0;
            for (let j = 0; j < n; j++) {
              const v = vi + sq * nodes[j];
              inner += weights[j] * phi(v);
              if (t) dinner += weights[j] * dphi(v);
            }
            kk += a[i] * inner;
            if (t) tt += da[i] * dinner;
          }
          k[idx] = kk;
          if (t) t[idx] *= tt;
        }
      }
    },
    diag(blk: DiagBlock): void {
      const { n: count, k, t } = blk;
      for (let p = 0; p < count; p++) {
        const s = Math.sqrt(2 * Math.max(0, k[p]));
        let kk = 0;
        let tt = 0;
        for (let i = 0; i < diagRule.nodes.length; i++) {
          const u = s * diagRule.nodes[i];
          const w = diagRule.weights[i];
          const f = phi(u);
          kk += w * f * f;
          if (t) {
            const g = dphi(u);
            tt += w * g * g;
          }
        }
        k[p] = kk / Math.sqrt(Math.PI);
        if (t) t[p] *= tt / Math.sqrt(Math.PI);
      }
    },
  };
}

/**
 * Any activation φ, given as functions, with its kernel by Gauss–Hermite quadrature (`quadratureTransform`:
 * E[φ(u)φ(v)] for the NNGP, E[φ'(u)φ'(v)] for the NTK factor) — like neural-tangents' `ElementwiseNumerical`.
 * Use the closed-form layers where they exist (relu, erf, gelu): they are exact, and much faster.
 *
 * The layer is built in user code from functions, so it cannot be rebuilt from JSON: its JSON form
 * `{ type: 'elementwise', name }` only names it (reading it back is refused), and kernels of specs holding it
 * run on the calling thread rather than in worker threads.
 * @param fns - φ as a float64 function (`phi`, kernel) and as tfjs ops (`tfPhi`, finite net); optionally φ′ (`dphi`, `tfDphi`)
 * @param opts - `name`, Gauss–Hermite `degree` (default 26), `homogeneous` degree when φ is positively homogeneous
 * @returns the layer
 * @throws SpecError for a degree outside [2, the maximum]
 */
export function elementwise(fns: ElementwiseFunctions, opts: ElementwiseOptions = {}): Layer {
  checkOptions('elementwise', fns, { phi: 'function', tfPhi: 'function', dphi: 'function', tfDphi: 'function' }, 'function');
  checkOptions('elementwise', opts, { name: 'string', degree: 'number', homogeneous: 'boolean' });
  const name = opts.name ?? 'custom';
  const degree = opts.degree ?? DEFAULT_DEGREE;
  if (!Number.isInteger(degree) || degree < 2 || degree > MAX_DEGREE) {
    throw new SpecError(`elementwise(${name}): degree must be an integer from 2 to ${MAX_DEGREE}, got ${degree}`);
  }
  const dphi = fns.dphi ?? centralDifference(fns.phi);
  const transform = quadratureTransform(fns.phi, dphi, degree);
  const tfPhi = (x: Tensor2D): Tensor2D => fns.tfPhi(x) as Tensor2D;
  const tfDphi = (x: Tensor2D): Tensor2D => {
    if (fns.tfDphi) return fns.tfDphi(x) as Tensor2D;
    // φ acts entrywise, so the gradient of Σφ(x) is φ'(x) entry by entry.
    const tf = tfRuntime();
    return tf.grad((y: Tensor) => tf.sum(fns.tfPhi(y)))(x) as Tensor2D;
  };
  const finite = elementwiseFinite(tfPhi, tfDphi);
  // Not marked builtin(): worker threads rebuild layers from JSON, which cannot carry functions.
  const layer: Layer = {
    json: { type: 'elementwise', name },
    outWidth: (w) => w,
    hasWeights: false,
    homogeneity: opts.homogeneous === true ? 0 : null,
    scaleParams: () => layer,
    kernel: (ctx) => (requireGaussianInput(ctx, name), pointwiseKernel(transform, name)),
    finite: () => finite,
  };
  return layer;
}
