import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { InputError } from '../util/errors.js';

/** A training run's state at the start of step `step`, enough to continue it bit for bit. */
export interface CheckpointMeta {
  step: number;
  /** ∫λ dt up to this step. */
  integratedLambda: number;
  /** Shapes of the saved float32 tensors, in order: parameters, then momentum buffers (if any). */
  shapes: number[][];
  batches: unknown;
  policy: unknown;
  /** Number of complete lines of log.jsonl that belong to steps ≤ `step`. */
  logLines: number;
  /** The run's options fingerprint: a resume with different options is refused. */
  fingerprint: string;
  dataFile: string;
}

/**
 * Writes the tensors' values (one float32 file) and then the metadata (atomically, naming the data file),
 * so a kill or a failed write (disk full) at any moment leaves either the previous checkpoint or the new one,
 * never a mix.
 */
export function saveCheckpoint(dir: string, meta: Omit<CheckpointMeta, 'dataFile'>, values: Float32Array[]): void {
  const dataFile = `checkpoint-${meta.step}.f32`;
  const total = values.reduce((s, v) => s + v.length, 0);
  const buf = new Float32Array(total);
  let at = 0;
  for (const v of values) {
    buf.set(v, at);
    at += v.length;
  }
  const previous = readMeta(dir);
  writeFileAtomic(join(dir, dataFile), new Uint8Array(buf.buffer));
  try {
    writeFileAtomic(join(dir, 'checkpoint.json'), JSON.stringify({ ...meta, dataFile }) + '\n');
  } catch (e) {
    // the previous checkpoint stays the valid one; the new data file would only take space (the disk may be full)
    if (previous?.dataFile !== dataFile) rmSync(join(dir, dataFile), { force: true });
    throw e;
  }
  if (previous && previous.dataFile !== dataFile) rmSync(join(dir, previous.dataFile), { force: true });
}

/** The checkpoint metadata in `dir`, or null when there is none; an unreadable or foreign one is an InputError. */
export function readMeta(dir: string): CheckpointMeta | null {
  const file = join(dir, 'checkpoint.json');
  if (!existsSync(file)) return null;
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new InputError(`${file} is not a readable checkpoint (${(e as Error).message}); delete the run folder to start over`);
  }
  // the data file's name is read back from disk and later removed: it must name one of ntk's own files
  if (typeof meta?.dataFile !== 'string' || !/^checkpoint-\d+\.f32$/.test(meta.dataFile)) {
    throw new InputError(`${file} is not a checkpoint ntk wrote (bad data file name); delete the run folder to start over`);
  }
  return meta;
}

/** The checkpoint's tensors, split by the recorded shapes. */
export function loadCheckpointValues(dir: string, meta: CheckpointMeta): Float32Array[] {
  const raw = readFileSync(join(dir, meta.dataFile));
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const out: Float32Array[] = [];
  let at = 0;
  for (const shape of meta.shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    out.push(all.slice(at, at + size));
    at += size;
  }
  if (at !== all.length) throw new InputError(`checkpoint ${meta.dataFile} holds ${all.length} values, expected ${at}; delete the run folder to start over`);
  return out;
}

/** Removes a run's checkpoint (metadata first, so a kill in between leaves no checkpoint pointing at nothing). */
export function clearCheckpoint(dir: string): void {
  const meta = readMeta(dir);
  if (!meta) return;
  rmSync(join(dir, 'checkpoint.json'), { force: true });
  rmSync(join(dir, meta.dataFile), { force: true });
}
