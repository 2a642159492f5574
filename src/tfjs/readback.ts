import type { Tensor } from '@tensorflow/tfjs';
import { tfRuntime } from './runtime.js';

/**
 * Whether the active backend can read tensors back synchronously (`dataSync`). The webgpu backend cannot in
 * Node.js (its synchronous read goes through a browser canvas): code that may run there reads with `await data()`
 * or through a `Readback`.
 */
export function syncReadsAvailable(): boolean {
  return tfRuntime().getBackend() !== 'webgpu';
}

/**
 * Reads float32 tensors back for code that must stay synchronous (callbacks that layer modules call): at once
 * where the backend reads synchronously, as before; otherwise (webgpu) the tensors are kept, outliving any
 * enclosing tf.tidy, and read all together by `flush()`. Either way each `use` runs once, in the order of the
 * `read` calls, so float64 sums come out identical; the tensors are disposed after their use.
 */
export class Readback {
  private readonly queue: { tensors: Tensor[]; use: (values: Float32Array[]) => void }[] = [];
  private readonly deferred = !syncReadsAvailable();

  /** Reads `tensors` (taking ownership of them) and hands their values to `use`, now or at `flush()`. */
  read(tensors: Tensor[], use: (values: Float32Array[]) => void): void {
    if (!this.deferred) {
      const values = tensors.map((t) => t.dataSync() as Float32Array);
      tensors.forEach((t) => t.dispose());
      use(values);
      return;
    }
    const tf = tfRuntime();
    tensors.forEach((t) => tf.keep(t));
    this.queue.push({ tensors, use });
  }

  /** Runs every deferred use, in order. */
  async flush(): Promise<void> {
    try {
      while (this.queue.length) {
        const { tensors, use } = this.queue[0];
        const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
        this.queue.shift();
        tensors.forEach((t) => t.dispose());
        use(values);
      }
    } finally {
      this.dispose();
    }
  }

  /** Drops what was not read (after an error). */
  dispose(): void {
    for (const { tensors } of this.queue.splice(0)) tensors.forEach((t) => t.dispose());
  }
}
