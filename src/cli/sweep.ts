import { join } from 'node:path';
import type { Command } from 'commander';
import type { SweepResult } from '../experiments/sweep.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkWorkDir } from '../io/outputPath.js';
import { InputError } from '../util/errors.js';
import { INPUT_SHAPE_HELP, loadDataset } from './dataArgs.js';
import { addSetupOption } from './setupArgs.js';
import { parseLambdas } from './parse.js';
import { addJobsOption, addTrainOptions, networkMeta, parsePositive, parsePositiveList, parseSeedList, parseTrainOptions, openExperimentDir, type TrainCliOptions } from './trainArgs.js';
import { float32Json } from '../io/float32.js';

interface SweepCommandOptions extends TrainCliOptions {
  lambdas: string;
  lrs: string;
  budgetFactor: string;
  netSeeds: string;
}

export function registerSweepCommand(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('Finite-width λ sweep: a grid of λ (and η, seeds) with budgets T = factor/λ; t* per run, the slope of log t* vs log λ, λ·t* per η')
    .option('--lambdas <grid>', 'λ values: start:end:count (log-spaced) or a comma list', '1e-3:1e-1:5')
    .option('--lrs <list>', 'learning rates η (comma list)', '0.5')
    .option('--budget-factor <c>', 'budget T = c/λ for each run', '3')
    .option('--net-seeds <list>', 'network seeds (comma list of integers)', '0')
    .requiredOption('--out <dir>', 'sweep folder: runs/<one folder per run>, sweep.json, tstar.csv; rerun the same command to resume');
  addSetupOption(addJobsOption(addTrainOptions(cmd)), 'lrs').addHelpText(
    'after',
    `
Examples:
  ntk sweep --lambdas 1e-4:1e-2:5 --lrs 0.25,0.5 --out sweep1
  ntk sweep --setup cnn --data mnist:1024:500 --lambdas 1e-3:1e-2:3 --budget-factor 0.5 --out cnnsweep
  ntk sweep --data mnist:1024:1000 --width 256 --lambdas 3e-3:1e-1:4 --budget-factor 2 --out quick
  ntk sweep --arch cnn.json --data mnist:512:500 --image-size 14 --width 64 --lambdas 1e-2:1e-1:3 --out cnnsweep
      (cnn.json: conv layers, then globalAvgPool or flatten, then dense)

${INPUT_SHAPE_HELP}

Finished runs are kept in their folders; killing the sweep and running the same command again skips them,
resumes the interrupted run from its checkpoint, and produces the same table. Runs whose best comes at the
end of their budget are marked '!' and left out of the fits.`,
  ).action(async (o: SweepCommandOptions) => {
    const parsed = await parseTrainOptions(o);
    const lambdas = parseLambdas(o.lambdas);
    const lrs = parsePositiveList(o.lrs, '--lrs');
    const budgetFactor = parsePositive(o.budgetFactor, '--budget-factor');
    const seeds = parseSeedList(o.netSeeds);
    if (lambdas.length < 2) throw new InputError('a sweep needs at least two λ values');
    checkWorkDir(o.out, 'sweep');
    const data = loadDataset(o, parsed.spec);
    const release = openExperimentDir(o.out, 'sweep', { ...parsed, data, lr: lrs[0], budget: budgetFactor / lambdas[0], lambda: lambdas[0] }, parsed.jobs);
    try {
      const started = Date.now();
      const { lambdaSweep, sweepCsv } = await import('../experiments/sweep.js'); // loads TensorFlow.js only when needed
      const res = await lambdaSweep({
        ...parsed,
        data,
        lambdas,
        lrs,
        budgetFactor,
        seeds,
        dir: o.out,
        // whole lines: with --jobs > 1 several runs are under way at once
        onRunStart: (i, total, name) => {
          if (!o.quiet) process.stderr.write(`[${i + 1}/${total}] ${name} started\n`);
        },
        onRunDone: (row, reused, name) => {
          if (!o.quiet) {
            process.stderr.write(`${name} ${reused ? 'done before' : `${row.wallSeconds.toFixed(0)} s`}: t*(acc) = ${row.tStarAcc.toPrecision(4)}${row.accAtEdge ? '!' : ''}, best acc ${row.bestTestAcc.toFixed(4)}\n`);
          }
        },
      });
      const meta = { ...networkMeta(o.arch, o.width, parsed.spec, o.setup), data: data.description, loss: parsed.loss, batchSize: parsed.batchSize, momentum: parsed.momentum, budgetFactor, dtype: 'float32 (tfjs)', seconds: (Date.now() - started) / 1000 };
      writeFileAtomic(join(o.out, 'tstar.csv'), sweepCsv(res));
      writeFileAtomic(join(o.out, 'sweep.json'), JSON.stringify({ ...meta, ...res }) + '\n');
      if (!o.quiet) process.stderr.write(sweepTable(res, meta.data));
      const brief = { out: o.out, files: ['tstar.csv', 'sweep.json'], runs: res.rows.length, widths: meta.widths, slopeAcc: res.slopeAcc, slopeLoss: res.slopeLoss };
      process.stdout.write(float32Json(brief) + '\n');
    } finally {
      release();
    }
  });
}

/** The human-readable table, printed on stderr (stdout carries the one JSON line). */
export function sweepTable(r: SweepResult, description: string): string {
  const lines = [`# ${description}`, `${'λ'.padStart(10)} ${'η'.padStart(6)} ${'seed'.padStart(4)} ${'t*(acc)'.padStart(10)} ${'λ·t*'.padStart(7)} ${'best acc'.padStart(8)} ${'t*(loss)'.padStart(10)} ${'λ·t*'.padStart(7)} ${'best loss'.padStart(9)}`];
  for (const x of r.rows) {
    lines.push(
      `${x.lambda.toExponential(3).padStart(10)} ${String(x.lr).padStart(6)} ${String(x.seed).padStart(4)} ${(x.tStarAcc.toPrecision(4) + (x.accAtEdge ? '!' : '')).padStart(10)} ${x.lambdaTStarAcc.toFixed(3).padStart(7)} ${x.bestTestAcc.toFixed(4).padStart(8)} ` +
        `${(x.tStarLoss.toPrecision(4) + (x.lossAtEdge ? '!' : '')).padStart(10)} ${x.lambdaTStarLoss.toFixed(3).padStart(7)} ${x.bestTestLoss.toFixed(4).padStart(9)}`,
    );
  }
  // fewer than two points (all at the edge) give no slope: say so rather than print NaN
  const f = (s: { slope: number; stderr: number; runs: number }) =>
    Number.isFinite(s.slope) ? `${s.slope.toFixed(3)} ± ${Number.isFinite(s.stderr) ? s.stderr.toFixed(3) : '?'} (${s.runs} runs)` : `none (${s.runs} runs off the edge)`;
  lines.push(`slope of log t* vs log λ: ${f(r.slopeAcc)} (best test accuracy), ${f(r.slopeLoss)} (lowest test loss)`);
  for (const p of r.perLr) lines.push(`  η = ${p.lr}: slope ${f(p.slopeAcc)} (acc), ${f(p.slopeLoss)} (loss); c = λ·t* = ${p.cAcc.toFixed(3)} (acc), ${p.cLoss.toFixed(3)} (loss)`);
  if (r.perLr.length > 1) lines.push(`spread of c across η: ${(100 * r.cSpreadAcc).toFixed(1)}% (acc), ${(100 * r.cSpreadLoss).toFixed(1)}% (loss)  [(max − min)/mean]`);
  lines.push("('!' = best at the end of the budget: excluded from the fits)");
  return lines.join('\n') + '\n';
}
