import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.js';
import { checkWorkDir } from '../io/outputPath.js';
import { InputError } from '../util/errors.js';
import { INPUT_SHAPE_HELP, loadDataset } from './dataArgs.js';
import { addSetupOption } from './setupArgs.js';
import { addJobsOption, addTrainOptions, networkMeta, parsePositive, parsePositiveList, parseSeedList, parseTrainOptions, openExperimentDir, type TrainCliOptions } from './trainArgs.js';
import { float32Json } from '../io/float32.js';

interface PredictCommandOptions extends TrainCliOptions {
  lr: string;
  budget: string;
  lambda0: string;
  shortFactor: string;
  grid: string;
  netSeeds: string;
  metric: string;
}

export function registerPredictLambdaCommand(program: Command): void {
  const cmd = program
    .command('predict-lambda')
    .description('Predict the best λ for a budget T from one short run: c = λ0·t*(λ0), λ = c/T; compare with a grid of λ trained for T')
    .requiredOption('--budget <T>', 'physical-time budget T to choose λ for')
    .option('--lr <η>', 'learning rate η', '0.5')
    .option('--lambda0 <λ0>', 'λ of the short measuring run', '3e-2')
    .option('--short-factor <c>', 'the short run lasts c/λ0 (it must pass its peak)', '2.5')
    .option('--grid <list>', 'constant λ values trained for T to compare with: start:end:count or a comma list ("none" to skip)', '1e-4:1e-2:5')
    .option('--metric <m>', 't* from the lowest test loss (loss) or the best test accuracy (acc)', 'loss')
    .option('--net-seeds <list>', 'seeds of the networks and batch orders (comma list); with several, the whole procedure runs once per seed (in OUT/seed=S/) and the accuracies and the gap are averaged', '0')
    .requiredOption('--out <dir>', 'results folder: runs/…, predict.json; rerun to resume');
  addSetupOption(addJobsOption(addTrainOptions(cmd)), 'lr')
    .addHelpText(
      'after',
      `
Examples:
  ntk predict-lambda --budget 300 --lambda0 3e-2 --grid 1e-3,1e-2 --out predict-lambda1
  ntk predict-lambda --setup cnn --data mnist:1024:500 --budget 100 --lambda0 1e-2 --short-factor 0.5 --out pl-cnn
  ntk predict-lambda --arch cnn.json --data mnist:512:500 --image-size 14 --width 64 --budget 300 --lambda0 3e-2 --grid 1e-3,1e-2 --out predict-lambda-cnn
      (cnn.json: conv layers, then globalAvgPool or flatten, then dense)

${INPUT_SHAPE_HELP}`,
    )
    .action(async (o: PredictCommandOptions) => {
    const parsed = await parseTrainOptions(o);
    const grid = o.grid === 'none' ? [] : parsePositiveList(o.grid, '--grid');
    const lr = parsePositive(o.lr, '--lr');
    const budget = parsePositive(o.budget, '--budget');
    const lambda0 = parsePositive(o.lambda0, '--lambda0');
    const shortFactor = parsePositive(o.shortFactor, '--short-factor');
    const seeds = parseSeedList(o.netSeeds);
    if (o.metric !== 'loss' && o.metric !== 'acc') throw new InputError(`--metric must be loss or acc, got "${o.metric}"`);
    const metric: 'loss' | 'acc' = o.metric;
    checkWorkDir(o.out, 'predict-lambda');
    const data = loadDataset(o, parsed.spec);
    const release = openExperimentDir(o.out, 'predict-lambda', { ...parsed, data, lr, budget, lambda: lambda0 }, parsed.jobs);
    try {
      const { predictLambda, predictLambdaOverSeeds } = await import('../experiments/predictLambda.js');
      const common = {
        ...parsed,
        data,
        lr,
        budget,
        lambda0,
        shortFactor,
        grid,
        metric,
        onRun: (name: string, r: { wallSeconds: number; tStarAcc: number; finalTestAcc: number }, reused: boolean) => {
          if (!o.quiet) process.stderr.write(`${name}: ${reused ? 'done before' : `${r.wallSeconds.toFixed(0)} s`}, t*(acc) = ${r.tStarAcc.toPrecision(4)}, final acc ${r.finalTestAcc.toFixed(4)}\n`);
        },
      };
      const pct = (v: number) => (100 * v).toFixed(2);
      let lines: string[];
      let brief: Record<string, unknown>;
      if (seeds.length === 1) {
        const res = await predictLambda({ ...common, seed: seeds[0], dir: o.out });
        writeFileAtomic(join(o.out, 'predict.json'), JSON.stringify({ data: data.description, ...networkMeta(o.arch, o.width, parsed.spec, o.setup), lr, seed: seeds[0], ...res }, null, 1) + '\n');
        brief = { lambdaPredicted: res.lambdaPredicted, c: res.c, predictedFinalAcc: res.predicted.finalTestAcc, gap: res.gap };
        lines = [
          `# ${data.description}; network seed ${seeds[0]}`,
          `short run: λ0 = ${lambda0}, t* (best test ${res.metric}) = ${res.tStar0.toPrecision(4)} → c = λ0·t* = ${res.c.toFixed(4)}`,
          `budget T = ${budget}: predicted λ = c/T = ${res.lambdaPredicted.toExponential(3)} → final test accuracy ${res.predicted.finalTestAcc.toFixed(4)}`,
          ...res.grid.map((g) => `  grid λ = ${g.lambda.toExponential(3)}: final test accuracy ${g.finalTestAcc.toFixed(4)}${res.bestGrid && g.lambda === res.bestGrid.lambda ? '  ← best' : ''}`),
          res.gap === null ? 'no grid' : `gap (best grid − predicted): ${pct(res.gap)} percentage points`,
        ];
      } else {
        const res = await predictLambdaOverSeeds({ ...common, seeds, dir: o.out });
        writeFileAtomic(join(o.out, 'predict.json'), JSON.stringify({ data: data.description, ...networkMeta(o.arch, o.width, parsed.spec, o.setup), lr, ...res }, null, 1) + '\n');
        brief = { lambdaPredicted: res.predicted.lambdas, c: res.c, predictedFinalAcc: res.predicted.meanFinalAcc, gap: res.gap ? { mean: res.gap.mean, stderr: res.gap.stderr } : null };
        lines = [
          `# ${data.description}; network seeds ${seeds.join(', ')} (mean ± standard error over seeds)`,
          `short runs: λ0 = ${lambda0}, c = λ0·t* (best test ${metric}) = ${res.perSeed.map((r) => r.c.toFixed(3)).join(', ')} → ${res.c.mean.toFixed(3)} ± ${res.c.stderr.toFixed(3)}`,
          `budget T = ${budget}: predicted λ = c/T = ${res.predicted.lambdas.map((l) => l.toExponential(2)).join(', ')} → final test accuracy ${res.predicted.meanFinalAcc.toFixed(4)} ± ${res.predicted.stderrFinalAcc.toFixed(4)}`,
          ...res.grid.map((g) => `  grid λ = ${g.lambda.toExponential(3)}: final test accuracy ${g.meanFinalAcc.toFixed(4)} ± ${g.stderrFinalAcc.toFixed(4)} (${g.finalAcc.map((a) => a.toFixed(4)).join(', ')})${res.bestGrid && g.lambda === res.bestGrid.lambda ? '  ← best' : ''}`),
          res.gap === null ? 'no grid' : `gap (best grid − predicted, paired by seed): ${pct(res.gap.mean)} ± ${pct(res.gap.stderr)} percentage points (per seed ${res.gap.perSeed.map(pct).join(', ')})`,
        ];
      }
      if (!o.quiet) process.stderr.write(lines.join('\n') + '\n');
      process.stdout.write(float32Json({ out: o.out, files: ['predict.json'], seeds, widths: networkMeta(o.arch, o.width, parsed.spec, o.setup).widths, ...brief }) + '\n');
    } finally {
      release();
    }
  });
}
