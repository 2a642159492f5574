import type { Command } from 'commander';
import { checkOutputFile } from '../io/outputPath.js';
import { mergeKernelParts } from '../kernels/outOfCoreMerge.js';
import { InputError, quote } from '../util/errors.js';
import { progressBar } from './progress.js';

/** `ntk kernel-merge --out K.npy`: puts together the parts written by `ntk kernel --tile i/n --out K.npy`. */
export function registerKernelMergeCommand(program: Command): void {
  program
    .command('kernel-merge')
    .description('merge the parts of a kernel written by `ntk kernel --tile i/n --out K.npy` (K.part<i>of<n>.npy + .json beside K.npy) into K.npy, byte for byte')
    .requiredOption('--out <file.npy>', 'the kernel the parts belong to (the same --out as the tile jobs); written atomically')
    .option('--keep-parts', 'keep the part files and manifests (default: removed after the merge)')
    .option('--force', 'replace an existing --out .npy file')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Example (4 jobs, e.g. a Slurm array --array=0-3 or a Kubernetes indexed Job with completions 4):
  ntk kernel --arch net.json --x1 X.npy --tile $SLURM_ARRAY_TASK_ID/4 --tile-rows 1024 --out K.npy
  ntk kernel-merge --out K.npy
Every part must use the same command apart from --tile (same network, inputs, --dtype and --tile-rows or
--tile-memory); the merged file equals the one-process kernel bit for bit on one machine type. See docs/scaling.md.`,
    )
    .action((o: { out: string; keepParts?: boolean; force?: boolean; quiet?: boolean }) => {
      const started = Date.now();
      if (!/\.npy$/i.test(o.out)) throw new InputError(`--out must name a .npy file, got ${quote(o.out)}`);
      const target = checkOutputFile(o.out, { force: o.force });
      const bar = progressBar('rows merged', o.quiet);
      try {
        const s = mergeKernelParts(target, { keepParts: o.keepParts, onProgress: bar.update });
        bar.stop();
        process.stdout.write(JSON.stringify({ out: o.out, shape: s.shape, dtype: s.dtype, parts: s.parts, kernelId: s.kernelId, removedParts: s.removed.length, seconds: (Date.now() - started) / 1000 }) + '\n');
      } finally {
        bar.stop();
      }
    });
}
