import { totalmem } from 'node:os';
import { InputError } from '../util/errors.js';

/** What an analytic-kernel call will hold in memory at its peak, in bytes. Grows like 8·N1·N2·(matrices). */
export function kernelMemoryBytes(n1: number, n2: number, d: number, depth: number, get: KernelGet): number {
  const matrices = get === 'nngp' ? 1 : 2; // the NNGP buffer is the working buffer even when only Θ is returned
  const gramCopy = 1; // the input Gram matrix before it is moved into shared memory
  return 8 * (n1 * n2 * (matrices + gramCopy) + (n1 + n2) * (d + depth + 2));
}

export type KernelGet = 'nngp' | 'ntk' | 'both';

/** Default ceiling: half the machine's memory, at most 8 GiB. Users raise it with `maxMemoryBytes` / --max-memory. */
export function defaultMemoryLimit(): number {
  return Math.min(8 * 2 ** 30, Math.floor(totalmem() / 2));
}

export function formatBytes(b: number): string {
  if (b >= 2 ** 40) return `${(b / 2 ** 40).toFixed(b >= 2 ** 50 ? 0 : 2)} TiB`;
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`;
  return `${b} B`;
}

/** Parses "512M", "8G", "1.5GiB", "1000000" into bytes. */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new InputError(`cannot read memory size "${text}" (examples: 512M, 8G, 16GiB)`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}

export function checkMemory(needed: number, limit: number, what: string): void {
  if (needed > limit) {
    throw new InputError(
      `${what} needs about ${formatBytes(needed)}, over the memory limit of ${formatBytes(limit)}; ` +
        'raise it with --max-memory (library: maxMemoryBytes) or use fewer points',
    );
  }
}
