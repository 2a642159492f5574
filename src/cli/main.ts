import { Command, CommanderError } from 'commander';
import { describeFsError } from '../io/atomic.js';
import { InputError, MAX_MESSAGE_CHARS } from '../util/errors.js';
import { registerInfoCommand } from './info.js';
import { registerFigureCommands } from './figures.js';
import { registerFlowCommand } from './flow.js';
import { registerKernelCommand } from './kernel.js';
import { registerKernelMergeCommand } from './kernelMerge.js';
import { registerScanCommand } from './scan.js';
import { registerSweepCommand } from './sweep.js';
import { registerTrainCommand } from './train.js';
import { registerPredictLambdaCommand } from './predictLambda.js';
import { registerAutoL2Command } from './autol2.js';

/** Exit codes: 0 success, 2 bad input (one line on stderr, nothing written), 1 an internal error. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('ntk')
    .description('Infinite-width NTK/NNGP kernels and L2 (weight-decay) training dynamics, float64 theory.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
      // commander's own usage errors (unknown option, missing value) in the same one-line form as ours
      outputError: (s, write) => write(`ntk: error: ${oneLine(s.trim().replace(/^error:\s*/, ''))} (run with --help for usage)\n`),
    });
  registerKernelCommand(program);
  registerKernelMergeCommand(program);
  registerFlowCommand(program);
  registerScanCommand(program);
  registerTrainCommand(program);
  registerSweepCommand(program);
  registerPredictLambdaCommand(program);
  registerAutoL2Command(program);
  registerFigureCommands(program);
  registerInfoCommand(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander has already printed its message; --help and --version end here with code 0.
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof InputError) {
    process.stderr.write(`ntk: error: ${oneLine(e.message)}\n`);
    return 2;
  }
  // the OS refused a path the user gave (full disk, read-only, not a folder…): the user's to fix, not a bug
  const fs = describeFsError(e);
  if (fs !== null) {
    process.stderr.write(`ntk: error: ${oneLine(fs)}\n`);
    return 2;
  }
  const err = e as Error;
  process.stderr.write(`ntk: internal error (please report): ${err?.stack ?? String(e)}\n`);
  return 1;
}

/** A message as one line of at most MAX_MESSAGE_CHARS characters (a message built from user values may be long). */
export function oneLine(message: string): string {
  const flat = message.replace(/[\r\n\u2028\u2029]+/g, ' ');
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS - 1)}…` : flat;
}
