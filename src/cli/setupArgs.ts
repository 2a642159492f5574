import type { Command } from 'commander';
import { PAPER_SETUPS, paperSetup, type PaperSetup } from '../experiments/paperSetups.js';
import { InputError, quote } from '../util/errors.js';
import { parseInteger } from './parse.js';

/** The name of the flag that carries a command's learning rate(s): `--lr` (train, predict-lambda, autol2) or `--lrs` (sweep). */
export type LrOptionKey = 'lr' | 'lrs';

/** The option values a setup stands for, keyed by commander's attribute names (the flags a user may still give). */
export type SetupOptionValues = Partial<Record<'arch' | 'imageSize' | 'momentum' | 'loss' | 'batch' | LrOptionKey, string>>;

/** The setups' names, for messages and help texts. */
export const SETUP_NAMES: readonly string[] = Object.keys(PAPER_SETUPS);

/**
 * What `--setup NAME` sets: the architecture at `width` (the setup's width multiplier: the MLP's hidden width, the
 * CNN's and WRN's base channel count; default the setup's `defaultWidth`), its η (as `--lr` or `--lrs`), momentum,
 * loss, batch size and, for bundled digits (`filesGiven` false), the image size. Pure: `applySetup` decides which
 * of these the user's own flags override.
 */
export function setupOptionValues(setup: PaperSetup, lrKey: LrOptionKey, filesGiven: boolean, width = setup.defaultWidth): SetupOptionValues {
  const values: SetupOptionValues = {
    arch: setup.arch(width),
    [lrKey]: String(setup.lr),
    momentum: String(setup.momentum),
    loss: setup.loss,
    batch: String(setup.batch),
  };
  // files keep the shape they were saved with (--image-size is refused beside --x/--y)
  if (setup.imageSize !== undefined && !filesGiven) values.imageSize = String(setup.imageSize);
  return values;
}

/**
 * Applies `--setup` to a parsed command: every value the setup stands for replaces the option's value unless the
 * user gave that flag on the command line (commander's value source 'cli'), so an explicit flag always wins.
 * `--width w` beside `--setup` (and no `--arch`) is the setup's own width multiplier: the architecture becomes
 * `setup.arch(w)` (the CNN's c and 2c channels, the WRN's c, 2c, 4c) instead of every layer set to w, and the
 * consumed `--width` is cleared. With `--arch` given, `--width` keeps its usual meaning on that architecture.
 * Without `--setup` nothing changes. An unknown name is an InputError that names the setups.
 */
export function applySetup(cmd: Command, lrKey: LrOptionKey): void {
  const name = cmd.getOptionValue('setup') as string | undefined;
  if (name === undefined) return;
  const setup = paperSetup(name);
  if (!setup) throw new InputError(`--setup must be one of ${SETUP_NAMES.join(', ')}, got ${quote(name)}`);
  const files = ['x', 'y', 'xTest', 'yTest'].some((k) => cmd.getOptionValue(k) !== undefined);
  const widthText = cmd.getOptionValue('width') as string | undefined;
  const ownWidth = widthText !== undefined && cmd.getOptionValueSource('arch') !== 'cli';
  const width = ownWidth ? parseInteger(widthText, '--width') : setup.defaultWidth;
  for (const [key, value] of Object.entries(setupOptionValues(setup, lrKey, files, width))) {
    if (cmd.getOptionValueSource(key) !== 'cli') cmd.setOptionValueWithSource(key, value, 'setup');
  }
  if (ownWidth) cmd.setOptionValueWithSource('width', undefined, 'setup');
}

/** One line per setup for --help: its name, what it is and the values it sets. */
export function setupHelp(): string {
  return Object.values(PAPER_SETUPS)
    .map((s) => {
      const data = s.imageSize === undefined ? '784-vectors' : `${s.imageSize}×${s.imageSize}×1 images`;
      return `  ${s.name.padEnd(4)} ${s.description}\n       width ${s.defaultWidth} (paper-sized: --width ${s.fullWidth}), ${data}, η = ${s.lr}, momentum ${s.momentum}, loss ${s.loss}, batch ${s.batch}`;
    })
    .join('\n');
}

/**
 * Adds `--setup <name>` to a training command and applies it before the action (see `applySetup`). `lrKey` names
 * the command's learning-rate option, which must already exist on `cmd`.
 */
export function addSetupOption(cmd: Command, lrKey: LrOptionKey): Command {
  cmd.hook('preAction', (c) => applySetup(c, lrKey));
  return cmd
    .option('--setup <name>', `a named setup of the paper (${SETUP_NAMES.join(', ')}): sets --arch (at the setup's default width, or at --width: its base channel count), --image-size, --${lrKey}, --momentum, --loss and --batch; flags you give win`)
    .addHelpText('after', `\nSetups (--setup):\n${setupHelp()}`);
}
