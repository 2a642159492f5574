/**
 * ntk-l2 public API. Everything numeric here is float64 unless stated otherwise.
 *
 * Layers and specs:   serial, dense, relu, erf, gelu, tanh, abrelu, leakyRelu, abs, identity, elementwise (any φ,
 *                     kernel by Gauss–Hermite quadrature), parseSpec, specFromJson, specToJson;
 *                     composites parallel, fanInSum, residual (layers themselves: closed composition);
 *                     on images (N×H×W×C, channels last): conv, flatten, globalAvgPool, avgPool
 * Analytic kernels:   analyticKernel (async, worker threads), analyticKernelSync, ntkKernel, nngpKernel, kernelDiagonal;
 *                     the first four take images too (then single-threaded)
 * Finite networks:    serial(...).init / .apply (TensorFlow.js, float32; call initTfjs first), withHiddenWidth
 * Empirical kernels:  empiricalKernel (structured or Jacobian method), monteCarloKernel (mean ± standard error
 *                     over seeds), ntkConvergence (error against the analytic NTK versus width)
 * Training:         trainRun (SGD + L2, logs, checkpoints, resume), autoL2 / constantLambda (λ policies)
 * Experiments:      lambdaSweep, predictLambda (one seed or predictLambdaOverSeeds), compareAutoL2, finiteVsInfinite (each resumable in a folder; `jobs` runs train side by side in worker threads)
 * Kernel under L2:    ntkUnderL2 (Θ_t = e^{2Λ}Θ(σ_w e^{−Λ}, σ_b e^{−Λ}), any spec)
 * L2 flow:            eigenbasis (once), spectralSolve (constant λ, closed form), scheduledSolve /
 *                     scheduledSolveBatch (piecewise-constant λ(t), DOPRI5; float64 or tfjs float32 arrays),
 *                     spectralTrajectory + trajectoryCurves (MSE/accuracy curves without forming f on train)
 * Observables:        mseOverTime, accuracyOverTime, bestTime, kernelScale, deepFilter, linearFilter, logLogSlope
 * λ scans:            lambdaScan, logspace, kernelRidgeTestMse (the L = 1 end point, solved directly); data: mnistSplit,
 *                     standardize, oneHot, centredOneHot, bundledDataset
 * Linear algebra:     getLinalg (native OpenBLAS/LAPACK or the TypeScript fallback), linalgInfo
 * I/O:                readNpy, writeNpy, readMatrix
 * Errors:             InputError (bad user input), SpecError (bad architecture)
 */
export { weightLayerCount, homogeneityDegree, outputWidth } from './layers/serial.js';
export { serial, network, parseSpec, parseOneLineSpec, specFromJson, type Network } from './network/network.js';
export { withHiddenWidth, type NetworkParams } from './layers/network.js';
export { dense, type DenseOptions } from './layers/dense.js';
export { relu, abrelu, leakyRelu, abs } from './layers/abrelu.js';
export { erf } from './layers/erf.js';
export { gelu } from './layers/gelu.js';
export { tanh } from './layers/tanh.js';
export { elementwise, hermiteRule, type ElementwiseFunctions, type ElementwiseOptions, type HermiteRule } from './layers/elementwiseNumerical.js';
export { identity } from './layers/identity.js';
export { layerNorm, LAYER_NORM_EPS } from './layers/layerNorm.js';
export { conv, type ConvOptions } from './layers/conv.js';
export { flatten } from './layers/flatten.js';
export { globalAvgPool } from './layers/globalAvgPool.js';
export { avgPool, type AvgPoolOptions } from './layers/avgPool.js';
export type { Padding } from './layers/window.js';
export { batchNorm, type BatchNormOptions } from './layers/batchNorm.js';
export { runWithState, stateSlot, type FiniteMode, type FiniteState, type StateSlot } from './layers/finiteState.js';
export { parallel } from './layers/parallel.js';
export { fanInSum } from './layers/fanInSum.js';
export { residual } from './layers/residual.js';
export { pointwiseKernel, pointwiseTransform, type PointwiseKernelFn } from './layers/pointwise.js';
export { specToJson } from './layers/json.js';
export type { Layer, LayerJson, NetworkSpec, NetworkSpecJson, Parameterization, FiniteTransform, StructuredNtkRule, KernelBlock, KernelValue, KernelFn, KernelTransform, FiniteValue, FiniteDelta, NtkAccumulator, InputGram, LayerShape, SpatialMode } from './layers/types.js';

export {
  analyticKernel,
  analyticKernelSync,
  ntkKernel,
  nngpKernel,
  kernelDiagonal,
  type KernelOptions,
  type KernelOptionsFor,
  type KernelResult,
  type KernelResultFor,
} from './kernels/analytic.js';
export { kernelMemoryBytes, flowMemoryBytes, parseMemoryLimit, type FlowSize, type KernelGet } from './kernels/memory.js';

export { empiricalKernel, type EmpiricalKernelOptions, type EmpiricalKernelResult, type EmpiricalMethod } from './kernels/empirical.js';
export { monteCarloKernel, type MonteCarloOptions, type MonteCarloKernelResult } from './kernels/monteCarlo.js';
export { ntkConvergence, type NtkConvergenceOptions, type NtkConvergenceResult } from './experiments/ntkConvergence.js';
export { convConvergence, convNet, convNetDescription, CONVERGENCE_SLOPE_RANGE, type ConvNetKind, type ConvConvergenceOptions, type ConvConvergenceResult } from './experiments/cnnConvergence.js';

export { ntkUnderL2, ntkUnderL2Diagonal, l2KernelRule, homogeneousKernelFactor, type L2KernelRule } from './kernels/underL2.js';
export { kernelUnderL2Check, claimVerdict, type KernelUnderL2CheckOptions, type KernelUnderL2Row, type KernelUnderL2CheckResult, type Verdict } from './experiments/kernelUnderL2Check.js';
export { L2_ARCHITECTURES, l2ArchitectureSpec, kernelDecayCnnRun, kernelDecayDefaults, type L2Architecture, type KernelDecayRunOptions } from './experiments/l2Architectures.js';
export { isPositivelyHomogeneous } from './layers/serial.js';

export { eigenbasis, type Eigenbasis, type EigenbasisOptions } from './dynamics/eigenbasis.js';
export { PSD_TOLERANCE, clipSpectrum, type PsdOptions, type SpectrumClip } from './dynamics/psdSpectrum.js';
export type { FlowProblem } from './dynamics/problem.js';
export { spectralSolve, spectralTrajectory } from './dynamics/spectral.js';
export { scheduledSolve, scheduledSolveBatch, scheduledSolveBatchAsync, scheduledTrajectories, scheduledTrajectoriesAsync, type ScheduledFlowOptions } from './dynamics/scheduledFlow.js';
export { trajectoryCurves, trajectoryOutputs, type EigenTrajectory, type FlowSolution } from './dynamics/trajectory.js';
export { constantSchedule, integratedLambda, lambdaAt, type LambdaSchedule } from './dynamics/schedule.js';
export { float64Arrays, type FlowArrays } from './dynamics/arrays.js';
export { tfjsArrays } from './dynamics/tfjsArrays.js';
export { initTfjs, tf, type TfBackendInfo, type TfBackendName } from './tfjs/backend.js';
export { probeWebGpu, type WebGpuAdapter, type WebGpuProbe } from './tfjs/webgpu.js';
export { modeResponse, modeResponses } from './dynamics/modeSolution.js';
export {
  mseOverTime,
  accuracyOverTime,
  bestTime,
  EDGE_ROUNDING_TOL,
  kernelScale,
  deepFilter,
  linearFilter,
  logLogSlope,
} from './dynamics/observables.js';
export { lambdaScan, logspace, type ScanResult, type ScanRow, type ScanOptions } from './experiments/lambdaScan.js';
export { kernelRidgeTestMse } from './dynamics/kernelRidge.js';
export { bundledDataset, bundledImages, fileDataset, type Dataset, type ImageDataset, type ImageDatasetOptions, type MnistImageSize } from './experiments/dataset.js';
export { readImages, asImages, flattenImages, matToImages, downsampleImages, standardizeImages, type Images, type ImageStandardization, type ReadImagesOptions } from './data/images.js';
export { mnistSplit, loadMnistDigits } from './data/mnist.js';
export { standardize, oneHot, centredOneHot, type Standardization } from './data/preprocess.js';
export { MAX_CLASSES, looksLikeLabels, readLabels } from './data/labels.js';

export { figureHtml, figureSnippet, writeFigure, startPngRenderer, type Figure, type FigureHtmlOptions, type SnippetOptions, type PngRenderer, type PngRendererOptions, type WrittenFigure } from './figures/figure.js';
export { notebookFigures, figureBundle, plotlyLoaderHtml, displayBundle, type NotebookFigures, type NotebookFiguresOptions, type MimeBundle, type HtmlDisplay } from './figures/notebook.js';
export { tstarTheoryFigure, collapseTheoryFigure, linearVsDeepFigure } from './figures/theory.js';
export { linearVsDeep, type LinearVsDeepResult } from './experiments/linearVsDeep.js';
export { tStarFitLines, type TStarFitLines } from './experiments/tStarFit.js';
export { type ConvergenceFigureLabels } from './figures/finite.js';
export { ntkConvergenceFigure, tstarFiniteFigure, collapseFiniteFigure, fixedBudgetFigure, autoL2Figure, kernelScaleFigure } from './figures/finite.js';

export { trainRun, type TrainOptions, type TrainResult, type TrainData, type EvalRecord } from './training/trainer.js';
export { updateStep, type UpdateSettings } from './training/updateStep.js';
export { evalSteps, denseSteps, refineWindows, type RefineOptions, type StepWindow } from './training/evalSchedule.js';
export { intervalVerdict, boundVerdict, pairedEarlierVerdict, allOf, verdictSummary, claimsPrintout, type Claim, type Interval } from './experiments/claim.js';
export { autoL2, type AutoL2Options, type AutoL2Decision, type AutoL2State, type AutoL2Policy } from './training/autoL2.js';
export { miniBatches, twoClassSubset, balancedSubset, syntheticRegression, syntheticClassification, type MiniBatch, type MiniBatchState, type MiniBatches, type Teacher } from './data/batches.js';
export { constantLambda, type LambdaPolicy } from './training/policy.js';
export type { LossName } from './training/loss.js';
export { lambdaSweep, type SweepOptions, type SweepResult } from './experiments/sweep.js';
export { predictLambda, predictLambdaOverSeeds, type PredictLambdaOptions, type PredictLambdaResult, type PredictLambdaSeedsResult } from './experiments/predictLambda.js';
export { compareAutoL2, type AutoL2CompareOptions, type AutoL2CompareResult } from './experiments/autoL2Compare.js';
export { finiteVsInfinite, type FiniteVsInfiniteOptions, type FiniteVsInfiniteResult } from './experiments/finiteVsInfinite.js';

export { getLinalg, linalgInfo } from './linalg/index.js';
export type { Linalg } from './linalg/types.js';
export { mat, fromRows, type Mat } from './linalg/matrix.js';

export {
  readNpy,
  writeNpy,
  encodeNpy,
  toNdArrayLike,
  readMatrix,
  MAX_NPY_RANK,
  MAX_NPY_ELEMENTS,
  type NdArray,
  type NdArray64,
  type NdArrayLike,
  type NestedNumbers,
  type NpyWritable,
  type NpyHeader,
  type ReadNpyOptions,
} from './io/npy.js';
export { InputError } from './util/errors.js';
export { SpecError } from './layers/specError.js';
export { Rng } from './util/random.js';
