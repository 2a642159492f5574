import { join } from 'node:path';
import { eigenbasis } from '../dynamics/eigenbasis.js';
import { spectralTrajectory } from '../dynamics/spectral.js';
import { trajectoryCurves } from '../dynamics/trajectory.js';
import { analyticKernel } from '../kernels/analytic.js';
import { ntkUnderL2 } from '../kernels/underL2.js';
import { applyNetwork, bindFinite, initParams, withHiddenWidth } from '../layers/network.js';
import { weightLayerCount, isPositivelyHomogeneous } from '../layers/serial.js';
import type { NetworkSpec } from '../layers/types.js';
import { mat, type Mat } from '../linalg/matrix.js';
import { initTfjs, type TfBackendName } from '../tfjs/backend.js';
import { tfRuntime } from '../tfjs/runtime.js';
import type { TrainData, TrainResult } from '../training/trainer.js';
import { InputError } from '../util/errors.js';
import { runPool } from './runPool.js';
import { runName } from './runStore.js';

/**
 * Options of `finiteVsInfinite`: finite networks of several widths trained with constant λ, their empirical NTK on a
 * probe set tracked against the kernel-under-L2 prediction.
 */
export interface FiniteVsInfiniteOptions {
  /** The architecture (its hidden widths are replaced by each of `widths`). */
  spec: NetworkSpec;
  /** Training and test sets. */
  data: TrainData;
  /** Hidden widths to train. */
  widths: number[];
  /** The constant λ. */
  lambda: number;
  /** Learning rate η. */
  lr: number;
  /** Physical-time budget (default 2/λ). */
  budget?: number;
  /** Mini-batch size (default 128). */
  batchSize?: number;
  /** Probe points whose empirical NTK is tracked (the first ones of the training set; default 64). */
  probe?: number;
  /** Seed of every run (default 0). */
  seed?: number;
  /** Evaluations per decade of steps (default 24). */
  evalsPerDecade?: number;
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Results folder (resumable). */
  dir: string;
  /** Runs trained at once, each in its own worker thread (default 1: one after the other on this thread). */
  jobs?: number;
  /** Called after each run with its name, result and whether it was reused from the folder. */
  onRun?: (name: string, result: TrainResult, reused: boolean) => void;
}

export interface WidthCurves {
  width: number;
  t: number[];
  testLoss: number[];
  /** The infinite-width flow started from this network's own initial outputs (homogeneous nets only). */
  flowTestLoss: number[] | null;
  /** Kernel evaluations: time, ∫λ, measured trace ratio Θ_t/Θ_0 on the probe set, and its prediction. */
  kernelT: number[];
  kernelRatio: number[];
  predictedRatio: number[];
  /** max |measured/predicted − 1| over kernel evaluations with predicted ratio ≥ e^{−1} (before the data term dominates). */
  maxKernelDeviation: number;
}

/** The result of `finiteVsInfinite`: per width, the tracked kernel against the prediction. */
export interface FiniteVsInfiniteResult {
  /** Number of weight layers L. */
  depth: number;
  /** Whether the net is positively homogeneous (then the prediction is the exp(−2(L−1)Λ) decay). */
  homogeneous: boolean;
  /** exp(−2(L−1)Λ) for bias-free ReLU nets; the scaled-σ kernel e^{2Λ}Θ(σ_w e^{−Λ}, σ_b e^{−Λ}) otherwise. */
  prediction: string;
  /** The constant λ. */
  lambda: number;
  /** Learning rate η. */
  lr: number;
  /** Probe points whose empirical NTK was tracked. */
  probe: number;
  /** One set of curves per width. */
  widths: WidthCurves[];
}

/**
 * Finite networks of growing width trained with MSE and L2 beside the infinite-width theory: test-loss curves
 * next to the infinite-width flow (run from each network's own initial outputs, so the only difference is the
 * finite width), and the measured kernel scale on a probe set next to its prediction.
 * @param o - the network, data, widths, λ, η, budget, probe size and the folder (see FiniteVsInfiniteOptions)
 * @returns per width the tracked kernel scale and test loss against the prediction
 */
export async function finiteVsInfinite(o: FiniteVsInfiniteOptions): Promise<FiniteVsInfiniteResult> {
  if (o.widths.length < 1) throw new InputError('give at least one width');
  if (!(o.lambda > 0)) throw new InputError(`λ must be > 0, got ${o.lambda}`);
  if (o.spec.parameterization !== 'ntk') throw new InputError('finite versus infinite needs the NTK parameterization');
  const depth = weightLayerCount(o.spec);
  const homogeneous = isPositivelyHomogeneous(o.spec);
  const budget = o.budget ?? 2 / o.lambda;
  const probe = Math.min(o.probe ?? 64, o.data.x.rows);
  const seed = o.seed ?? 0;
  const probeX = mat(probe, o.data.x.cols, o.data.x.data.slice(0, probe * o.data.x.cols));
  const theta0Probe = (await analyticKernel(o.spec, probeX, undefined, { get: 'ntk' })).ntk!;
  const trace = (m: Mat) => {
    let s = 0;
    for (let i = 0; i < m.rows; i++) s += m.data[i * m.cols + i];
    return s;
  };
  const tr0 = trace(theta0Probe);
  const predictRatio = (bigLambda: number): number => (homogeneous ? Math.exp(-2 * (depth - 1) * bigLambda) : trace(ntkUnderL2(o.spec, bigLambda, probeX)) / tr0);
  // Infinite-width kernels on the whole data, once (homogeneous nets: the output ODE applies).
  const kernels = homogeneous
    ? { train: (await analyticKernel(o.spec, o.data.x, undefined, { get: 'ntk' })).ntk!, test: (await analyticKernel(o.spec, o.data.xTest, o.data.x, { get: 'ntk' })).ntk! }
    : null;
  await initTfjs(o.backend ?? 'auto');
  const tf = tfRuntime();
  const widths: WidthCurves[] = [];
  const pool = runPool(o.jobs ?? 1);
  const runs = await Promise.all(
    o.widths.map(async (width) => {
      const spec = withHiddenWidth(o.spec, width);
      const name = runName({ width, lambda: o.lambda, lr: o.lr, seed });
      const { result, reused } = await pool.run({ spec, data: o.data, lr: o.lr, budget, lambda: o.lambda, seed, loss: 'mse', batchSize: o.batchSize, evalsPerDecade: o.evalsPerDecade, kernelProbe: probe, kernelEvalsPerDecade: 8, backend: o.backend, dir: join(o.dir, 'runs', name) });
      o.onRun?.(name, result, reused);
      return { width, spec, result };
    }),
  );
  for (const { width, spec, result } of runs) {
    const recs = result.records;
    let flowTestLoss: number[] | null = null;
    if (kernels) {
      // this network's initial outputs (same seed → same weights as the run)
      const net = bindFinite(spec, o.data.x.cols);
      const params = initParams(net, seed);
      const out = async (m: Mat): Promise<Mat> => {
        const f = tf.tidy(() => applyNetwork(net, params.layers, tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols])));
        const v = Float64Array.from(await f.data());
        f.dispose();
        return mat(m.rows, net.outputDim, v);
      };
      const f0 = await out(o.data.x);
      const f0Test = await out(o.data.xTest);
      params.dispose();
      const eb = eigenbasis({ thetaTrain: kernels.train, thetaTest: kernels.test, y: o.data.y, yTest: o.data.yTest, f0, f0Test });
      const times = Float64Array.from(recs.map((r) => r.t));
      const curves = trajectoryCurves(eb, spectralTrajectory(eb, o.lambda, depth, times));
      flowTestLoss = Array.from(curves.testMse!, (v) => v / 2); // the flow's MSE is Σ|f − y|²/m; the loss halves it
    }
    const kr = recs.filter((r) => r.kernelTrace !== undefined);
    const k0 = kr[0].kernelTrace!;
    const kernelRatio = kr.map((r) => r.kernelTrace! / k0);
    const predictedRatio = kr.map((r) => predictRatio(r.integratedLambda));
    let maxDev = 0;
    kr.forEach((_, i) => {
      if (predictedRatio[i] >= Math.exp(-1)) maxDev = Math.max(maxDev, Math.abs(kernelRatio[i] / predictedRatio[i] - 1));
    });
    widths.push({ width, t: recs.map((r) => r.t), testLoss: recs.map((r) => r.testLoss), flowTestLoss, kernelT: kr.map((r) => r.t), kernelRatio, predictedRatio, maxKernelDeviation: maxDev });
  }
  return { depth, homogeneous, prediction: homogeneous ? `exp(−2(L−1)Λ), L = ${depth}` : 'e^{2Λ}·Θ(σ_w e^{−Λ}, σ_b e^{−Λ}) (scaled-σ analytic kernel)', lambda: o.lambda, lr: o.lr, probe, widths };
}
