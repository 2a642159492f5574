import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { runFingerprint, summarize, trainRun, type EvalRecord, type TrainOptions, type TrainResult } from '../training/trainer.js';

/**
 * A training run kept in its own folder: if DIR/result.json exists the run finished before and is loaded
 * (its log gives the curves) instead of trained again; a run killed midway resumes from its checkpoint.
 * This is what lets sweeps be killed and restarted without losing finished work.
 */
export async function runOrLoad(opts: TrainOptions & { dir: string }): Promise<{ result: TrainResult; reused: boolean }> {
  const done = finishedRun(opts);
  return done ? { result: done, reused: true } : { result: await trainRun(opts), reused: false };
}

/** The result of the run in `opts.dir` if it finished before with the same options; null if it has not finished. */
export function finishedRun(opts: TrainOptions & { dir: string }): TrainResult | null {
  const resultFile = join(opts.dir, 'result.json');
  if (existsSync(resultFile)) {
    const saved = JSON.parse(readFileSync(resultFile, 'utf8')) as Omit<TrainResult, 'records'> & { options: unknown };
    if (JSON.stringify(saved.options) !== runFingerprint(opts)) {
      throw new InputError(`${opts.dir} holds a finished run with other options; use another --out folder or delete it`);
    }
    const records = readFileSync(join(opts.dir, 'log.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as EvalRecord);
    const { steps, depth, paramCount, backend, examplesPerSecond, wallSeconds, resumedFromStep } = saved;
    // results written before the evaluation/training split was recorded have neither field
    const evalSeconds = saved.evalSeconds ?? null;
    const trainSeconds = saved.trainSeconds ?? null;
    return summarize(records, { steps, depth, paramCount, backend, examplesPerSecond, wallSeconds, evalSeconds, trainSeconds, resumedFromStep });
  }
  return null;
}

/** A folder name for a run: "lambda=1.00e-3_lr=0.5_seed=0". */
export function runName(parts: Record<string, number | string>): string {
  return Object.entries(parts)
    .map(([k, v]) => `${k}=${typeof v === 'number' && k === 'lambda' ? v.toExponential(2) : String(v)}`)
    .join('_');
}
