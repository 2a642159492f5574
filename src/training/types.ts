import type { LayerShape, NetworkSpec } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { RefineOptions } from './evalSchedule.js';
import type { LossName } from './loss.js';
import type { LambdaPolicy } from './policy.js';

// The shapes of a training run: what it takes (TrainOptions, TrainData), what it logs (EvalRecord) and what it
// returns (TrainResult). A module of types only, so the trainer's pieces (validation, memory estimate, run state,
// evaluation, summary) share them without importing the trainer.

/** The data a run trains and evaluates on (float64 matrices; targets one row per example). */
export interface TrainData {
  /** Training inputs, n×d (rows are examples; images flattened in C order). */
  x: Mat;
  /** Training targets, n×k. */
  y: Mat;
  /** Test inputs, m×d. */
  xTest: Mat;
  /** Test targets, m×k. */
  yTest: Mat;
  /** Says what the data is, for results files. */
  description?: string;
  /** Images or sequences: the rows are examples flattened in C order, of this per-example shape (see bindFinite). */
  inputShape?: LayerShape;
}

/** Everything one training run is given: the network, the data, the optimizer settings, where it logs and checkpoints. */
export interface TrainOptions {
  /** The architecture (NTK parameterization by default); its readout width must equal the targets' k. */
  spec: NetworkSpec;
  /** Training and test sets (float64 matrices; converted to float32 for tfjs). */
  data: TrainData;
  /** Learning rate η (physical time t = η·steps). */
  lr: number;
  /** Physical-time budget T: the run takes ceil(T/η) steps. */
  budget: number;
  /** λ: a constant, or a policy such as Auto L2. */
  lambda: number | LambdaPolicy;
  /** Data loss: 'mse' (default; (1/2n)Σ|f − y|²) or 'xent' (softmax cross-entropy). */
  loss?: LossName;
  /** Heavy-ball momentum μ (default 0: plain SGD, the Euler discretisation of the gradient flow). */
  momentum?: number;
  /** Mini-batch size (default 128; ≥ n gives full-batch gradient descent). */
  batchSize?: number;
  /** Seed of the initialization and of the batch order (default 0). */
  seed?: number;
  /** Evaluations per decade of steps, log-spaced from step 1 (default 24), plus step 0 and the last step. */
  evalsPerDecade?: number;
  /**
   * Refine the evaluation grid after the first pass (default: off): the brackets around the best test accuracy,
   * the lowest test loss and the first crossing of each accuracy level are replayed from in-memory snapshots of the
   * first pass and evaluated every ≤ 2% in time (see evalSchedule.ts); the records end up in step order.
   */
  refine?: RefineOptions;
  /** Training points used for the logged train loss/accuracy: the first min(n, evalTrainSize) (default 2048). */
  evalTrainSize?: number;
  /**
   * Log the train loss/accuracy on a fixed seeded random subset of this many training points instead (the same
   * points at every evaluation, for every seed; see evalSubset.ts): cheaper evaluations when n is large. The test
   * metrics, where t* comes from, always use the whole test set. Not together with evalTrainSize.
   */
  evalTrainSubset?: number;
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
  /** tfjs backend (default 'auto': tfjs-node-gpu, hardware webgpu, tfjs-node, wasm, cpu — the first available). */
  backend?: TfBackendName;
  /** Refuse the run, before anything is created, when its estimated peak memory is over this (default: half the machine's memory, at most 8 GiB). */
  maxMemoryBytes?: number;
  /** Called after each evaluation. */
  onEval?: (rec: EvalRecord, totalSteps: number) => void;
}

/** One evaluation, as logged (one JSON line). Losses are the bare data term (no L2). */
export interface EvalRecord {
  /** SGD step. */
  step: number;
  /** Physical time η·step. */
  t: number;
  /** λ in force at this step. */
  lambda: number;
  /** Λ(t) = ∫λ dt. */
  integratedLambda: number;
  /** Data loss on the evaluation subset of the training set. */
  trainLoss: number;
  /** Accuracy on that subset, in [0, 1]. */
  trainAcc: number;
  /** Data loss on the test set. */
  testLoss: number;
  /** Accuracy on the test set, in [0, 1]. */
  testAcc: number;
  /** |θ|². */
  paramNorm2: number;
  /** Empirical NTK on the probe set: trace/N and Frobenius norm/N (when tracked at this step). */
  kernelTrace?: number;
  /** Frobenius norm of the probe set's empirical NTK divided by N (see kernelTrace). */
  kernelFrob?: number;
}

/** A finished run: its evaluations, the summary numbers (t*, bests, finals) and how it ran. */
export interface TrainResult {
  /** Every evaluation, in step order (as log.jsonl). */
  records: EvalRecord[];
  /** Number of SGD steps taken (ceil(T/η)). */
  steps: number;
  /** Time of the best test accuracy and of the lowest test loss, and whether it is the last evaluation. */
  tStarAcc: number;
  /** Time of the lowest test loss. */
  tStarLoss: number;
  /** Best test accuracy over the evaluations. */
  bestTestAcc: number;
  /** Lowest test loss over the evaluations (bare data loss, no L2 term). */
  bestTestLoss: number;
  /** The best accuracy came at the last evaluation (t* only a lower bound). */
  accAtEdge: boolean;
  /** The lowest loss came at the last evaluation. */
  lossAtEdge: boolean;
  /** Relative time resolution of tStarAcc: the larger gap to a neighbouring evaluation over t*. */
  tStarAccResolution: number;
  /** Relative time resolution of tStarLoss (as tStarAccResolution). */
  tStarLossResolution: number;
  /** Test accuracy at the end of the budget. */
  finalTestAcc: number;
  /** Test loss at the end of the budget. */
  finalTestLoss: number;
  /** Number of Dense layers (the homogeneity degree for bias-free ReLU nets). */
  depth: number;
  /** Number of parameters. */
  paramCount: number;
  /** The tfjs backend that ran it. */
  backend: string;
  /** Training examples per second of wall time (steps × batch / seconds). */
  examplesPerSecond: number;
  /** Wall-clock seconds of this process's share of the run. */
  wallSeconds: number;
  /**
   * Of wallSeconds, the seconds spent in evaluations (forward passes over the evaluated training points and the test
   * set, |θ|², the kernel probe). evalSeconds + trainSeconds ≤ wallSeconds; the rest is logging, checkpoints and
   * refinement snapshots. null: a result loaded from a result.json written before this field existed.
   */
  evalSeconds: number | null;
  /** Of wallSeconds, the seconds spent in training steps (forward, backward and update); null as evalSeconds. */
  trainSeconds: number | null;
  /** The checkpoint step this run resumed from (null: started fresh). */
  resumedFromStep: number | null;
  /** Precision of the finite network. */
  dtype: 'float32 (tfjs)';
}

