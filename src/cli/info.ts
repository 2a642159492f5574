import type { Command } from 'commander';
import { linalgInfo } from '../linalg/index.js';

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('Which backends are active: float64 linear algebra (native OpenBLAS/LAPACK or the TypeScript fallback) and TensorFlow.js (finite networks)')
    .option('--no-tfjs', 'skip starting TensorFlow.js (faster)')
    .action(async (o: { tfjs: boolean }) => {
      let tfjs: unknown = 'not checked (--no-tfjs)';
      if (o.tfjs) {
        const { initTfjs } = await import('../tfjs/backend.js');
        tfjs = await initTfjs('auto');
      }
      process.stdout.write(JSON.stringify({ linalg: linalgInfo(), tfjs, node: process.version }, null, 2) + '\n');
    });
}
