import { eigenbasis, type Eigenbasis } from '../../src/dynamics/eigenbasis.js';
import { constantSchedule, type LambdaSchedule } from '../../src/dynamics/schedule.js';
import { scheduledSolveBatchAsync } from '../../src/dynamics/scheduledFlow.js';
import { tfjsArrays } from '../../src/dynamics/tfjsArrays.js';
import { analyticKernelSync } from '../../src/kernels/analytic.js';
import { empiricalKernel } from '../../src/kernels/empirical.js';
import { parseSpec } from '../../src/layers/json.js';
import { applyNetwork, bindFinite, initParams } from '../../src/layers/network.js';
import { initTfjs, tf, type TfBackendName } from '../../src/tfjs/backend.js';
import { trainRun, type TrainData } from '../../src/training/trainer.js';
import { randomMatrix } from '../helpers.js';

/**
 * The small problems on which the webgpu backend is checked against wasm (and the flow against float64): run
 * once on each backend, in separate processes (test/tfjs/webgpu.test.ts), giving plain numbers to compare.
 * Sizes are small on purpose: on SwiftShader (CI) every new shader costs a compile.
 */
export const SPEC = parseSpec('dense(32, wStd=1.4) > relu > dense(32, wStd=1.4) > relu > dense(3, wStd=1.4)');
const X = randomMatrix(12, 6, 71);
const Y = randomMatrix(12, 3, 72, 0.5);

/** What one backend computed. */
export interface CheckResults {
  backend: string;
  reason: string;
  adapter: string | null;
  /** f(X), 12×3. */
  forward: number[];
  /** ∂/∂θ of Σ (f − Y)²/2 for every parameter tensor, concatenated. */
  gradient: number[];
  /** 6 SGD steps (mini-batches of 8, λ = 0.01) evaluated at steps 0, 1, 3, 6: losses, |θ|² and the probe NTK trace. */
  training: { step: number; trainLoss: number; testLoss: number; paramNorm2: number; kernelTrace?: number }[];
  /** The structured empirical NTK of the seed-3 network on X, 12×12, and the backend that computed it. */
  ntk: number[];
  ntkBackend: string;
  /** That network's f(X)·f(X)ᵀ/k (the one-network NNGP estimate). */
  nngp: number[];
  /** The batched float32 flow (4 schedules): f on training and test points at each time, concatenated. */
  flow: number[];
  flowSteps: number;
  seconds: Record<string, number>;
}

/** The flow problem: an analytic-NTK eigenbasis (float64) shared by every backend. */
export function flowProblem(): { eb: Eigenbasis; schedules: LambdaSchedule[]; times: Float64Array } {
  const xt = randomMatrix(5, 6, 73);
  const eb = eigenbasis({
    thetaTrain: analyticKernelSync(SPEC, X, undefined, { get: 'ntk' }).ntk!,
    thetaTest: analyticKernelSync(SPEC, xt, X, { get: 'ntk' }).ntk!,
    y: Y,
    yTest: randomMatrix(5, 3, 74, 0.5),
    f0: randomMatrix(12, 3, 75, 0.2),
    f0Test: randomMatrix(5, 3, 76, 0.2),
  });
  const schedules = [constantSchedule(0.01), constantSchedule(0.1), { starts: [0, 20], values: [0.1, 0.01] }, constantSchedule(0.3)];
  return { eb, schedules, times: Float64Array.from([0.5, 5, 30]) };
}

/** f on training and test points of every schedule and time, in one array. */
export function flattenFlow(solutions: { fTrain: Float64Array; fTest: Float64Array | null }[]): number[] {
  return solutions.flatMap((s) => [...s.fTrain, ...(s.fTest ?? [])]);
}

function trainData(): TrainData {
  return { x: X, y: Y, xTest: randomMatrix(6, 6, 77), yTest: randomMatrix(6, 3, 78, 0.5), description: 'webgpu check' };
}

/** Runs every check on `backend` and returns the numbers. */
export async function runChecks(backend: TfBackendName): Promise<CheckResults> {
  const info = await initTfjs(backend);
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    seconds[name] = (performance.now() - t0) / 1000;
    return out;
  };
  const net = bindFinite(SPEC, 6);
  const params = initParams(net, 3);
  const x = tf.tensor2d(Float32Array.from(X.data), [12, 6]);
  const y = tf.tensor2d(Float32Array.from(Y.data), [12, 3]);
  const forward = await timed('forward', async () => Array.from(await applyNetwork(net, params.layers, x).data()));
  const gradient = await timed('gradient', async () => {
    const flat = params.layers.flat();
    const sizes = params.layers.map((g) => g.length);
    const grads = tf.grads((...ps: tf.Tensor[]) => {
      let at = 0;
      const f = applyNetwork(net, sizes.map((s) => ps.slice(at, (at += s))), x);
      return tf.mul(tf.sum(tf.square(tf.sub(f, y))), 0.5) as tf.Scalar;
    })(flat);
    const out: number[] = [];
    for (const g of grads) out.push(...(await g.data()));
    return out;
  });
  const training = await timed('training', async () => {
    const r = await trainRun({ spec: SPEC, data: trainData(), lr: 0.05, budget: 0.3, lambda: 0.01, batchSize: 8, seed: 5, evalsPerDecade: 2, kernelProbe: 4, kernelEvalsPerDecade: 1, backend });
    return r.records.map((q) => ({ step: q.step, trainLoss: q.trainLoss, testLoss: q.testLoss, paramNorm2: q.paramNorm2, kernelTrace: q.kernelTrace }));
  });
  const ntkRun = await timed('ntk', () => empiricalKernel(SPEC, X, undefined, { seed: 3, backend, method: 'structured' }));
  const { eb, schedules, times } = flowProblem();
  const flowRun = await timed('flow', () => scheduledSolveBatchAsync(eb, schedules, 3, times, { arrays: tfjsArrays() }));
  params.dispose();
  return {
    backend: info.backend,
    reason: info.reason,
    adapter: info.adapter ? `${info.adapter.vendor} ${info.adapter.architecture}` : null,
    forward,
    gradient,
    training,
    ntk: Array.from(ntkRun.ntk.data),
    ntkBackend: ntkRun.backend,
    nngp: Array.from(ntkRun.nngp.data),
    flow: flattenFlow(flowRun.solutions),
    flowSteps: flowRun.steps,
    seconds,
  };
}
