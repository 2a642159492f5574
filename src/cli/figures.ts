import type { Command } from 'commander';
import { FIGURE_NAMES, makeFigureSet, type FigureName } from '../experiments/figureSet.js';
import { InputError } from '../util/errors.js';

interface FiguresCliOptions {
  out: string;
  full?: boolean;
}

export function registerFigureCommands(program: Command): void {
  const run = async (names: FigureName[] | undefined, o: FiguresCliOptions): Promise<void> => {
    const started = Date.now();
    const { claims, pngNote } = await makeFigureSet({ dir: o.out, only: names, full: o.full, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`# figures in ${o.out}/ (${pngNote}); index: ${o.out}/index.html; ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const c of claims) process.stdout.write(`[${c.figure}] ${c.claim}\n    measured: ${c.measured}\n`);
  };
  program
    .command('figures')
    .description(`Regenerate every figure (${FIGURE_NAMES.join(', ')}) with figures/index.html, printing each claim with the number measured`)
    .option('--out <dir>', 'output folder', 'figures')
    .option('--full', 'larger settings (2000/2000 digits, 25 λ)')
    .action((o: FiguresCliOptions) => run(undefined, o));
  program
    .command('figure <name>')
    .description('Regenerate one figure: HTML (interactive), PNG (headless Chromium) and JSON (the numbers)')
    .option('--out <dir>', 'output folder', 'figures')
    .option('--full', 'larger settings')
    .action((name: string, o: FiguresCliOptions) => {
      if (!(FIGURE_NAMES as readonly string[]).includes(name)) throw new InputError(`unknown figure "${name}" (known: ${FIGURE_NAMES.join(', ')})`);
      return run([name as FigureName], o);
    });
}
