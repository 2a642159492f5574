/**
 * `--setup cnn|wrn|mlp` on train, sweep, predict-lambda and autol2: what it sets, and that every flag the user gives
 * wins over it. The commands are the real ones (registered as main registers them); a last preAction hook records
 * the options the action would receive and stops there, so nothing trains. The truth is the setups' table
 * (PAPER_SETUPS) and the commands' own defaults for the runs without --setup.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerAutoL2Command } from '../../src/cli/autol2.js';
import { main } from '../../src/cli/main.js';
import { registerPredictLambdaCommand } from '../../src/cli/predictLambda.js';
import { registerSweepCommand } from '../../src/cli/sweep.js';
import { registerTrainCommand } from '../../src/cli/train.js';
import { DEFAULT_ARCH, parseTrainOptions, type TrainCliOptions } from '../../src/cli/trainArgs.js';
import { loadDataset } from '../../src/cli/dataArgs.js';
import { PAPER_SETUPS } from '../../src/experiments/paperSetups.js';
import { specToJson, parseSpec } from '../../src/layers/json.js';
import { InputError } from '../../src/util/errors.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Opts = TrainCliOptions & Record<string, string | boolean | undefined>;

class Stop extends Error {
  constructor(readonly opts: Opts) {
    super('stopped before the action');
  }
}

const REGISTER: Record<string, (p: Command) => void> = {
  train: registerTrainCommand,
  sweep: registerSweepCommand,
  'predict-lambda': registerPredictLambdaCommand,
  autol2: registerAutoL2Command,
};
/** The options `command` would hand its action for `args` (every preAction hook applied). */
async function optionsOf(command: string, args: string[]): Promise<Opts> {
  const program = new Command().exitOverride();
  REGISTER[command](program);
  const sub = program.commands.find((c) => c.name() === command);
  if (!sub) throw new Error(`no command ${command}`);
  sub.hook('preAction', (c) => {
    throw new Stop(c.opts<Opts>());
  });
  try {
    await program.parseAsync(['node', 'ntk', command, ...args]);
  } catch (e) {
    if (e instanceof Stop) return e.opts;
    throw e;
  }
  throw new Error('the action ran');
}

// each command's other required flags
const REQUIRED: Record<string, string[]> = {
  train: ['--lambda', '1e-3', '--budget', '1', '--out', 'x'],
  sweep: ['--out', 'x'],
  'predict-lambda': ['--budget', '1', '--out', 'x'],
  autol2: ['--budget', '1', '--out', 'x'],
};
const lrKey = (command: string) => (command === 'sweep' ? 'lrs' : 'lr');

describe('--setup: what it sets', () => {
  for (const command of Object.keys(REGISTER)) {
    it(`${command}: without --setup every option is today's default (the MLP at width 512, η 0.5, plain SGD, MSE)`, async () => {
      const o = await optionsOf(command, REQUIRED[command]);
      expect(o.setup).toBeUndefined();
      expect(o.arch).toBe(DEFAULT_ARCH);
      expect(o[lrKey(command)]).toBe('0.5');
      expect([o.momentum, o.loss, o.batch, o.imageSize, o.width, o.data]).toEqual(['0', 'mse', '128', undefined, undefined, 'mnist:2048:1000']);
    });

    for (const s of Object.values(PAPER_SETUPS)) {
      it(`${command} --setup ${s.name}: the setup's architecture at its default width, image size, η, momentum, loss and batch`, async () => {
        const o = await optionsOf(command, ['--setup', s.name, ...REQUIRED[command]]);
        expect(o.arch).toBe(s.arch(s.defaultWidth));
        expect(o[lrKey(command)]).toBe(String(s.lr));
        expect(o.momentum).toBe(String(s.momentum));
        expect(o.loss).toBe(s.loss);
        expect(o.batch).toBe(String(s.batch));
        expect(o.imageSize).toBe(s.imageSize === undefined ? undefined : String(s.imageSize));
        expect(o.width).toBeUndefined();
        expect(o.data).toBe('mnist:2048:1000'); // the bundled data as without --setup
      });
    }
  }

  it('the paper setups are the CNN and WRN on 14×14 images with momentum 0.9 and cross-entropy (the issue\'s defaults)', () => {
    for (const s of [PAPER_SETUPS.cnn, PAPER_SETUPS.wrn]) expect([s.momentum, s.loss, s.imageSize]).toEqual([0.9, 'xent', 14]);
  });
});

describe('--setup: explicit flags win', () => {
  it('train: --lr, --momentum, --loss, --batch, --image-size and --arch given by the user override the setup one by one', async () => {
    const base = ['--setup', 'cnn', ...REQUIRED.train];
    const cnn = PAPER_SETUPS.cnn;
    expect((await optionsOf('train', [...base, '--lr', '0.02'])).lr).toBe('0.02');
    const mse = await optionsOf('train', [...base, '--loss', 'mse']);
    expect([mse.loss, mse.momentum, mse.lr]).toEqual(['mse', '0.9', String(cnn.lr)]); // only the loss changed
    expect((await optionsOf('train', [...base, '--momentum', '0'])).momentum).toBe('0');
    expect((await optionsOf('train', [...base, '--batch', '32'])).batch).toBe('32');
    expect((await optionsOf('train', [...base, '--image-size', '28'])).imageSize).toBe('28');
    const arch = await optionsOf('train', [...base, '--arch', 'conv(4, 3x3) > relu > flatten > dense(10)']);
    expect(arch.arch).toBe('conv(4, 3x3) > relu > flatten > dense(10)');
    expect([arch.lr, arch.momentum, arch.loss, arch.imageSize]).toEqual([String(cnn.lr), '0.9', 'xent', '14']); // the rest stays the setup's
  });

  it('an explicit value equal to the default still wins (sweep --lrs 0.5, train --momentum 0 --loss mse)', async () => {
    expect((await optionsOf('sweep', ['--setup', 'wrn', '--lrs', '0.5', ...REQUIRED.sweep])).lrs).toBe('0.5');
    const o = await optionsOf('train', ['--setup', 'wrn', '--momentum', '0', '--loss', 'mse', ...REQUIRED.train]);
    expect([o.momentum, o.loss]).toEqual(['0', 'mse']);
  });

  it('--width with --setup is the setup\'s width multiplier: the CNN keeps its c, 2c channels (the WRN c, 2c, 4c)', async () => {
    for (const s of [PAPER_SETUPS.cnn, PAPER_SETUPS.wrn, PAPER_SETUPS.mlp]) {
      const o = await optionsOf('predict-lambda', ['--setup', s.name, '--width', String(s.fullWidth), ...REQUIRED['predict-lambda']]);
      expect(o.arch).toBe(s.arch(s.fullWidth));
      expect(o.width).toBeUndefined(); // consumed: not applied again as "every layer at this width"
      const parsed = await parseTrainOptions(o);
      expect(specToJson(parsed.spec)).toEqual(specToJson(parseSpec(s.arch(s.fullWidth))));
    }
    const cnn = await parseTrainOptions(await optionsOf('train', ['--setup', 'cnn', '--width', '4', ...REQUIRED.train]));
    const channels = specToJson(cnn.spec).layers.filter((l) => l.type === 'conv').map((l) => (l as { channels: number }).channels);
    expect(channels).toEqual([4, 8]);
    // with --arch given, --width keeps its usual meaning on that architecture
    const own = await optionsOf('autol2', ['--setup', 'cnn', '--arch', 'conv(4, 3x3) > relu > flatten > dense(10)', '--width', '6', ...REQUIRED.autol2]);
    expect([own.arch, own.width]).toEqual(['conv(4, 3x3) > relu > flatten > dense(10)', '6']);
  });

  it('with --x/--y files the setup leaves the image size alone (files keep their shape)', async () => {
    const o = await optionsOf('train', ['--setup', 'cnn', '--x', 'a.npy', '--y', 'b.npy', '--x-test', 'c.npy', '--y-test', 'd.npy', ...REQUIRED.train]);
    expect(o.imageSize).toBeUndefined();
    expect(o.data).toBeUndefined();
    expect(o.momentum).toBe('0.9');
  });

  it('the data a setup loads: the CNN and WRN get 14×14×1 images, the MLP 784-vectors', async () => {
    for (const s of Object.values(PAPER_SETUPS)) {
      const o = await optionsOf('train', ['--setup', s.name, '--data', 'mnist:16:8', ...REQUIRED.train]);
      const data = loadDataset(o, (await parseTrainOptions(o)).spec);
      if (s.imageSize === undefined) {
        expect(data.inputShape).toBeUndefined();
        expect(data.x.cols).toBe(784);
      } else {
        expect(data.inputShape).toEqual({ spatial: [s.imageSize, s.imageSize], width: 1 });
        expect(data.x.cols).toBe(s.imageSize * s.imageSize);
      }
    }
  });
});

describe('--setup: bad names', () => {
  it('an unknown setup is an InputError naming the setups, before the action', async () => {
    await expect(optionsOf('train', ['--setup', 'resnet', ...REQUIRED.train])).rejects.toThrow(InputError);
    await expect(optionsOf('train', ['--setup', 'resnet', ...REQUIRED.train])).rejects.toThrow(/--setup must be one of cnn, wrn, mlp, got "resnet"/);
    // a name that is an Object property is not a setup
    await expect(optionsOf('sweep', ['--setup', 'constructor', ...REQUIRED.sweep])).rejects.toThrow(/--setup must be one of cnn, wrn, mlp/);
  });

  it('through main, on every command: one line on stderr, exit 2, no folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ntk-setup-bad-'));
    dirs.push(root);
    for (const command of Object.keys(REGISTER)) {
      const out = join(root, command);
      const args = [command, '--setup', 'CNN', ...REQUIRED[command].slice(0, -1), out];
      const err: string[] = [];
      const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
      const so = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      let status: number;
      try {
        status = await main(['node', 'ntk', ...args]);
      } finally {
        se.mockRestore();
        so.mockRestore();
      }
      expect(status, err.join('')).toBe(2);
      expect(err.join('')).toBe('ntk: error: --setup must be one of cnn, wrn, mlp, got "CNN"\n');
      expect(existsSync(out)).toBe(false);
    }
    // a bad --width beside --setup is refused the same way
    const r = await optionsOf('train', ['--setup', 'cnn', '--width', '0', ...REQUIRED.train]).catch((e: Error) => e);
    expect(r).toBeInstanceOf(InputError);
    expect((r as Error).message).toMatch(/--width must be an integer ≥ 1/);
  });
});
