import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { analyticKernel } from '../kernels/analytic.js';
import { defaultMemoryLimit, parseBytes } from '../kernels/memory.js';
import { parseSpec } from '../layers/json.js';
import { getLinalg } from '../linalg/index.js';
import { readMatrix, writeNpy } from '../io/npy.js';
import { InputError } from '../util/errors.js';
import { progressBar } from './progress.js';

interface KernelCliOptions {
  arch: string;
  x1: string;
  x2?: string;
  get: string;
  out: string;
  maxMemory?: string;
  threads?: string;
  linalg: string;
  quiet?: boolean;
}

export function registerKernelCommand(program: Command): void {
  program
    .command('kernel')
    .description('Analytic NTK or NNGP (float64) between the rows of X1 and X2, written as an N1×N2 .npy')
    .requiredOption('--arch <spec>', 'architecture: a .json file, a JSON string, or the one-line form')
    .requiredOption('--x1 <file>', 'inputs X1 (N1×d): .npy (float32/float64), .csv or .json')
    .option('--x2 <file>', 'inputs X2 (N2×d); default X1')
    .option('--get <which>', 'ntk or nngp', 'ntk')
    .requiredOption('--out <file.npy>', 'output .npy (float64, N1×N2), written atomically')
    .option('--max-memory <size>', `refuse if the estimated peak memory exceeds this (e.g. 16G; default ${Math.round(defaultMemoryLimit() / 2 ** 30)}G)`)
    .option('--threads <n>', 'worker threads (default: all cores)')
    .option('--linalg <backend>', 'auto, native (OpenBLAS/LAPACK) or js', 'auto')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  ntk kernel --arch examples/relu3.json --x1 examples/digits128.npy --out K.npy
  ntk kernel --arch "[dense(512, wStd=1.4) > relu]*2 > dense(10)" --x1 X.npy --x2 Xtest.npy --out Ktest.npy
  ntk kernel --arch "standard: dense(256, 1, 0.1) > erf > dense(1)" --x1 X.npy --get nngp --out K.npy

One-line architecture form: [ntk: | standard:] layer > layer > ...; [group]*N repeats a group.
Layers: dense(width, wStd=1, bStd=0), relu, erf, abrelu(a, b), leakyrelu(alpha), abs, identity.
On success stdout gets one JSON line describing the result; errors go to stderr with exit code 2.`,
    )
    .action(async (o: KernelCliOptions) => {
      const started = Date.now();
      const spec = parseSpec(o.arch);
      if (o.get !== 'ntk' && o.get !== 'nngp') throw new InputError(`--get must be ntk or nngp, got "${o.get}"`);
      if (!/\.npy$/i.test(o.out)) throw new InputError(`--out must name a .npy file, got "${o.out}"`);
      if (o.linalg !== 'auto' && o.linalg !== 'native' && o.linalg !== 'js') throw new InputError(`--linalg must be auto, native or js, got "${o.linalg}"`);
      const threads = o.threads === undefined ? undefined : Number(o.threads);
      if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new InputError(`--threads must be a positive integer, got "${o.threads}"`);
      const x1 = readMatrix(o.x1, { name: 'X1' });
      const x2 = o.x2 ? readMatrix(o.x2, { name: 'X2' }) : undefined;
      const bar = progressBar(`${o.get.toUpperCase()} rows`, o.quiet);
      try {
        const res = await analyticKernel(spec, x1, x2, {
          get: o.get,
          maxMemoryBytes: o.maxMemory ? parseBytes(o.maxMemory) : undefined,
          threads,
          linalg: getLinalg(o.linalg),
          onProgress: bar.update,
        });
        bar.stop();
        const k = o.get === 'ntk' ? res.ntk : res.nngp;
        if (!k) throw new Error('kernel result missing');
        mkdirSync(dirname(resolve(o.out)), { recursive: true });
        writeNpy(o.out, { shape: [k.rows, k.cols], data: k.data });
        process.stdout.write(
          JSON.stringify({ out: o.out, kernel: o.get, shape: [k.rows, k.cols], dtype: 'float64', parameterization: spec.parameterization, seconds: (Date.now() - started) / 1000 }) + '\n',
        );
      } finally {
        bar.stop();
      }
    });
}
