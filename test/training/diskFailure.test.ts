import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { readMeta } from '../../src/training/checkpoint.js';
import { trainRun, type TrainData } from '../../src/training/trainer.js';
import { InputError } from '../../src/util/errors.js';
import { randomMatrix } from '../helpers.js';

/**
 * A disk that fills up under a training run. openSync and writeSync are wrapped: once `fault` is armed, the
 * `after`-th write (counted from arming) to a file whose name matches `file` writes 7 bytes and fails with `code`.
 */
const fault: { file: RegExp | null; code: string; after: number } = { file: null, code: '', after: 0 };
const fdPath = new Map<number, string>();
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const openSync = vi.fn((...args: Parameters<typeof real.openSync>) => {
    const fd = real.openSync(...args);
    fdPath.set(fd, String(args[0]));
    return fd;
  });
  const writeSync = vi.fn(((fd: number, buf: Uint8Array, off = 0, len?: number) => {
    const path = fdPath.get(fd) ?? '';
    if (fault.file && fault.file.test(basename(path)) && --fault.after <= 0) {
      real.writeSync(fd, buf, off, Math.min(7, len ?? buf.length));
      fault.file = null;
      throw Object.assign(new Error(`${fault.code}: simulated, write`), { code: fault.code, syscall: 'write' });
    }
    return real.writeSync(fd, buf, off, len);
  }) as typeof real.writeSync);
  return { ...real, openSync, writeSync };
});
const arm = (file: RegExp, code: string, after: number): void => {
  Object.assign(fault, { file, code, after });
};
afterEach(() => {
  fault.file = null;
});

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ntk-disk-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function toyData(): TrainData {
  const x = randomMatrix(40, 6, 1);
  const xTest = randomMatrix(20, 6, 2);
  const label = (m: typeof x) => ({ rows: m.rows, cols: 3, data: Float64Array.from({ length: m.rows * 3 }, (_, q) => Math.tanh(m.data[Math.floor(q / 3) * 6 + (q % 3)])) });
  return { x, y: label(x), xTest, yTest: label(xTest), description: 'toy' };
}

const opts = { spec: parseOneLineSpec('dense(16, wStd=1.4) > relu > dense(3, wStd=1.4)'), data: toyData(), lr: 0.05, budget: 0.05 * 60, lambda: 0.02, batchSize: 8, momentum: 0.3, evalsPerDecade: 6, checkpointSeconds: 0 } as const;
const lines = (dir: string): string[] => readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n');
let reference: string | null = null;
async function referenceDir(): Promise<string> {
  if (reference) return reference;
  const dir = tempDir();
  await trainRun({ ...opts, dir });
  return (reference = dir);
}

/** The run in `dir` was stopped by a write error: its folder is consistent and a rerun finishes it bit for bit. */
async function expectCleanStopAndResume(dir: string, err: unknown): Promise<void> {
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).not.toMatch(/\n/);
  expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  const log = lines(dir);
  expect(log[log.length - 1]).toBe(''); // only complete lines
  log.slice(0, -1).forEach((l) => JSON.parse(l));
  const meta = readMeta(dir)!;
  expect(meta.logLines).toBeLessThanOrEqual(log.length - 1);
  expect(statSync(join(dir, meta.dataFile)).size).toBe(4 * meta.shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0));
  expect(readdirSync(dir).filter((f) => /^checkpoint-\d+\.f32$/.test(f))).toEqual([meta.dataFile]);
  const resumed = await trainRun({ ...opts, dir });
  expect(resumed.resumedFromStep).toBe(meta.step);
  const ref = await referenceDir();
  expect(readFileSync(join(dir, 'log.jsonl'), 'utf8')).toBe(readFileSync(join(ref, 'log.jsonl'), 'utf8'));
  const a = JSON.parse(readFileSync(join(ref, 'result.json'), 'utf8'));
  const b = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
  for (const key of ['tStarAcc', 'tStarLoss', 'bestTestAcc', 'bestTestLoss', 'finalTestAcc', 'finalTestLoss']) expect(b[key]).toBe(a[key]);
}

async function failingRun(dir: string): Promise<unknown> {
  try {
    await trainRun({ ...opts, dir });
  } catch (e) {
    return e;
  }
  throw new Error('the run was expected to fail');
}

describe('a training run on a failing disk', () => {
  it.each([
    ['ENOSPC', /no space left on device/],
    ['EIO', /input\/output error/],
    ['EROFS', /read-only file system/],
  ])('a log append failing part-way (%s) stops the run with one line; the log keeps whole lines; a rerun resumes bit-identically', async (code, cause) => {
    const dir = tempDir();
    arm(/^log\.jsonl$/, code, 6);
    const err = await failingRun(dir);
    expect((err as Error).message).toMatch(new RegExp(`^cannot write ".*log\\.jsonl": `));
    expect((err as Error).message).toMatch(cause);
    expect(lines(dir)).toHaveLength(5 + 1); // five appends went through, the sixth was cut back
    await expectCleanStopAndResume(dir, err);
  });

  it('a checkpoint whose data file cannot be written leaves the previous checkpoint valid', async () => {
    const dir = tempDir();
    arm(/^\.checkpoint-\d+\.f32\..*\.tmp$/, 'ENOSPC', 20);
    const err = await failingRun(dir);
    expect((err as Error).message).toMatch(/^cannot write ".*checkpoint-\d+\.f32": no space left on device$/);
    expect(readMeta(dir)!.step).toBe(18); // one checkpoint per step from step 0: the 20th (step 19) failed
    await expectCleanStopAndResume(dir, err);
  });

  it('a checkpoint whose metadata cannot be written leaves the previous checkpoint valid and no stray data file', async () => {
    const dir = tempDir();
    arm(/^\.checkpoint\.json\..*\.tmp$/, 'ENOSPC', 15);
    const err = await failingRun(dir);
    expect((err as Error).message).toMatch(/^cannot write ".*checkpoint\.json": no space left on device$/);
    await expectCleanStopAndResume(dir, err);
  });
});
