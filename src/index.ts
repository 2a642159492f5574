/**
 * ntk-l2 public API. Everything numeric here is float64 unless stated otherwise.
 *
 * Layers and specs:   serial, dense, relu, erf, abrelu, leakyRelu, abs, identity, parseSpec, specFromJson, specToJson
 * Analytic kernels:   analyticKernel (async, worker threads), analyticKernelSync, ntkKernel, nngpKernel, kernelDiagonal
 * Linear algebra:     getLinalg (native OpenBLAS/LAPACK or the TypeScript fallback), linalgInfo
 * I/O:                readNpy, writeNpy, readMatrix
 * Errors:             InputError (bad user input), SpecError (bad architecture)
 */
export { serial, denseLayerCount, outputWidth } from './layers/serial.js';
export { dense, type DenseOptions } from './layers/dense.js';
export { relu, abrelu, leakyRelu, abs } from './layers/abrelu.js';
export { erf } from './layers/erf.js';
export { identity } from './layers/identity.js';
export { parseSpec, parseOneLineSpec, specFromJson, specToJson } from './layers/json.js';
export type { Layer, LayerJson, NetworkSpec, NetworkSpecJson, Parameterization } from './layers/types.js';

export {
  analyticKernel,
  analyticKernelSync,
  ntkKernel,
  nngpKernel,
  kernelDiagonal,
  type KernelOptions,
  type KernelResult,
} from './kernels/analytic.js';
export { kernelMemoryBytes, type KernelGet } from './kernels/memory.js';

export { getLinalg, linalgInfo } from './linalg/index.js';
export type { Linalg } from './linalg/types.js';
export { mat, fromRows, type Mat } from './linalg/matrix.js';

export { readNpy, writeNpy, readMatrix, type NdArray } from './io/npy.js';
export { InputError } from './util/errors.js';
export { SpecError } from './layers/specError.js';
export { Rng } from './util/random.js';
