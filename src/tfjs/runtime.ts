import type * as TF from '@tensorflow/tfjs';

/**
 * The tfjs namespace, handed over by ./backend.ts when it loads. Layer modules reach tfjs through here
 * instead of importing it: the analytic-kernel worker threads load the layer modules and must not pay
 * tfjs's start-up (~0.4 s each) for code they never run. Every finite-network entry point calls
 * `initTfjs()` first, which loads ./backend.ts and so fills this in.
 */
let tfModule: typeof TF | null = null;

export function provideTf(mod: typeof TF): void {
  tfModule = mod;
}

export function tfRuntime(): typeof TF {
  if (!tfModule) throw new Error('internal: TensorFlow.js is not loaded; call initTfjs() before using finite networks');
  return tfModule;
}

export type { TF };
