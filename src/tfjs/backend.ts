import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../util/errors.js';
import { NATIVE_TFJS_PACKAGES } from './nativePackages.js';
import { installMatMulGradient } from './ops.js';
import { provideTf } from './runtime.js';

provideTf(tf);
// Production mode: skips tfjs's debug-time checks and its console banner suggesting tfjs-node (ntk-l2 reports
// the active backend itself, and validates its inputs before they reach tfjs).
tf.enableProdMode();
installMatMulGradient();

/** TensorFlow.js backends ntk-l2 can use. All compute in float32. */
export type TfBackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface TfBackendInfo {
  backend: string;
  /** How it was chosen, for logs and results files. */
  reason: string;
  dtype: 'float32';
}

let active: TfBackendInfo | null = null;
const require = createRequire(import.meta.url);

/**
 * Selects the tfjs backend once per process and reports it:
 * - 'tensorflow': libtensorflow through `@tensorflow/tfjs-node-gpu` (NVIDIA GPU) or `@tensorflow/tfjs-node`
 *   (CPU), used when the user has installed one of them (they are optional: their install downloads
 *   libtensorflow, so ntk-l2 does not depend on them);
 * - 'wasm': `@tensorflow/tfjs-backend-wasm` with its .wasm files read from node_modules (default);
 * - 'cpu': plain JavaScript (slowest; always available).
 * 'auto' takes the first that works in that order. A later call with another preference switches backend.
 */
export async function initTfjs(preference: TfBackendName = 'auto'): Promise<TfBackendInfo> {
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(preference)) {
    throw new InputError(`backend must be auto, tensorflow, wasm or cpu, got "${preference}"`);
  }
  if (active && (preference === 'auto' || preference === active.backend)) return active;
  const tried: string[] = [];
  if (preference === 'auto' || preference === 'tensorflow') {
    for (const pkg of NATIVE_TFJS_PACKAGES) {
      try {
        await import(pkg);
        if (await tf.setBackend('tensorflow')) {
          await tf.ready();
          return (active = { backend: 'tensorflow', reason: `${pkg} is installed`, dtype: 'float32' });
        }
      } catch {
        tried.push(`${pkg} not installed`);
      }
    }
    if (preference === 'tensorflow') {
      throw new InputError('backend "tensorflow" needs @tensorflow/tfjs-node-gpu (NVIDIA GPU) or @tensorflow/tfjs-node installed next to ntk-l2 (see README "GPU")');
    }
  }
  if (preference === 'auto' || preference === 'wasm') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return (active = { backend: 'wasm', reason: preference === 'auto' ? `default (${tried.join('; ') || 'no native tfjs'})` : 'requested', dtype: 'float32' });
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
