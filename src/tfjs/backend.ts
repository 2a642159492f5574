import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../util/errors.js';
import { TF_BACKEND_NAMES, type TfBackendName } from './backendNames.js';
import { NATIVE_TFJS_PACKAGES } from './nativePackages.js';
import { installNativeMatMul } from './nativeMatMul.js';
import { installMatMulGradient } from './ops.js';
import { installWasmConcat } from './wasmConcat.js';
import { installWasmGather } from './wasmGather.js';
import { installWasmPatches } from './wasmPatches.js';
import { installWasmReluGrad } from './wasmReluGrad.js';
import { installWasmBatchNorm } from './wasmBatchNorm.js';
import { installNativeTwoThreads } from './nativeTwoThreads.js';
import { installWasmScale } from './wasmScale.js';
import { installWasmSgd } from './wasmSgd.js';
import { installWasmSlice } from './wasmSlice.js';
import { provideTf } from './runtime.js';
import { adapterName, probeWebGpu, registerWebGpuBackend, type WebGpuAdapter } from './webgpu.js';

provideTf(tf);
// Production mode: skips tfjs's debug-time checks and its console banner suggesting tfjs-node (ntk-l2 reports
// the active backend itself, and validates its inputs before they reach tfjs).
tf.enableProdMode();
installMatMulGradient();

export { TF_BACKEND_NAMES, type TfBackendName } from './backendNames.js';

/** The backend in use, as logs and results files report it. */
export interface TfBackendInfo {
  /** The active tfjs backend: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  backend: string;
  /** How it was chosen, for logs and results files. */
  reason: string;
  /** tfjs computes in float32. */
  dtype: 'float32';
  /** What runs the wasm backend's matMul: the native addon's sgemm (its own product or OpenBLAS) or the stock XNNPACK kernel, and why. */
  matMul?: string;
  /** On wasm: what runs convolutions' im2col/col2im and pooling sums (native single ops or tfjs slices), and why. */
  patches?: string;
  /** On wasm: whether the SGD step (momentum + L2) runs as one fused op per parameter or as tfjs ops, and why. */
  sgdStep?: string;
  /** On wasm: whether relu's gradient runs as one fused native op or as tfjs's Step, Cast and Mul, and why. */
  reluGrad?: string;
  /** On wasm: whether a training-mode batchNorm runs as one fused native op (and one for its gradient) or as tfjs ops. */
  batchNorm?: string;
  /** On wasm: whether the native float32 loops run their halves on two threads (the linalg addon's helper) or one. */
  twoThreads?: string;
  /** On wasm: whether a large tensor times a scalar runs as a native loop (two threads in a single run) or stock. */
  scale?: string;
  /** The WebGPU adapter, when the backend is 'webgpu'. */
  adapter?: WebGpuAdapter;
}

let active: TfBackendInfo | null = null;
let webgpuNoticeShown = false;
const require = createRequire(import.meta.url);

/**
 * Selects the tfjs backend once per process and reports it:
 * - 'tensorflow': libtensorflow through `@tensorflow/tfjs-node-gpu` (NVIDIA GPU, CUDA 11.2 only) or
 *   `@tensorflow/tfjs-node` (CPU), used when the user has installed one of them (they are optional: their install
 *   downloads libtensorflow, so ntk-l2 does not depend on them);
 * - 'webgpu': `@tensorflow/tfjs-backend-webgpu` on Dawn (the optional `webgpu` package): Vulkan, Metal or D3D12,
 *   so any current GPU; an explicit request also takes a software adapter (SwiftShader, for tests);
 * - 'wasm': `@tensorflow/tfjs-backend-wasm` with its .wasm files read from node_modules (default);
 * - 'cpu': plain JavaScript (slowest; always available).
 * 'auto' takes the first that works of tfjs-node-gpu, a hardware WebGPU adapter, tfjs-node, wasm, cpu. A missing
 * or failing WebGPU degrades to wasm (the reason says why). A later call with another preference switches backend.
 * @param preference - 'auto' (default), 'tensorflow', 'webgpu', 'wasm' or 'cpu'
 * @returns which backend is active and why
 * @throws InputError for an unknown backend name
 */
export async function initTfjs(preference: TfBackendName = 'auto'): Promise<TfBackendInfo> {
  if (!TF_BACKEND_NAMES.includes(preference)) {
    throw new InputError(`backend must be auto, tensorflow, webgpu, wasm or cpu, got "${preference}"`);
  }
  if (active && (preference === 'auto' || preference === active.backend)) return active;
  const tried: string[] = [];
  const native = async (pkg: string): Promise<TfBackendInfo | null> => {
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return (active = { backend: 'tensorflow', reason: `${pkg} is installed`, dtype: 'float32' });
      }
    } catch {
      // not installed, or libtensorflow does not load
    }
    tried.push(`${pkg} not installed`);
    return null;
  };
  if (preference === 'auto' || preference === 'tensorflow') {
    const gpuPkg = await native(NATIVE_TFJS_PACKAGES[0]);
    if (gpuPkg) return gpuPkg;
  }
  if (preference === 'auto' || preference === 'webgpu') {
    const probe = await probeWebGpu();
    if (probe.adapter && (probe.hardware || preference === 'webgpu')) {
      try {
        await registerWebGpuBackend();
        if (await tf.setBackend('webgpu')) {
          await tf.ready();
          return (active = { backend: 'webgpu', reason: preference === 'auto' ? probe.reason : `requested (adapter ${adapterName(probe.adapter)}${probe.adapter.software ? ', a software renderer' : ''})`, dtype: 'float32', adapter: probe.adapter });
        }
        tried.push('webgpu backend did not start');
      } catch (e) {
        tried.push(`webgpu failed: ${(e as Error).message.split('\n')[0]}`);
      }
    } else {
      tried.push(probe.reason);
    }
    if (preference === 'webgpu' && !webgpuNoticeShown) {
      // a missing or failing WebGPU is not fatal: one line on stderr (once per process), then wasm
      webgpuNoticeShown = true;
      process.stderr.write(`ntk: webgpu unavailable (${tried[tried.length - 1]}); using wasm\n`);
    }
  }
  if (preference === 'auto' || preference === 'tensorflow') {
    for (const pkg of NATIVE_TFJS_PACKAGES.slice(1)) {
      const cpuPkg = await native(pkg);
      if (cpuPkg) return cpuPkg;
    }
    if (preference === 'tensorflow') {
      throw new InputError('backend "tensorflow" needs @tensorflow/tfjs-node-gpu (NVIDIA GPU, CUDA 11.2) or @tensorflow/tfjs-node installed next to ntk-l2 (see README "GPU")');
    }
  }
  if (preference !== 'cpu') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        installWasmSlice();
        installWasmConcat();
        installWasmGather();
        const patches = installWasmPatches().reason;
        const sgdStep = installWasmSgd();
        const reluGrad = installWasmReluGrad();
        const batchNorm = installWasmBatchNorm();
        const twoThreads = installNativeTwoThreads();
        const scale = installWasmScale();
        const matMul = installNativeMatMul().reason;
        const reason = preference === 'wasm' ? 'requested' : `${preference === 'webgpu' ? 'fallback' : 'default'} (${tried.join('; ') || 'no native tfjs'})`;
        return (active = { backend: 'wasm', reason, dtype: 'float32', matMul, patches, sgdStep, reluGrad, batchNorm, twoThreads, scale });
      }
    } catch (e) {
      if (preference === 'wasm') throw new InputError(`the wasm backend failed to start: ${(e as Error).message}`);
      tried.push(`wasm failed: ${(e as Error).message}`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return (active = { backend: 'cpu', reason: preference === 'cpu' ? 'requested' : `fallback (${tried.join('; ')})`, dtype: 'float32' });
}

export { tf };
