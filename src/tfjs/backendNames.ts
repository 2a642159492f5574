/** TensorFlow.js backends ntk-l2 can use. All compute in float32. */
export type TfBackendName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/**
 * Every accepted backend name, for argument checks and help texts. Kept apart from backend.ts so that the CLI
 * can check its arguments without loading TensorFlow.js.
 */
export const TF_BACKEND_NAMES: readonly TfBackendName[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
