import type { Command } from 'commander';
import { analyticKernel } from '../kernels/analytic.js';
import { maxSquaredNorm } from '../kernels/outOfCoreEmpirical.js';
import { assertFiniteKernel } from '../kernels/finiteKernel.js';
import { defaultMemoryLimit, parseMemoryLimit } from '../kernels/memory.js';
import { parseSpec } from '../layers/json.js';
import { withHiddenWidth } from '../layers/network.js';
import type { NetworkSpec } from '../layers/types.js';
import { TF_BACKEND_NAMES, type TfBackendName } from '../tfjs/backendNames.js';
import { parseInteger } from './parse.js';
import { getLinalg } from '../linalg/index.js';
import { writeNpy } from '../io/npy.js';
import { readInputs, type NetworkInputs } from '../data/inputs.js';
import { INPUT_SHAPE_HELP } from './dataArgs.js';
import { checkOutputFile, makeParentDir } from '../io/outputPath.js';
import { InputError, quote } from '../util/errors.js';
import { progressBar } from './progress.js';
import { checkOutOfCoreOptions, kernelOutOfCore, wantsOutOfCore, type OutOfCoreCliOptions } from './kernelOutOfCore.js';

interface KernelCliOptions extends OutOfCoreCliOptions {
  arch: string;
  x1: string;
  x2?: string;
  get: string;
  out: string;
  maxMemory?: string;
  threads?: string;
  linalg: string;
  quiet?: boolean;
  empirical?: boolean;
  width?: string;
  seeds?: string;
  seed?: string;
  method?: string;
  backend?: string;
  stderr?: string;
  force?: boolean;
}

const EMPIRICAL_ONLY = ['width', 'seeds', 'seed', 'method', 'backend', 'stderr'] as const;

export function registerKernelCommand(program: Command): void {
  program
    .command('kernel')
    .description('NTK or NNGP between the rows of X1 and X2, written as an N1×N2 float64 .npy: analytic (infinite width), or --empirical (finite networks, Monte Carlo over --seeds)')
    .requiredOption('--arch <spec>', 'architecture: a .json file, a JSON string, or the one-line form')
    .requiredOption('--x1 <file>', 'inputs X1: N1×d (.npy, .csv or .json), or .npy N1×L×C sequences / N1×H×W×C images')
    .option('--x2 <file>', 'inputs X2, the same shape per example as X1; default X1')
    .option('--get <which>', 'ntk or nngp', 'ntk')
    .requiredOption('--out <file.npy>', 'output .npy (float64, N1×N2), written atomically')
    .option('--max-memory <size>', `refuse if the estimated peak memory exceeds this (e.g. 16G; default ${Math.round(defaultMemoryLimit() / 2 ** 30)}G)`)
    .option('--threads <n>', 'worker threads (default: all cores)')
    .option('--linalg <backend>', 'auto, native (OpenBLAS/LAPACK) or js', 'auto')
    .option('--force', 'replace an existing --out (and --stderr) .npy file')
    .option('--quiet', 'no progress bar')
    .option('--empirical', 'finite networks on TensorFlow.js instead of the infinite-width formula')
    .option('--width <n>', 'with --empirical: width of every Dense layer and channels of every conv but the readout (default: the spec\'s widths)')
    .option('--seeds <S>', 'with --empirical: average over S seeded networks (default 1)')
    .option('--seed <s>', 'with --empirical: seed of the first network; network i uses seed s + i (default 0)')
    .option('--method <m>', 'with --empirical: structured (default; no Jacobian) or jacobian (autodiff reference)')
    .option('--backend <b>', 'with --empirical: tfjs backend auto, webgpu (GPU through Dawn, when installed), wasm, cpu or tensorflow (tfjs-node[-gpu], when installed)')
    .option('--stderr <file.npy>', 'with --empirical and --seeds ≥ 2: write the standard error of the mean (N1×N2 float64; in memory only, not with --out-of-core)')
    .option('--out-of-core', 'write the kernel to disk one row tile at a time (memory bounded by a tile, resumable after a kill; docs/scaling.md)')
    .option('--tile-rows <n>', 'out of core: rows per tile (default: as many as fit in --tile-memory)')
    .option('--tile-memory <size>', 'out of core: working memory of one tile, e.g. 2G (default 1G)')
    .option('--dtype <type>', 'out of core: float64 (default) or float32 on disk')
    .option('--tile <i/n>', 'out of core: compute only part i of n (0 ≤ i < n) into OUT-stem.part<i>of<n>.npy + .json; merge with ntk kernel-merge')
    .addHelpText(
      'after',
      `
Examples:
  ntk kernel --arch examples/relu3.json --x1 examples/digits128.npy --out K.npy
  ntk kernel --arch "[dense(512, wStd=1.4) > relu]*2 > dense(10)" --x1 X.npy --x2 Xtest.npy --out Ktest.npy
  ntk kernel --arch "standard: dense(256, 1, 0.1) > erf > dense(1)" --x1 X.npy --get nngp --out K.npy
  ntk kernel --arch examples/relu3.json --x1 examples/digits128.npy --empirical --width 1024 --seeds 8 \\
      --out Kemp.npy --stderr Kemp_se.npy
  ntk kernel --arch examples/relu3.json --x1 X60k.npy --out-of-core --dtype float32 --tile-memory 2G --out K60k.npy
      (out of core: a kernel larger than memory, one row tile at a time; rerun the same command after a kill to resume;
       --tile i/n splits it over jobs and ntk kernel-merge puts the parts together: docs/scaling.md)
  ntk kernel --arch '[{"type":"conv","channels":64,"filter":[3,3],"strides":[1,1],"padding":"SAME","wStd":1.41421356,"bStd":0},
      {"type":"relu"},{"type":"globalAvgPool"},{"type":"dense","width":10}]' --x1 images.npy --out Kimg.npy
      (images.npy: N×H×W×C, e.g. np.save("images.npy", x.reshape(-1, 28, 28, 1).astype(np.float32)))

${INPUT_SHAPE_HELP}
Spatial kernels cost memory like (H·W)² per pair when pooling needs the full spatial covariance (H·W without
pooling): the estimate is checked against --max-memory before any work and named in the refusal.

One-line architecture form: [ntk: | standard:] layer > layer > ...; [group]*N repeats a group.
Layers: dense(width, wStd=1, bStd=0), relu, erf, gelu, tanh, abrelu(a, b), leakyrelu(alpha), abs, identity,
layernorm (right after a dense layer for the analytic kernel), batchnorm (parsed; no kernel, no finite form yet).
conv, avgPool, globalAvgPool, flatten, parallel/fanInSum and residual: JSON form only, e.g. {"type":"flatten"}.
On success stdout gets one JSON line describing the result; errors go to stderr with exit code 2.
Empirical kernels: float32 products on the tfjs backend (the JSON line names it), float64 sums; the NTK is the
trace over outputs divided by k, the NNGP is f·f'ᵀ/k; --seeds S gives the mean over S networks.`,
    )
    .action(async (o: KernelCliOptions) => {
      const started = Date.now();
      const spec = parseSpec(o.arch);
      if (o.get !== 'ntk' && o.get !== 'nngp') throw new InputError(`--get must be ntk or nngp, got "${o.get}"`);
      if (!/\.npy$/i.test(o.out)) throw new InputError(`--out must name a .npy file, got ${quote(o.out)}`);
      const outPath = checkOutputFile(o.out, { force: o.force });
      if (o.linalg !== 'auto' && o.linalg !== 'native' && o.linalg !== 'js') throw new InputError(`--linalg must be auto, native or js, got "${o.linalg}"`);
      const threads = o.threads === undefined ? undefined : Number(o.threads);
      if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new InputError(`--threads must be a positive integer, got "${o.threads}"`);
      if (o.maxMemory !== undefined) parseMemoryLimit(o.maxMemory); // refused before any file is read
      const outOfCore = wantsOutOfCore(o);
      if (outOfCore) {
        if (o.empirical && o.stderr !== undefined) throw new InputError('--stderr is not written out of core; drop --stderr, or run --empirical in memory to get the standard error');
        checkOutOfCoreOptions(o);
      }
      const readLimit = o.maxMemory ? parseMemoryLimit(o.maxMemory) : undefined;
      const x1 = readInputs(o.x1, { name: 'X1', maxMemoryBytes: readLimit });
      const x2 = o.x2 ? readInputs(o.x2, { name: 'X2', maxMemoryBytes: readLimit }) : undefined;
      if (o.empirical) {
        await empiricalCommand(o, spec, x1, x2, started, outPath, outOfCore);
        return;
      }
      const used = EMPIRICAL_ONLY.filter((key) => o[key] !== undefined);
      if (used.length) throw new InputError(`--${used[0]} needs --empirical (analytic kernels have no width or seeds)`);
      if (outOfCore) {
        await kernelOutOfCore(o, spec, x1, x2, threads, getLinalg(o.linalg), started);
        return;
      }
      const bar = progressBar(`${o.get.toUpperCase()} rows`, o.quiet);
      try {
        const res = await analyticKernel(spec, x1, x2, {
          get: o.get,
          maxMemoryBytes: o.maxMemory ? parseMemoryLimit(o.maxMemory) : undefined,
          threads,
          linalg: getLinalg(o.linalg),
          onProgress: bar.update,
        });
        bar.stop();
        const k = o.get === 'ntk' ? res.ntk : res.nngp;
        if (!k) throw new Error('kernel result missing');
        makeParentDir(outPath, o.out);
        writeNpy(outPath, { shape: [k.rows, k.cols], data: k.data });
        process.stdout.write(
          JSON.stringify({ out: o.out, kernel: o.get, shape: [k.rows, k.cols], dtype: 'float64', parameterization: spec.parameterization, seconds: (Date.now() - started) / 1000 }) + '\n',
        );
      } finally {
        bar.stop();
      }
    });
}

/** `ntk kernel --empirical`: the Monte Carlo mean (and standard error) of finite networks' kernels. */
async function empiricalCommand(o: KernelCliOptions, spec: NetworkSpec, x1: NetworkInputs, x2: NetworkInputs | undefined, started: number, outPath: string, outOfCore = false): Promise<void> {
  const method = o.method ?? 'structured';
  if (method !== 'structured' && method !== 'jacobian') throw new InputError(`--method must be structured or jacobian, got "${method}"`);
  const backend = (o.backend ?? 'auto') as TfBackendName;
  if (!TF_BACKEND_NAMES.includes(backend)) throw new InputError(`--backend must be auto, webgpu, wasm, cpu or tensorflow, got "${backend}"`);
  const seeds = o.seeds === undefined ? 1 : parseInteger(o.seeds, '--seeds');
  const seed0 = o.seed === undefined ? 0 : parseInteger(o.seed, '--seed', 0);
  if (o.stderr !== undefined) {
    if (seeds < 2) throw new InputError('--stderr needs --seeds 2 or more (the standard error of one network is undefined)');
    if (!/\.npy$/i.test(o.stderr)) throw new InputError(`--stderr must name a .npy file, got ${quote(o.stderr)}`);
  }
  const stderrPath = o.stderr === undefined ? undefined : checkOutputFile(o.stderr, { force: o.force, flag: '--stderr' });
  if (stderrPath === outPath) throw new InputError('--stderr and --out name the same file');
  const net = o.width === undefined ? spec : withHiddenWidth(spec, parseInteger(o.width, '--width'));
  if (outOfCore) {
    // row tiles of the same seeded networks' Monte Carlo mean, to disk (src/kernels/outOfCoreEmpirical.ts)
    const { empiricalTiles } = await import('../kernels/outOfCoreEmpirical.js');
    const width = o.width === undefined ? undefined : parseInteger(o.width, '--width');
    const get = o.get as 'ntk' | 'nngp';
    const tiles = empiricalTiles(net, x1, x2, { get, seeds, seed0, method, backend, width, linalg: getLinalg(o.linalg as 'auto' | 'native' | 'js') });
    await kernelOutOfCore(o, net, x1, x2, undefined, getLinalg(o.linalg as 'auto' | 'native' | 'js'), started, { source: tiles, describe: { empirical: true, method, seeds, seed0, backend } });
    return;
  }
  // Loaded here so that analytic runs do not pay TensorFlow.js's start-up.
  const { monteCarloKernel } = await import('../kernels/monteCarlo.js');
  const bar = progressBar(`networks (${method})`, o.quiet);
  try {
    const res = await monteCarloKernel(net, x1, x2, {
      seeds,
      seed0,
      method,
      backend,
      maxMemoryBytes: o.maxMemory ? parseMemoryLimit(o.maxMemory) : undefined,
      linalg: getLinalg(o.linalg as 'auto' | 'native' | 'js'),
      onProgress: bar.update,
    });
    bar.stop();
    const k = o.get === 'ntk' ? res.ntk : res.nngp;
    const se = o.get === 'ntk' ? res.ntkStderr : res.nngpStderr;
    // Finite networks can overflow too (float32 products): nothing non-finite is written.
    const maxSq = maxSquaredNorm(x1, x2);
    assertFiniteKernel(k, `empirical ${o.get.toUpperCase()}`, maxSq);
    if (se) assertFiniteKernel(se, `standard error of the empirical ${o.get.toUpperCase()}`, maxSq);
    makeParentDir(outPath, o.out);
    if (stderrPath && se) makeParentDir(stderrPath, o.stderr!);
    writeNpy(outPath, { shape: [k.rows, k.cols], data: k.data });
    if (stderrPath && se) writeNpy(stderrPath, { shape: [se.rows, se.cols], data: se.data });
    const widths = net.layers.flatMap((l) => (l.width === undefined ? [] : [l.width]));
    process.stdout.write(
      JSON.stringify({
        out: o.out,
        stderr: o.stderr ?? null,
        kernel: o.get,
        empirical: true,
        shape: [k.rows, k.cols],
        dtype: 'float64',
        compute: res.dtype,
        method: res.method,
        backend: res.backend,
        seeds: res.seeds,
        seed0: res.seed0,
        denseWidths: widths,
        parameters: res.paramCount,
        outputs: res.outputs,
        parameterization: spec.parameterization,
        seconds: (Date.now() - started) / 1000,
      }) + '\n',
    );
  } finally {
    bar.stop();
  }
}

