import type { Command } from 'commander';
import { eigenbasis } from '../dynamics/eigenbasis.js';
import { regularizedNote, type SpectrumClip } from '../dynamics/psdSpectrum.js';
import { AUTO_SPECTRAL_MAX_N, chooseScanSolver, krylovLambdaScan, lambdaScan, logspace, type ScanResult } from '../experiments/lambdaScan.js';
import { inMemoryRowBlocks } from '../linalg/rowBlocks.js';
import { checkOutputDir, writeOutputDir } from '../io/outputPath.js';
import { analyticKernel } from '../kernels/analytic.js';
import { checkMemory, defaultMemoryLimit, flowMemoryBytes, parseMemoryLimit } from '../kernels/memory.js';
import { ntkUnderL2Diagonal } from '../kernels/underL2.js';
import { parseSpec } from '../layers/json.js';
import { homogeneityDegree, weightLayerCount, isPositivelyHomogeneous } from '../layers/serial.js';
import { InputError } from '../util/errors.js';
import { csvTable } from '../io/csvTable.js';
import { parseLambdas } from './parse.js';
import { progressBar } from './progress.js';
import { addDataOptions, INPUT_SHAPE_HELP, loadDataset } from './dataArgs.js';
import { datasetInputs } from '../experiments/dataset.js';
import type { NetworkInputs } from '../data/inputs.js';
import { DEFAULT_MAX_BASIS, scanOnDisk } from './scanOnDisk.js';
import type { TargetEncoding } from '../experiments/dataset.js';

interface ScanCliOptions {
  arch: string;
  data?: string;
  x?: string;
  y?: string;
  xTest?: string;
  yTest?: string;
  lambdas: string;
  model: string;
  standardize?: string;
  targets: string;
  seed: string;
  out: string;
  force?: boolean;
  kernelOnly?: boolean;
  quiet?: boolean;
  regularize?: boolean;
  maxMemory?: string;
  solver: string;
  kernel?: string;
  kernelTest?: string;
  maxBasis?: string;
}

/** Points per λ on the λ·t grid (lambdaScan's default): fixes the scan's memory per λ. */
const SCAN_TIMES = 300;
/** Relative accuracy requested of the Krylov solver's train and test MSE values (its error estimate). */
const KRYLOV_TOL = 1e-8;

export function registerScanCommand(program: Command): void {
  const cmd = program
    .command('scan')
    .description('λ scan of the infinite-width L2 flow: t* (best test MSE / accuracy) against λ and the log-log slope')
    .requiredOption('--arch <spec>', 'architecture (file, JSON or one-line form); L = its number of weight layers (dense, conv) along every path');
  addDataOptions(cmd)
    .option('--lambdas <grid>', 'λ values: start:end:count (log-spaced) or a comma list', '1e-4:1e-1:13')
    .option('--model <deep|linear>', 'deep (L = number of weight layers) or linear (L = 1 on the same kernel)', 'deep')
    .option('--kernel-only', 'for non-homogeneous nets (biases, Erf): write the predicted kernel decay instead of t*')
    .requiredOption('--out <dir>', 'results folder: tstar.csv, tstar.json, curves.json')
    .option('--force', 'replace an existing --out folder')
    .option('--quiet', 'no progress bar and no table on stderr (stdout still carries the JSON line)')
    .option('--regularize', 'clip negative eigenvalues of an indefinite Θ to 0 (reported) instead of refusing it')
    .option('--solver <auto|spectral|krylov>', `flow solver: spectral (eigendecomposition), krylov (block Lanczos basis, tolerance ${KRYLOV_TOL}) or auto (spectral up to n = ${AUTO_SPECTRAL_MAX_N})`, 'auto')
    .option('--kernel <K.npy>', 'train kernel Θ(X, X) on disk (ntk kernel --out-of-core; or the target of unmerged --tile parts, or their folder) instead of inputs: streamed by the Krylov solver, never loaded; needs --kernel-test, --y, --y-test (--arch still gives L: give the kernel\'s architecture)')
    .option('--kernel-test <Kt.npy>', 'test–train kernel Θ(X*, X) on disk (m×n), with --kernel')
    .option('--max-basis <s>', `with --kernel: largest Krylov basis, in vectors (default min(n, ${DEFAULT_MAX_BASIS})); memory ≈ 8·s·(n + m)·1.5 bytes`)
    .option('--max-memory <size>', `refuse if the estimated peak memory exceeds this (e.g. 16G; default ${Math.round(defaultMemoryLimit() / 2 ** 30)}G)`)
    .addHelpText(
      'after',
      `
Examples:
  ntk scan --arch "dense(1024, wStd=1.41421356) > relu > dense(1024, wStd=1.41421356) > relu > dense(10, wStd=1.41421356)" --data mnist:500:1000 --out scan1
  ntk scan --arch net.json --x X.npy --y labels.npy --x-test XT.npy --y-test labelsT.npy --lambdas 1e-3:1e-1:9 --model linear --out scanlin
  ntk scan --arch cnn.json --data mnist:200:200 --image-size 14 --out scancnn
      (cnn.json: {"layers":[{"type":"conv","channels":64,"filter":[3,3],"strides":[1,1],"padding":"SAME","wStd":1.41421356},
       {"type":"relu"},{"type":"globalAvgPool"},{"type":"dense","width":10,"wStd":1.41421356}]}: L = 2 weight layers)

${INPUT_SHAPE_HELP}`,
    )
    .action(async (o: ScanCliOptions) => {
      const started = Date.now();
      const spec = parseSpec(o.arch);
      if (o.model !== 'deep' && o.model !== 'linear') throw new InputError(`--model must be deep or linear, got "${o.model}"`);
      chooseScanSolver(o.solver, 1); // refuses a bad --solver before any work
      if (spec.parameterization !== 'ntk') throw new InputError('the L2 flow uses the NTK parameterization (the standard one has no infinite-width limit)');
      const homogeneous = isPositivelyHomogeneous(spec);
      if (!homogeneous && !o.kernelOnly) {
        throw new InputError(
          'the output dynamics (−Lλf term) hold only for positively homogeneous nets (no biases; relu/abrelu/leakyrelu/abs/identity); ' +
            'this spec has biases or Erf. Pass --kernel-only for its predicted kernel decay instead',
        );
      }
      const lambdas = parseLambdas(o.lambdas);
      const memoryLimit = o.maxMemory !== undefined ? parseMemoryLimit(o.maxMemory) : defaultMemoryLimit();
      checkOutputDir(o.out, 'scan', o.force);
      if (o.kernel !== undefined || o.kernelTest !== undefined) {
        scanKernelFiles(o, spec, lambdas, memoryLimit, started);
        return;
      }
      const data = loadDataset(o, spec);
      const inputs = datasetInputs(data);
      const depth = o.model === 'linear' ? 1 : (homogeneityDegree(spec) ?? weightLayerCount(spec));
      if (depth < 1) throw new InputError('the architecture has no weight layer (dense or conv)');
      if (!o.kernelOnly || homogeneous) {
        const size = { n: data.x.rows, m: data.xTest.rows, k: data.y.cols, times: SCAN_TIMES, lambdas: lambdas.length };
        checkMemory(flowMemoryBytes(size), memoryLimit, `the scan (n = ${size.n}, m = ${size.m}, k = ${size.k}, ${lambdas.length} λ values)`);
      }
      if (o.kernelOnly && !homogeneous) {
        writeKernelOnly(o, spec, inputs.x, lambdas, data.description, memoryLimit);
        return;
      }
      const bar = progressBar('kernel rows', o.quiet);
      const thetaTrain = (await analyticKernel(spec, inputs.x, undefined, { get: 'ntk', onProgress: bar.update, maxMemoryBytes: memoryLimit })).ntk!;
      bar.stop();
      const thetaTest = (await analyticKernel(spec, inputs.xTest, inputs.x, { get: 'ntk', maxMemoryBytes: memoryLimit })).ntk!;
      const solver = chooseScanSolver(o.solver, thetaTrain.rows);
      const bar2 = progressBar('λ values', o.quiet);
      const scanOpts = { onProgress: bar2.update, lambdaTimeGrid: [1e-3, 1e2, SCAN_TIMES] as [number, number, number] };
      let result: ScanResult;
      let spectrum: SpectrumClip;
      let solverInfo: Record<string, unknown> = { name: solver };
      if (solver === 'spectral') {
        const eb = eigenbasis({ thetaTrain, thetaTest, y: data.y, yTest: data.yTest }, undefined, { regularize: o.regularize });
        spectrum = eb.spectrum;
        result = lambdaScan(eb, lambdas, depth, scanOpts);
      } else {
        const problem = { train: inMemoryRowBlocks(thetaTrain, 1024), test: inMemoryRowBlocks(thetaTest, 1024), y: data.y, yTest: data.yTest };
        const kr = krylovLambdaScan(problem, lambdas, depth, { ...scanOpts, tol: KRYLOV_TOL, regularize: o.regularize });
        spectrum = kr.krylov.spectrum;
        result = kr;
        const { size, estimate, converged, passes } = kr.krylov;
        solverInfo = { name: solver, tolerance: KRYLOV_TOL, basisSize: size, errorEstimate: estimate, converged, passes };
        if (!converged) process.stderr.write(`ntk: warning: Krylov basis stopped at ${size} (= n) with error estimate ${estimate.toPrecision(2)} > ${KRYLOV_TOL}\n`);
      }
      if (spectrum.regularized) process.stderr.write(`ntk: warning: ${regularizedNote(spectrum)}\n`);
      bar2.stop();
      const meta = {
        architecture: o.arch,
        depth,
        model: o.model,
        data: data.description,
        n: data.x.rows,
        m: data.xTest.rows,
        k: data.y.cols,
        dtype: 'float64',
        lambdaTimeGrid: `${SCAN_TIMES} log-spaced values of λ·t in [1e-3, 1e2]`,
        solver: solverInfo,
        spectrum,
        seconds: (Date.now() - started) / 1000,
      };
      writeScan(o, result, meta);
    });
}

/**
 * tstar.csv, tstar.json and curves.json in --out; the table on stderr (unless --quiet); one JSON line on stdout
 * (docs/cli-conventions.md). Both routes (inputs in memory, kernels on disk) write through here.
 */
function writeScan(o: ScanCliOptions, result: ScanResult, meta: { data: string; depth: number; model: string; n: number; m: number; k: number; seconds: number } & Record<string, unknown>): void {
  writeOutputDir(
    o.out,
    'scan',
    {
      'tstar.csv': scanCsv(result),
      'tstar.json': JSON.stringify({ ...meta, slopeMse: result.slopeMse, slopeAccuracy: result.slopeAcc, rows: result.rows }, null, 2) + '\n',
      'curves.json': JSON.stringify({ ...meta, curves: result.curves }) + '\n',
    },
    { force: o.force },
  );
  if (!o.quiet) process.stderr.write(scanTable(result, meta.data));
  const brief = {
    out: o.out,
    files: ['tstar.csv', 'tstar.json', 'curves.json'],
    depth: meta.depth,
    model: meta.model,
    n: meta.n,
    m: meta.m,
    k: meta.k,
    lambdas: result.rows.length,
    slopeMse: result.slopeMse,
    slopeAccuracy: result.slopeAcc,
    seconds: meta.seconds,
  };
  process.stdout.write(JSON.stringify(brief) + '\n');
}

/** The --kernel branch: the scan on kernels on disk (src/cli/scanOnDisk.ts), written like the in-memory one. */
function scanKernelFiles(o: ScanCliOptions, spec: ReturnType<typeof parseSpec>, lambdas: number[], memoryLimit: number, started: number): void {
  if (o.kernel === undefined) throw new InputError('--kernel-test needs --kernel (the train kernel on disk)');
  if (o.data !== undefined || o.x !== undefined || o.xTest !== undefined || o.standardize !== undefined) throw new InputError('--kernel replaces the inputs: give --y and --y-test, not --data, --x, --x-test or --standardize');
  if (o.kernelOnly) throw new InputError('--kernel-only needs the inputs (--x or --data), not a kernel on disk');
  if (o.targets !== 'centred' && o.targets !== 'onehot') throw new InputError(`--targets must be centred or onehot, got "${o.targets}"`);
  let maxBasis: number | undefined;
  if (o.maxBasis !== undefined) {
    maxBasis = Number(o.maxBasis);
    if (!/^\s*\d+\s*$/.test(o.maxBasis) || !Number.isSafeInteger(maxBasis) || maxBasis < 1) throw new InputError(`--max-basis must be a positive integer, got "${o.maxBasis}"`);
  }
  const depth = o.model === 'linear' ? 1 : (homogeneityDegree(spec) ?? weightLayerCount(spec));
  if (depth < 1) throw new InputError('the architecture has no weight layer (dense or conv)');
  const bar = progressBar('λ values', o.quiet);
  const run = scanOnDisk({
    kernel: o.kernel,
    kernelTest: o.kernelTest,
    y: o.y,
    yTest: o.yTest,
    targets: o.targets as TargetEncoding,
    lambdas,
    depth,
    solver: o.solver,
    tol: KRYLOV_TOL,
    maxBasis,
    regularize: o.regularize,
    maxMemoryBytes: memoryLimit,
    times: SCAN_TIMES,
    log: o.quiet ? undefined : (line) => process.stderr.write(`ntk: ${line}\n`),
    onProgress: bar.update,
  });
  bar.stop();
  const info = run.solver;
  if (info.converged === false) process.stderr.write(`ntk: warning: Krylov basis stopped at ${String(info.basisSize)} vectors (--max-basis ${String(info.maxBasis)}) with error estimate ${Number(info.errorEstimate).toPrecision(2)} > ${KRYLOV_TOL}\n`);
  if (run.spectrum.regularized) process.stderr.write(`ntk: warning: ${regularizedNote(run.spectrum)}\n`);
  writeScan(o, run.result, {
    architecture: o.arch,
    depth,
    model: o.model,
    data: run.description,
    n: run.n,
    m: run.m,
    k: run.k,
    dtype: 'float64',
    kernelDtype: run.kernelDtype,
    lambdaTimeGrid: `${SCAN_TIMES} log-spaced values of λ·t in [1e-3, 1e2]`,
    solver: info,
    spectrum: run.spectrum,
    seconds: (Date.now() - started) / 1000,
  });
}

/** tstar.csv: one row per λ, columns named as the rows of tstar.json (camelCase). */
export function scanCsv(r: ScanResult): string {
  const keys = ['lambda', 'tStarMse', 'lambdaTStarMse', 'bestTestMse', 'tStarAcc', 'lambdaTStarAcc', 'bestTestAcc', 'finalTestMse', 'finalTestAcc', 'mseAtEdge', 'accAtEdge'] as const;
  return csvTable(r.rows, keys);
}

/** The human-readable table, printed on stderr (stdout carries the one JSON line). */
export function scanTable(r: ScanResult, description: string): string {
  const lines = [`# ${description}; L = ${r.depth}`, `${'λ'.padStart(10)} ${'t*(MSE)'.padStart(11)} ${'λ·t*'.padStart(7)} ${'best MSE'.padStart(9)} ${'t*(acc)'.padStart(11)} ${'λ·t*'.padStart(7)} ${'best acc'.padStart(8)}`];
  for (const x of r.rows) {
    lines.push(
      `${x.lambda.toExponential(3).padStart(10)} ${(x.tStarMse.toPrecision(4) + (x.mseAtEdge ? '!' : '')).padStart(11)} ${x.lambdaTStarMse.toFixed(3).padStart(7)} ${x.bestTestMse.toFixed(4).padStart(9)} ` +
        `${(x.tStarAcc.toPrecision(4) + (x.accAtEdge ? '!' : '')).padStart(11)} ${x.lambdaTStarAcc.toFixed(3).padStart(7)} ${x.bestTestAcc.toFixed(4).padStart(8)}`,
    );
  }
  // fewer than two points (all at the edge) give no slope: say so rather than print NaN
  const f = (s: { slope: number; stderr: number; points: number }) =>
    Number.isFinite(s.slope) ? `${s.slope.toFixed(3)} ± ${Number.isFinite(s.stderr) ? s.stderr.toFixed(3) : '?'} (${s.points} points)` : `none (${s.points} points off the edge)`;
  lines.push(`slope of log t* vs log λ: best test MSE ${f(r.slopeMse)}; best test accuracy ${f(r.slopeAcc)}`);
  lines.push("('!' marks a t* at the edge of the time grid, or a best value equal to the end value within rounding: a bound, left out of the fit)");
  return lines.join('\n') + '\n';
}

function writeKernelOnly(o: ScanCliOptions, spec: ReturnType<typeof parseSpec>, x: NetworkInputs, lambdas: number[], description: string, maxMemoryBytes: number): void {
  // Trace of the predicted kernel relative to Θ_0, on a grid of Λ = λt (the prediction depends on Λ only): only the
  // diagonal is needed, O(N) pairs per Λ (images too) instead of the N×N kernel.
  const bigLambdas = logspace(1e-3, 10, 60);
  const sum = (d: Float64Array): number => d.reduce((a, v) => a + v, 0);
  const bar = progressBar('Λ values', o.quiet);
  const tr0 = sum(ntkUnderL2Diagonal(spec, 0, x, { maxMemoryBytes }));
  const ratio = bigLambdas.map((L, i) => {
    const r = sum(ntkUnderL2Diagonal(spec, L, x, { maxMemoryBytes })) / tr0;
    bar.update(i + 1, bigLambdas.length);
    return r;
  });
  bar.stop();
  const bad = ratio.findIndex((r) => !Number.isFinite(r));
  if (bad >= 0) throw new InputError(`the predicted kernel decay is not finite at Λ = ${bigLambdas[bad].toPrecision(3)} (tr Θ_0 = ${tr0}): the inputs are too large or all zero; rescale them`);
  const rows = csvTable(bigLambdas.map((L, i) => ({ bigLambda: L, traceRatio: ratio[i] })), ['bigLambda', 'traceRatio']);
  const json = {
    architecture: o.arch,
    data: description,
    note: 'non-homogeneous net: kernel-only prediction Θ_t = e^{2Λ}·Θ(σ_w e^{−Λ}, σ_b e^{−Λ}), Λ = ∫λ dt (for constant λ, Λ = λt)',
    lambdas,
    bigLambda: bigLambdas,
    traceRatio: ratio,
  };
  writeOutputDir(o.out, 'scan', { 'kernel_decay.csv': rows, 'kernel_decay.json': JSON.stringify(json, null, 2) + '\n' }, { force: o.force });
  if (!o.quiet) process.stderr.write(`# ${json.note}\n# tr Θ_t / tr Θ_0 against Λ = ∫λ dt written to ${o.out}/kernel_decay.csv\n`);
  process.stdout.write(JSON.stringify({ out: o.out, files: ['kernel_decay.csv', 'kernel_decay.json'], kernelOnly: true, points: bigLambdas.length, finalTraceRatio: ratio[ratio.length - 1] }) + '\n');
}
