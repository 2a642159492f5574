import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.js';
import { checkWorkDir } from '../io/outputPath.js';
import { InputError } from '../util/errors.js';
import { INPUT_SHAPE_HELP, loadDataset } from './dataArgs.js';
import { addSetupOption } from './setupArgs.js';
import { parseInteger, parseNumber } from './parse.js';
import { addJobsOption, addTrainOptions, networkMeta, parsePositive, parsePositiveList, parseSeedList, parseTrainOptions, openExperimentDir, type TrainCliOptions } from './trainArgs.js';
import { float32Json } from '../io/float32.js';

interface AutoL2CommandOptions extends TrainCliOptions {
  lr: string;
  budget: string;
  lambda0: string;
  interval: string;
  factor: string;
  refractory: string;
  floor: string;
  grid: string;
  netSeeds: string;
}

export function registerAutoL2Command(program: Command): void {
  const cmd = program
    .command('autol2')
    .description('Auto L2 (start at λ0, divide by 10 when progress stalls; the rule of google/autol2) against the best constant λ of a grid at equal budget, over several seeds')
    .requiredOption('--budget <T>', 'physical-time budget T of every run')
    .option('--lr <η>', 'learning rate η', '0.5')
    .option('--lambda0 <λ0>', 'Auto L2 starting λ', '0.1')
    .option('--interval <steps>', 'Auto L2: steps between measurements of the batch loss/accuracy', '10')
    .option('--factor <f>', 'Auto L2: λ ← λ/f at each decay', '10')
    .option('--refractory <r>', 'Auto L2: no decay until more than r/λ steps after the previous one', '0.1')
    .option('--floor <λmin>', 'Auto L2: never below this λ (0: no floor, as in the authors\' code)', '0')
    .option('--grid <list>', 'constant λ values: start:end:count or a comma list', '1e-4:1e-2:5')
    .option('--net-seeds <list>', 'seeds (comma list): every arm runs each', '0,1,2')
    .requiredOption('--out <dir>', 'results folder: runs/…, autol2.json; rerun to resume');
  addSetupOption(addJobsOption(addTrainOptions(cmd)), 'lr')
    .addHelpText(
      'after',
      `
Examples:
  ntk autol2 --budget 300 --grid 1e-3,1e-2 --net-seeds 0,1 --out autol21
  ntk autol2 --setup wrn --data mnist:1024:500 --budget 100 --grid 1e-4,1e-3 --net-seeds 0,1 --out al2-wrn
  ntk autol2 --arch cnn.json --data mnist:512:500 --image-size 14 --width 64 --budget 300 --grid 1e-3,1e-2 --net-seeds 0,1 --out autol2-cnn
      (cnn.json: conv layers, then globalAvgPool or flatten, then dense)

${INPUT_SHAPE_HELP}`,
    )
    .action(async (o: AutoL2CommandOptions) => {
    const parsed = await parseTrainOptions(o);
    const seeds = parseSeedList(o.netSeeds);
    const floor = parseNumber(o.floor, '--floor');
    if (floor < 0) throw new InputError(`--floor must be ≥ 0, got "${o.floor}"`);
    const auto = {
      lambda0: parsePositive(o.lambda0, '--lambda0'),
      interval: parseInteger(o.interval, '--interval'),
      factor: parsePositive(o.factor, '--factor'),
      refractory: parseNumber(o.refractory, '--refractory'),
      floor,
    };
    const { autoL2 } = await import('../training/autoL2.js');
    autoL2(auto); // validates the knobs before any training
    const grid = parsePositiveList(o.grid, '--grid');
    const lr = parsePositive(o.lr, '--lr');
    const budget = parsePositive(o.budget, '--budget');
    checkWorkDir(o.out, 'autol2');
    const data = loadDataset(o, parsed.spec);
    const release = openExperimentDir(o.out, 'autol2', { ...parsed, data, lr, budget, lambda: auto.lambda0 }, parsed.jobs);
    try {
      const { compareAutoL2 } = await import('../experiments/autoL2Compare.js');
      const res = await compareAutoL2({
        ...parsed,
        data,
        lr,
        budget,
        auto,
        grid,
        seeds,
        dir: o.out,
        onRun: (name, r, reused) => {
          if (!o.quiet) process.stderr.write(`${name}: ${reused ? 'done before' : `${r.wallSeconds.toFixed(0)} s`}, final acc ${r.finalTestAcc.toFixed(4)}\n`);
        },
      });
      writeFileAtomic(join(o.out, 'autol2.json'), JSON.stringify({ data: data.description, ...networkMeta(o.arch, o.width, parsed.spec, o.setup), lr, ...res }) + '\n');
      const fmt = (a: typeof res.auto) => `${a.label.padEnd(16)} final acc ${a.meanFinalAcc.toFixed(4)} ± ${a.stderrFinalAcc.toFixed(4)}; reached ${res.target.toFixed(4)} in ${a.reachedBy}/${a.finalAcc.length} seeds, median time ${Number.isFinite(a.medianTReach) ? a.medianTReach.toPrecision(4) : '—'}`;
      const lines = [`# ${data.description}; budget T = ${budget}, η = ${lr}, seeds ${seeds.join(',')}`, fmt(res.auto), ...res.constants.map(fmt), `best constant: ${res.best.label}; Auto L2 accuracy gain ${(100 * res.accGain).toFixed(2)} points; speed-up to the target ${res.speedup.toFixed(2)}×`];
      if (!o.quiet) process.stderr.write(lines.join('\n') + '\n');
      const brief = { out: o.out, files: ['autol2.json'], seeds, widths: networkMeta(o.arch, o.width, parsed.spec, o.setup).widths, best: res.best.label, accGain: res.accGain, speedup: res.speedup, target: res.target };
      process.stdout.write(float32Json(brief) + '\n');
    } finally {
      release();
    }
  });
}
