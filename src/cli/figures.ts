import type { Command } from 'commander';
import { FIGURE_NAMES, type FigureName } from '../experiments/figureNames.js';
import { InputError } from '../util/errors.js';
import { claimsPrintout, verdictSummary } from '../experiments/claim.js';
import { addJobsOption, parseJobs } from './trainArgs.js';

interface FiguresCliOptions {
  out: string;
  full?: boolean;
  work?: string;
  jobs?: string;
}

export function registerFigureCommands(program: Command): void {
  const run = async (names: FigureName[] | undefined, o: FiguresCliOptions): Promise<void> => {
    const started = Date.now();
    const jobs = parseJobs(o.jobs, 'auto');
    const { makeFigureSet } = await import('../experiments/figureSet.js'); // loads TensorFlow.js only when needed
    const { claims, pngNote } = await makeFigureSet({ dir: o.out, only: names, full: o.full, work: o.work, jobs, log: (l) => process.stderr.write(`${l}\n`) });
    const seconds = (Date.now() - started) / 1000;
    // the readable report on stderr; stdout carries one JSON line (docs/cli-conventions.md)
    process.stderr.write(`# figures in ${o.out}/ (${pngNote}); index: ${o.out}/index.html; ${seconds.toFixed(1)} s\n`);
    process.stderr.write(claimsPrintout(claims));
    const brief = { out: o.out, index: `${o.out}/index.html`, png: pngNote, claims: claims.map((c) => ({ figure: c.figure, verdict: c.verdict })), summary: verdictSummary(claims), seconds };
    process.stdout.write(JSON.stringify(brief) + '\n');
  };
  const figures = program
    .command('figures')
    .description(`Regenerate every figure (${FIGURE_NAMES.join(', ')}) with figures/index.html, printing each claim with the number measured`)
    .option('--out <dir>', 'output folder', 'figures')
    .option('--full', 'larger settings: the acceptance-sized runs (theory on 2000/2000 digits; training on 2048/1000, width 512, λ to 1e-4: hours on 2 cores)')
    .option('--work <dir>', 'keep the training runs here (a rerun reuses finished runs and resumes an interrupted one); default: a temporary folder');
  addJobsOption(figures).action((o: FiguresCliOptions) => run(undefined, o));
  const one = program
    .command('figure <name>')
    .description('Regenerate one figure: HTML (interactive), PNG (headless Chromium) and JSON (the numbers)')
    .option('--out <dir>', 'output folder', 'figures')
    .option('--full', 'larger settings')
    .option('--work <dir>', 'keep the training runs here (reused by a rerun)');
  addJobsOption(one).action((name: string, o: FiguresCliOptions) => {
    if (!(FIGURE_NAMES as readonly string[]).includes(name)) throw new InputError(`unknown figure "${name}" (known: ${FIGURE_NAMES.join(', ')})`);
    return run([name as FigureName], o);
  });
}
