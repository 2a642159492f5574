/**
 * `ntk train --setup cnn` as a user runs it (the compiled bin in a child process), on 64 bundled digits for a few
 * steps. Truth: the result files record what ran (momentum 0.9, cross-entropy, η, the 14×14 images, the CNN's
 * channels), and two routes that must agree — the setup and the same values given as explicit flags — write the
 * same log, while changing only the momentum or only the loss changes the numbers where it must and nowhere else.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAPER_SETUPS } from '../../src/experiments/paperSetups.js';
import { runCliAsync as runCli } from '../cliHelpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Rec {
  step: number;
  testLoss: number;
  testAcc: number;
  trainLoss: number;
}
interface Result {
  options: { lr: number; momentum: number; loss: string; batchSize: number; steps: number; d: number; seed: number; data: string; spec: { layers: { type: string; channels?: number }[] } };
}

// 5 steps of batch 64 (the whole training set) on 14×14 digits: a few seconds per run
const COMMON = ['--data', 'mnist:64:32', '--lambda', '1e-3', '--budget', '0.5', '--net-seed', '3', '--quiet'];

async function train(args: string[], root: string, name: string): Promise<{ result: Result; log: Rec[]; text: string }> {
  const out = join(root, name);
  const r = await runCli(['train', ...args, ...COMMON, '--out', out]);
  expect(r.status, r.stderr).toBe(0);
  const text = readFileSync(join(out, 'log.jsonl'), 'utf8');
  return { result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as Result, log: text.trim().split('\n').map((l) => JSON.parse(l) as Rec), text };
}

describe('ntk train --setup cnn', () => {
  it('trains with momentum 0.9 and cross-entropy on 14×14 images, exactly as the same values given as flags; --momentum 0 and --loss mse override', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ntk-setup-train-'));
    dirs.push(root);
    const cnn = PAPER_SETUPS.cnn;

    const setup = await train(['--setup', 'cnn'], root, 'setup');
    const o = setup.result.options;
    expect([o.momentum, o.loss, o.lr, o.seed]).toEqual([0.9, 'xent', cnn.lr, 3]);
    expect(o.batchSize).toBe(64); // the setup's 128, capped at n = 64
    expect(o.steps).toBe(Math.ceil(0.5 / cnn.lr - 1e-9));
    expect(o.d).toBe(14 * 14);
    expect(o.data).toMatch(/14×14×1 images/);
    expect(o.spec.layers.filter((l) => l.type === 'conv').map((l) => l.channels)).toEqual([cnn.defaultWidth, 2 * cnn.defaultWidth]);

    // the setup is exactly these flags: the same log, value for value
    const flags = await train(['--arch', cnn.arch(cnn.defaultWidth), '--image-size', '14', '--lr', String(cnn.lr), '--momentum', '0.9', '--loss', 'xent', '--batch', '128'], root, 'flags');
    expect(flags.text).toBe(setup.text);

    // momentum 0: the first update is the same (v = g), every later one differs
    const plain = await train(['--setup', 'cnn', '--momentum', '0'], root, 'plain');
    expect(plain.result.options.momentum).toBe(0);
    expect(plain.log.map((r) => r.step)).toEqual(setup.log.map((r) => r.step));
    for (const [i, r] of plain.log.entries()) {
      if (r.step <= 1) expect(r.trainLoss).toBe(setup.log[i].trainLoss);
      else expect(r.trainLoss).not.toBe(setup.log[i].trainLoss);
    }

    // --loss mse: the same network at step 0 (equal accuracy), another loss value; momentum stays the setup's
    const mse = await train(['--setup', 'cnn', '--loss', 'mse'], root, 'mse');
    expect([mse.result.options.loss, mse.result.options.momentum]).toEqual(['mse', 0.9]);
    expect(mse.log[0].testAcc).toBe(setup.log[0].testAcc);
    expect(mse.log[0].testLoss).not.toBeCloseTo(setup.log[0].testLoss, 2);
    expect(mse.log.every((r) => Number.isFinite(r.trainLoss))).toBe(true);
  }, 240_000);
});
