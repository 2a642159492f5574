import type { Command } from 'commander';
import { linalgInfo } from '../linalg/index.js';

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('Which backends are active (native OpenBLAS/LAPACK linalg or the TypeScript fallback)')
    .action(() => {
      process.stdout.write(JSON.stringify({ linalg: linalgInfo(), node: process.version }, null, 2) + '\n');
    });
}
