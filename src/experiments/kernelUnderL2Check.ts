import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs';
import type { Images } from '../data/images.js';
import { structuredNtk } from '../kernels/structuredNtk.js';
import { l2KernelRule, ntkUnderL2, type L2KernelRule } from '../kernels/underL2.js';
import { applyNetwork, bindFinite, initParams } from '../layers/network.js';
import type { NetworkSpec } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import { initTfjs, type TfBackendName } from '../tfjs/backend.js';
import { tfRuntime } from '../tfjs/runtime.js';
import { InputError } from '../util/errors.js';
import type { Verdict } from './claim.js';
import { meanStderr } from '../util/stats.js';

/** Options of `kernelUnderL2Check`. */
export interface KernelUnderL2CheckOptions {
  /** The network at the width (channels) to check; NTK parameterization. */
  spec: NetworkSpec;
  /** Training images N×H×W×C (or flat rows N×d), used as one full batch. */
  x: Images | Mat;
  /** Targets N×k. */
  y: Mat;
  /** The first `probe` training points are the probe set whose empirical NTK is tracked (default min(4, N)). */
  probe?: number;
  /** L2 coefficient λ of the loss (1/2n)Σ|f − y|² + (λ/2)|θ|². */
  lambda: number;
  /** Learning rate η of full-batch gradient descent (physical time t = η·steps). */
  lr: number;
  /** Number of gradient steps. */
  steps: number;
  /** Steps between kernel evaluations (default ⌈steps/4⌉; step 0 and the last step are always evaluated). */
  evalEvery?: number;
  /** Networks (seeds 0 … seeds−1; default 3). */
  seeds?: number;
  /** Whether the data term acts (default true); false: pure weight decay θ ← (1 − ηλ)θ, a control. */
  dataTerm?: boolean;
  /** Relative tolerance of the claim on Θ_t/Θ_0 (default 0.1). */
  tolerance?: number;
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Called with one line of progress per run. */
  log?: (line: string) => void;
}

/** One kernel evaluation time, every seed. */
export interface KernelUnderL2Row {
  /** SGD step of this evaluation. */
  step: number;
  /** Physical time η·step. */
  t: number;
  /** Λ = −step·ln(1 − ηλ): the log of the factor by which the weight-decay term alone has shrunk every parameter. */
  bigLambda: number;
  /** Mean diagonal of the predicted kernel on the probe set, and its ratio to Λ = 0. */
  predictedTrace: number;
  predictedRatio: number;
  /** Per seed: mean diagonal of the finite network's empirical NTK on the probe set, and its ratio to step 0. */
  measuredTrace: number[];
  measuredRatio: number[];
  /** Per seed: ‖Θ_emp,t − Θ_pred,t‖_F / ‖Θ_pred,t‖_F on the probe set (finite-width error included). */
  relError: number[];
  /** Per seed, per parameter tensor: |θ_t|² / |θ_0|² (weight decay alone gives e^{−2Λ}). */
  normRatio: number[][];
  /** Per seed: the training loss (1/2n)Σ|f − y|² (without the L2 term). */
  trainLoss: number[];
}

/** Verdict of a claim, never kinder than its data (the project's one type, from claim.ts; see `claimVerdict`). */
export type { Verdict } from './claim.js';

/** Result of `kernelUnderL2Check`. */
export interface KernelUnderL2CheckResult {
  /** How this network's kernel changes under L2. */
  rule: L2KernelRule;
  /** The prediction in words. */
  prediction: string;
  /** Probe points whose kernel is compared. */
  probe: number;
  /** Networks (seeds). */
  seeds: number;
  /** λ. */
  lambda: number;
  /** Learning rate η. */
  lr: number;
  /** SGD steps. */
  steps: number;
  /** Whether the data loss was on (false: weight decay alone). */
  dataTerm: boolean;
  /** The relative deviation the claim allows. */
  tolerance: number;
  /** Names of the parameter tensors, in `normRatio` order ("layers[i] (type) #j"). */
  paramNames: string[];
  /** One row per evaluation step. */
  rows: KernelUnderL2Row[];
  /** Verdict on "Θ_t/Θ_0 measured = predicted within the tolerance", at every evaluation time together. */
  verdict: Verdict;
  /** The largest |mean δ| over evaluation times, δ = measured/predicted ratio − 1, with its standard error. */
  worst: { step: number; meanDelta: number; stderr: number; maxAbsDelta: number };
}

/**
 * The claim rule of the project for "|δ| ≤ τ" from per-seed values δ_s: 'holds' when every seed is within τ;
 * 'does not hold' when |mean δ| exceeds τ by more than 2 standard errors; otherwise 'not resolved'.
 * @param deltas - one relative deviation per seed
 * @param tolerance - τ, the deviation the claim allows
 * @returns 'holds', 'does not hold' or 'not resolved'
 */
export function claimVerdict(deltas: readonly number[], tolerance: number): Verdict {
  if (deltas.length === 0 || deltas.some((d) => !Number.isFinite(d))) return 'not resolved';
  if (deltas.every((d) => Math.abs(d) <= tolerance)) return 'holds';
  const { mean, stderr } = meanStderr(deltas);
  return Math.abs(mean) - 2 * stderr > tolerance ? 'does not hold' : 'not resolved';
}

/**
 * The kernel under L2 measured on finite networks against its infinite-width prediction (issue 12, item 4).
 * Each seed's network (NTK parameterization, float32 on TensorFlow.js) is trained by full-batch gradient descent
 * on (1/2n)Σ|f − y|² + (λ/2)|θ|²; at the evaluation steps its empirical NTK on the probe set (structured method)
 * is compared with the prediction at the same Λ: e^{−2(L−1)Λ}Θ_0 for a positively homogeneous net (L from the
 * layers' declarations), else the scaled-σ kernel e^{2Λ}Θ(σe^{−Λ}) (`ntkUnderL2`), both float64.
 * Λ is the exact integrated decay of the discrete update: the L2 term alone maps θ to (1 − ηλ)θ, so Λ after s
 * steps is −s·ln(1 − ηλ) (≈ sηλ); with it the pure-weight-decay control (`dataTerm: false`) of a homogeneous net
 * matches the prediction to float32 rounding.
 * @param o - the network (NTK parameterization), inputs x and targets y, probe size, λ, η, steps, seeds, tolerance, backend
 * @returns per seed and evaluation the measured kernel against the prediction, and the verdict
 */
export async function kernelUnderL2Check(o: KernelUnderL2CheckOptions): Promise<KernelUnderL2CheckResult> {
  if (o.spec.parameterization !== 'ntk') throw new InputError('the kernel under L2 is defined for the NTK parameterization');
  if (!(o.lambda > 0) || !(o.lr > 0) || !(o.lr * o.lambda < 1)) throw new InputError(`need λ > 0, η > 0 and ηλ < 1, got λ = ${o.lambda}, η = ${o.lr}`);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new InputError(`steps must be a positive integer, got ${o.steps}`);
  const log = o.log ?? (() => undefined);
  const images = 'shape' in o.x;
  const n = images ? (o.x as Images).shape[0] : (o.x as Mat).rows;
  const d = images ? (o.x as Images).data.length / n : (o.x as Mat).cols;
  if (o.y.rows !== n) throw new InputError(`x has ${n} points but y has ${o.y.rows} rows`);
  const probe = Math.min(o.probe ?? 4, n);
  const seeds = o.seeds ?? 3;
  const tolerance = o.tolerance ?? 0.1;
  const dataTerm = o.dataTerm ?? true;
  const every = o.evalEvery ?? Math.ceil(o.steps / 4);
  const evalSteps = new Set<number>([0, o.steps]);
  for (let s = every; s < o.steps; s += every) evalSteps.add(s);
  const stepList = [...evalSteps].sort((a, b) => a - b);
  const decay = -Math.log(1 - o.lr * o.lambda); // Λ per step

  // the prediction on the probe set, float64
  const probeX: Images | Mat = images
    ? { shape: [probe, ...(o.x as Images).shape.slice(1)], data: (o.x as Images).data.slice(0, probe * d), dtype: 'float64' }
    : { rows: probe, cols: d, data: (o.x as Mat).data.slice(0, probe * d) };
  const rule = l2KernelRule(o.spec);
  const meanDiag = (k: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < probe; i++) s += k[i * probe + i];
    return s / probe;
  };
  const predicted = stepList.map((s) => ntkUnderL2(o.spec, s * decay, probeX).data);
  const pred0 = meanDiag(predicted[0]);

  await initTfjs(o.backend ?? 'auto');
  const tf = tfRuntime();
  const shape = images ? { spatial: (o.x as Images).shape.slice(1, -1), width: (o.x as Images).shape[(o.x as Images).shape.length - 1] } : d;
  const net = bindFinite(o.spec, shape);
  if (net.outputDim !== o.y.cols) throw new InputError(`the network has ${net.outputDim} outputs but y has ${o.y.cols} columns`);
  const paramNames: string[] = [];
  net.layers.forEach((l, i) => l.paramShapes.forEach((_, j) => paramNames.push(`layers[${i}] (${o.spec.layers[i]?.json.type ?? '?'}) #${j}`)));
  const xT = tf.tensor2d(Float32Array.from(o.x.data), [n, d]);
  const yT = tf.tensor2d(Float32Array.from(o.y.data), [n, o.y.cols]);
  const pT = tf.slice(xT, [0, 0], [probe, d]) as Tensor2D;
  const sizes = net.layers.map((l) => l.paramShapes.length);
  const regroup = (flat: readonly Tensor[]): Tensor[][] => {
    let at = 0;
    return sizes.map((m) => flat.slice(at, (at += m)));
  };
  const lossOf = (groups: readonly (readonly Tensor[])[]): Scalar => tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(applyNetwork(net, groups, xT), yT))), 2 * n) as Scalar);
  const sqNorms = (flat: readonly Tensor[]): number[] => flat.map((p) => tf.tidy(() => tf.sum(tf.square(p))).dataSync()[0]);

  const perSeed: { trace: number[]; rel: number[]; norms: number[][]; loss: number[] }[] = [];
  try {
    for (let seed = 0; seed < seeds; seed++) {
      let flat: Tensor[] = initParams(net, seed).flat();
      const norms0 = sqNorms(flat);
      const rec = { trace: [] as number[], rel: [] as number[], norms: [] as number[][], loss: [] as number[] };
      let at = 0;
      for (let step = 0; step <= o.steps; step++) {
        if (evalSteps.has(step)) {
          const k = (await structuredNtk(net, regroup(flat), pT, null)).ntk;
          const p = predicted[at++];
          let num = 0;
          let den = 0;
          for (let i = 0; i < k.length; i++) {
            num += (k[i] - p[i]) ** 2;
            den += p[i] ** 2;
          }
          rec.trace.push(meanDiag(k));
          rec.rel.push(Math.sqrt(num / den));
          rec.norms.push(sqNorms(flat).map((v, i) => v / norms0[i]));
          const l = lossOf(regroup(flat));
          rec.loss.push(l.dataSync()[0]);
          l.dispose();
          log(`seed ${seed} step ${step}: Λ = ${(step * decay).toFixed(4)}, Θ_t/Θ_0 measured ${(rec.trace[rec.trace.length - 1] / rec.trace[0]).toFixed(4)} predicted ${(meanDiag(p) / pred0).toFixed(4)}`);
        }
        if (step === o.steps) break;
        const next = tf.tidy(() => {
          const grads = dataTerm ? tf.grads((...ps: Tensor[]) => lossOf(regroup(ps)))(flat) : null;
          return flat.map((p, i) => {
            const shrunk = tf.mul(p, 1 - o.lr * o.lambda);
            return grads ? tf.sub(shrunk, tf.mul(grads[i], o.lr)) : shrunk;
          });
        });
        flat.forEach((p) => p.dispose());
        flat = next;
        if (!Number.isFinite(sqNorms(flat).reduce((a, b) => a + b, 0))) throw new InputError(`training diverged at step ${step + 1} (seed ${seed}); lower the learning rate (η = ${o.lr})`);
      }
      flat.forEach((p) => p.dispose());
      perSeed.push(rec);
    }
  } finally {
    [xT, yT, pT].forEach((t) => t.dispose());
  }

  const rows: KernelUnderL2Row[] = stepList.map((step, i) => {
    const predictedTrace = meanDiag(predicted[i]);
    return {
      step,
      t: step * o.lr,
      bigLambda: step * decay,
      predictedTrace,
      predictedRatio: predictedTrace / pred0,
      measuredTrace: perSeed.map((r) => r.trace[i]),
      measuredRatio: perSeed.map((r) => r.trace[i] / r.trace[0]),
      relError: perSeed.map((r) => r.rel[i]),
      normRatio: perSeed.map((r) => r.norms[i]),
      trainLoss: perSeed.map((r) => r.loss[i]),
    };
  });
  const verdicts = rows.map((r) => claimVerdict(r.measuredRatio.map((m) => m / r.predictedRatio - 1), tolerance));
  const verdict: Verdict = verdicts.includes('does not hold') ? 'does not hold' : verdicts.every((v) => v === 'holds') ? 'holds' : 'not resolved';
  let worst = { step: 0, meanDelta: 0, stderr: 0, maxAbsDelta: 0 };
  for (const r of rows) {
    const deltas = r.measuredRatio.map((m) => m / r.predictedRatio - 1);
    const { mean, stderr } = meanStderr(deltas);
    if (Math.abs(mean) >= Math.abs(worst.meanDelta)) worst = { step: r.step, meanDelta: mean, stderr, maxAbsDelta: Math.max(...deltas.map(Math.abs)) };
  }
  const prediction = rule.kind === 'homogeneous' ? `Θ_t = e^{−2(L−1)Λ}Θ_0, L = ${rule.degree}` : `Θ_t = e^{2Λ}·Θ(σ e^{−Λ}) (scaled-σ kernel; ${rule.reason})`;
  return { rule, prediction, probe, seeds, lambda: o.lambda, lr: o.lr, steps: o.steps, dataTerm, tolerance, paramNames, rows, verdict, worst };
}
