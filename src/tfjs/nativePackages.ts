/**
 * The native TensorFlow.js packages, in the order the 'auto' backend tries them (GPU first). Kept apart from
 * backend.ts so that code deciding defaults can ask without loading TensorFlow.js.
 */
export const NATIVE_TFJS_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
