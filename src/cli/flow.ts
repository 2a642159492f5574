import type { Command } from 'commander';
import { eigenbasis } from '../dynamics/eigenbasis.js';
import { accuracyOverTime, bestTime, kernelScale, mseOverTime } from '../dynamics/observables.js';
import { constantSchedule } from '../dynamics/schedule.js';
import { scheduledSolve } from '../dynamics/scheduledFlow.js';
import { spectralSolve } from '../dynamics/spectral.js';
import { assertFiniteOverTime } from '../dynamics/finiteOutputs.js';
import { regularizedNote } from '../dynamics/psdSpectrum.js';
import { readMatrix } from '../io/npy.js';
import { checkMemory, defaultMemoryLimit, flowMemoryBytes, parseMemoryLimit } from '../kernels/memory.js';
import { checkOutputDir, writeOutputDir } from '../io/outputPath.js';
import { MAX_LAYERS } from '../layers/limits.js';
import { InputError } from '../util/errors.js';
import { parseInteger, parseNumber, parseTimes, readSchedule } from './parse.js';
import { labelTargets } from '../data/labels.js';

interface FlowCliOptions {
  theta: string;
  thetaTest?: string;
  y: string;
  yTest?: string;
  f0?: string;
  f0Test?: string;
  lambda?: string;
  schedule?: string;
  depth?: string;
  model: string;
  times: string;
  out: string;
  force?: boolean;
  regularize?: boolean;
  maxMemory?: string;
  targets: string;
}

export function registerFlowCommand(program: Command): void {
  program
    .command('flow')
    .description('Infinite-width L2 gradient flow (float64) from given kernels: f(t) on train and test points')
    .requiredOption('--theta <file>', 'Θ_0(X, X), n×n (.npy)')
    .option('--theta-test <file>', 'Θ_0(X*, X), m×n (.npy)')
    .requiredOption('--y <file>', 'training targets Y, n×k, or n integer class labels (one-hot encoded, see --targets)')
    .option('--y-test <file>', 'test targets Y*, m×k, or m labels when --y holds labels (for test MSE, accuracy and t*)')
    .option('--targets <enc>', 'for integer labels in --y: centred (one-hot − 1/k, as scan), onehot, or values (take the column as regression targets)', 'centred')
    .option('--f0 <file>', 'initial training outputs, n×k (default 0)')
    .option('--f0-test <file>', 'initial test outputs, m×k (default 0)')
    .option('--lambda <λ>', 'constant L2 coefficient λ ≥ 0 (closed-form solver)')
    .option('--schedule <file.json>', 'piecewise-constant λ(t): {"starts":[0,100],"values":[0.01,0.001]} (adaptive integrator)')
    .option('--depth <L>', 'number of weight layers L (homogeneity degree); L = 1 is the linear model')
    .option('--model <deep|linear>', 'linear = --depth 1', 'deep')
    .requiredOption('--times <spec>', 'output times: a file (.npy/.csv/.json) or log:A:B:N / lin:A:B:N')
    .requiredOption('--out <dir>', 'results folder: f_train.npy (T×n×k), f_test.npy (T×m×k), summary.json')
    .option('--force', 'replace an existing --out folder')
    .option('--regularize', 'clip negative eigenvalues of an indefinite Θ to 0 (reported) instead of refusing it')
    .option('--max-memory <size>', `refuse if the estimated peak memory exceeds this (e.g. 16G; default ${Math.round(defaultMemoryLimit() / 2 ** 30)}G)`)
    .addHelpText(
      'after',
      `
Loss (1/2n)Σ|f − y|² + (λ/2)|θ|², gradient flow; Θ_t = Θ_0·exp(−2(L−1)∫λ) and
df/dt = −(1/n)Θ_t(f − Y) − Lλf (positively homogeneous nets: no biases, ReLU-family activations).

Examples:
  ntk flow --theta K.npy --theta-test KT.npy --y Y.npy --y-test YT.npy --lambda 0.01 --depth 3 --times log:0.1:1e4:200 --out run1
  ntk flow --theta K.npy --y Y.npy --model linear --lambda 0.01 --times T.npy --out linear1
  ntk flow --theta K.npy --y Y.npy --schedule autol2.json --depth 3 --times lin:0:500:101 --out sched`,
    )
    .action((o: FlowCliOptions) => {
      if (o.model !== 'deep' && o.model !== 'linear') throw new InputError(`--model must be deep or linear, got "${o.model}"`);
      if ((o.lambda === undefined) === (o.schedule === undefined)) throw new InputError('give exactly one of --lambda and --schedule');
      if (o.model === 'linear' && o.depth !== undefined && o.depth !== '1') throw new InputError('--model linear means --depth 1');
      if (o.model === 'deep' && o.depth === undefined) throw new InputError('--depth L is required for --model deep (the number of Dense layers)');
      const depth = o.model === 'linear' ? 1 : parseInteger(o.depth!, '--depth');
      if (depth > MAX_LAYERS) throw new InputError(`--depth is ${depth}, over the limit of ${MAX_LAYERS} weight layers`);
      const lambda = o.lambda !== undefined ? parseNumber(o.lambda, '--lambda') : undefined;
      if (lambda !== undefined && lambda < 0) throw new InputError(`--lambda must be ≥ 0, got ${lambda}`);
      const schedule = o.schedule ? readSchedule(o.schedule) : constantSchedule(lambda!);
      const times = parseTimes(o.times);
      const memoryLimit = o.maxMemory !== undefined ? parseMemoryLimit(o.maxMemory) : defaultMemoryLimit();
      checkOutputDir(o.out, 'flow', o.force);
      if (o.targets !== 'centred' && o.targets !== 'onehot' && o.targets !== 'values') throw new InputError(`--targets must be centred, onehot or values, got "${o.targets}"`);
      const targets = labelTargets(readMatrix(o.y, { name: 'Y (--y)' }), o.yTest ? readMatrix(o.yTest, { name: 'Y test (--y-test)' }) : null, o.targets);
      const problem = {
        thetaTrain: readMatrix(o.theta, { name: 'Θ (--theta)' }),
        thetaTest: o.thetaTest ? readMatrix(o.thetaTest, { name: 'Θ test (--theta-test)' }) : null,
        y: targets.y,
        yTest: targets.yTest,
        f0: o.f0 ? readMatrix(o.f0, { name: 'f0 (--f0)' }) : null,
        f0Test: o.f0Test ? readMatrix(o.f0Test, { name: 'f0 test (--f0-test)' }) : null,
      };
      const n = problem.thetaTrain.rows;
      const m = problem.thetaTest ? problem.thetaTest.rows : 0;
      checkMemory(flowMemoryBytes({ n, m, k: problem.y.cols, times: times.length }), memoryLimit, `the flow (n = ${n}, m = ${m}, k = ${problem.y.cols}, ${times.length} times)`);
      const started = Date.now();
      const eb = eigenbasis(problem, undefined, { regularize: o.regularize });
      if (eb.spectrum.regularized) process.stderr.write(`ntk: warning: ${regularizedNote(eb.spectrum)}\n`);
      const sol = lambda !== undefined ? spectralSolve(eb, lambda, depth, times) : scheduledSolve(eb, schedule, depth, times);
      const T = times.length;
      const trainMse = mseOverTime(sol.fTrain, problem.y, T);
      assertFiniteOverTime(trainMse, 'train MSE', times);
      const summary: Record<string, unknown> = {
        dtype: 'float64',
        depth,
        model: depth === 1 ? 'linear' : 'deep',
        lambda: lambda ?? null,
        schedule: o.schedule ? schedule : null,
        solver: lambda !== undefined ? 'closed form (eigenbasis)' : 'Dormand–Prince 5(4), rtol 1e-11',
        times: Array.from(times),
        trainMse: Array.from(trainMse),
        kernelScale: Array.from(times, (t) => kernelScale(depth, schedule, t)),
        targets: targets.description,
        mseConvention: 'MSE = (1/N)Σ_i |f(x_i) − y_i|² (the loss is half of it)',
        spectrum: eb.spectrum,
      };
      const files: Record<string, { npy: { shape: number[]; data: Float64Array } } | string> = {
        'f_train.npy': { npy: { shape: [T, eb.n, eb.k], data: sol.fTrain } },
      };
      if (sol.fTest) {
        files['f_test.npy'] = { npy: { shape: [T, eb.m, eb.k], data: sol.fTest } };
        if (problem.yTest) {
          const testMse = mseOverTime(sol.fTest, problem.yTest, T);
          const testAcc = accuracyOverTime(sol.fTest, problem.yTest, T);
          assertFiniteOverTime(testMse, 'test MSE', times);
          assertFiniteOverTime(testAcc, 'test accuracy', times);
          const bm = bestTime(testMse, times, 'min');
          const ba = bestTime(testAcc, times, 'max');
          Object.assign(summary, {
            testMse: Array.from(testMse),
            testAccuracy: Array.from(testAcc),
            tStarMse: bm.t,
            bestTestMse: bm.value,
            tStarMseAtEdge: bm.atEdge,
            tStarAccuracy: ba.t,
            bestTestAccuracy: ba.value,
            tStarAccuracyAtEdge: ba.atEdge,
          });
        }
      }
      summary.seconds = (Date.now() - started) / 1000;
      files['summary.json'] = JSON.stringify(summary, null, 2) + '\n';
      writeOutputDir(o.out, 'flow', files, { force: o.force });
      const brief = { out: o.out, depth, T, n: eb.n, m: eb.m, k: eb.k, tStarMse: summary.tStarMse ?? null, bestTestMse: summary.bestTestMse ?? null };
      process.stdout.write(JSON.stringify(brief) + '\n');
    });
}
