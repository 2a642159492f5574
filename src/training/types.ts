import type { LayerShape, NetworkSpec } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { LossName } from './loss.js';
import type { LambdaPolicy } from './policy.js';

// The shapes of a training run: what it takes (TrainOptions, TrainData), what it logs (EvalRecord) and what it
// returns (TrainResult). A module of types only, so the trainer's pieces (validation, memory estimate, run state,
// evaluation, summary) share them without importing the trainer.

/** The data a run trains and evaluates on (float64 matrices; targets one row per example). */
export interface TrainData {
  x: Mat;
  y: Mat;
  xTest: Mat;
  yTest: Mat;
  description?: string;
  /** Images or sequences: the rows are examples flattened in C order, of this per-example shape (see bindFinite). */
  inputShape?: LayerShape;
}

/** Everything one training run is given: the network, the data, the optimizer settings, where it logs and checkpoints. */
export interface TrainOptions {
  spec: NetworkSpec;
  data: TrainData;
  /** Learning rate η (physical time t = η·steps). */
  lr: number;
  /** Physical-time budget T: the run takes ceil(T/η) steps. */
  budget: number;
  /** λ: a constant, or a policy such as Auto L2. */
  lambda: number | LambdaPolicy;
  loss?: LossName;
  /** Heavy-ball momentum μ (default 0: plain SGD, the Euler discretisation of the gradient flow). */
  momentum?: number;
  /** Mini-batch size (default 128; ≥ n gives full-batch gradient descent). */
  batchSize?: number;
  /** Seed of the initialization and of the batch order (default 0). */
  seed?: number;
  /** Evaluations per decade of steps, log-spaced from step 1 (default 24), plus step 0 and the last step. */
  evalsPerDecade?: number;
  /** Training points used for the logged train loss/accuracy (default min(n, 2048)). */
  evalTrainSize?: number;
  /** Probe points (the first ones of the training set) whose empirical NTK is logged; 0 = off (default). */
  kernelProbe?: number;
  /** Kernel evaluations per decade of steps (default 6). */
  kernelEvalsPerDecade?: number;
  /** Results folder: log.jsonl (one line per evaluation), checkpoint, result.json. Omit for an in-memory run. */
  dir?: string;
  /** Start over: first remove this run's own files (result, log, checkpoint) from `dir`; nothing else there is touched. */
  restart?: boolean;
  /** Wall-clock seconds between checkpoints (default 30). */
  checkpointSeconds?: number;
  backend?: TfBackendName;
  /** Refuse the run, before anything is created, when its estimated peak memory is over this (default: half the machine's memory, at most 8 GiB). */
  maxMemoryBytes?: number;
  /** Called after each evaluation. */
  onEval?: (rec: EvalRecord, totalSteps: number) => void;
}

/** One evaluation, as logged (one JSON line). Losses are the bare data term (no L2). */
export interface EvalRecord {
  step: number;
  /** Physical time η·step. */
  t: number;
  lambda: number;
  /** Λ(t) = ∫λ dt. */
  integratedLambda: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  /** |θ|². */
  paramNorm2: number;
  /** Empirical NTK on the probe set: trace/N and Frobenius norm/N (when tracked at this step). */
  kernelTrace?: number;
  kernelFrob?: number;
}

/** A finished run: its evaluations, the summary numbers (t*, bests, finals) and how it ran. */
export interface TrainResult {
  records: EvalRecord[];
  steps: number;
  /** Time of the best test accuracy and of the lowest test loss, and whether it is the last evaluation. */
  tStarAcc: number;
  tStarLoss: number;
  bestTestAcc: number;
  bestTestLoss: number;
  accAtEdge: boolean;
  lossAtEdge: boolean;
  finalTestAcc: number;
  finalTestLoss: number;
  /** Number of Dense layers (the homogeneity degree for bias-free ReLU nets). */
  depth: number;
  paramCount: number;
  backend: string;
  examplesPerSecond: number;
  wallSeconds: number;
  resumedFromStep: number | null;
  dtype: 'float32 (tfjs)';
}

