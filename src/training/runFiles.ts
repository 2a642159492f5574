import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendLine } from '../io/appendLine.js';
import { writeFileAtomic } from '../io/atomic.js';
import { InputError } from '../util/errors.js';
import type { EvalRecord, TrainResult } from './types.js';

// A run folder's own files besides the checkpoint: log.jsonl (one evaluation a line, appended as the run goes)
// and result.json (the summary of a finished run, with its options).

/** DIR/log.jsonl. */
export function logFile(dir: string): string {
  return join(dir, 'log.jsonl');
}

/** Refuses a folder whose result.json is a finished run with other options (same options: the run may go on). */
export function checkFinishedRun(dir: string, fingerprint: string): void {
  const resultFile = join(dir, 'result.json');
  if (!existsSync(resultFile)) return;
  const saved = JSON.parse(readFileSync(resultFile, 'utf8')) as { options?: unknown };
  if (JSON.stringify(saved.options) !== fingerprint) throw new InputError(`${dir} holds a finished run with other options; use another folder or delete it`);
}

/**
 * The first `lines` records of the log, rewritten so that the log holds just those (the lines after a checkpoint
 * belong to steps it does not hold: the resumed run logs them again).
 */
export function resumeLog(file: string, lines: number): EvalRecord[] {
  const records = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, lines).map((l) => JSON.parse(l) as EvalRecord) : [];
  writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
  return records;
}

/** Replaces the log by `records` (atomically): after refinement, the replayed evaluations in step order. */
export function rewriteLog(file: string, records: readonly EvalRecord[]): void {
  writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** An empty log for a run that starts at step 0. */
export function startLog(file: string): void {
  writeFileAtomic(file, '');
}

/** Appends one record, all or nothing (a failed append leaves the log as it was and throws). */
export function appendRecord(file: string, rec: EvalRecord): void {
  appendLine(file, JSON.stringify(rec) + '\n');
}

/** DIR/result.json: the summary without the records (they are the log), and the options' fingerprint. */
export function writeRunResult(dir: string, result: TrainResult, fingerprint: string): void {
  writeFileAtomic(join(dir, 'result.json'), JSON.stringify({ ...result, records: undefined, options: JSON.parse(fingerprint) }, null, 1) + '\n');
}
