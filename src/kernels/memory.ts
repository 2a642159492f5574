import { totalmem } from 'node:os';
import { InputError } from '../util/errors.js';

/**
 * What an analytic-kernel call will hold in memory at its peak, in bytes. Grows like 8·N1·N2·(matrices).
 * @param n1 - rows of X1
 * @param n2 - rows of X2
 * @param d - input dimension
 * @param depth - number of layers
 * @param get - which kernels are asked for
 * @returns the estimated peak, in bytes
 */
export function kernelMemoryBytes(n1: number, n2: number, d: number, depth: number, get: KernelGet): number {
  const matrices = get === 'nngp' ? 1 : 2; // the NNGP buffer is the working buffer even when only Θ is returned
  const gramCopy = 1; // the input Gram matrix before it is moved into shared memory
  return 8 * (n1 * n2 * (matrices + gramCopy) + (n1 + n2) * (d + depth + 2));
}

/** Which analytic kernels a call computes: the NNGP K, the NTK Θ, or both (the NTK recursion needs K anyway). */
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

/**
 * A --max-memory value: parsed like `parseBytes`, and refused above the machine's total memory (a limit the
 * machine cannot honour would let a run swap or be killed instead of being refused up front).
 * @param text - bytes with an optional unit, e.g. "512M", "8G", "1.5GiB"
 * @param flag - the option named in errors (default --max-memory)
 * @returns the limit in bytes
 * @throws InputError for a malformed, non-positive or too large value
 */
export function parseMemoryLimit(text: string, flag = '--max-memory'): number {
  const bytes = parseBytes(text);
  if (bytes <= 0) throw new InputError(`${flag} must be positive, got "${text}"`);
  const total = totalmem();
  if (bytes > total) {
    throw new InputError(`${flag} ${formatBytes(bytes)} is more than this machine's total memory (${formatBytes(total)})`);
  }
  return bytes;
}

/** Shape of an L2-flow computation, for `flowMemoryBytes`. */
export interface FlowSize {
  /** Training points. */
  n: number;
  /** Test points (0 without a test set). */
  m: number;
  /** Outputs per point. */
  k: number;
  /** Output times per λ. */
  times: number;
  /** Number of λ values of a scan; absent for a single flow, whose f_train and f_test are all kept. */
  lambdas?: number;
}

/**
 * Peak bytes of the closed-form flow (dynamics/spectral.ts + trajectory.ts), float64:
 * Θ, its scaled copy and eigenvectors (3n²) and Θ(X*, X) (mn); per λ the mode responses g, h, zg, zh (4nT),
 * the test weights (2mkn) and, for f on T times, three T×(points)×k buffers (coordinates, gemm result, output).
 * A single flow keeps f_train and f_test (T·(n+m)·k each way); a scan forms only f_test per λ and keeps, for
 * every λ, four curves of T values (counted at 32 bytes each: the float and its JSON text).
 * @param s - problem size: n, m, k, number of times, and for a scan the number of λ values
 * @returns the estimated peak, in bytes
 */
export function flowMemoryBytes(s: FlowSize): number {
  const { n, m, k, times: T } = s;
  const base = 3 * n * n + m * n + 4 * n * T + 2 * m * k * n;
  if (s.lambdas === undefined) return 8 * (base + 3 * T * (n + m) * k);
  return 8 * (base + 3 * T * m * k) + s.lambdas * 4 * T * 32;
}
