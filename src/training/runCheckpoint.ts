import { InputError } from '../util/errors.js';
import { loadCheckpointValues, readMeta, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { stateTensors, type RunState } from './runState.js';

/**
 * Saves `state` (the run at the start of step `state.step`) as the checkpoint of DIR, with the number of lines
 * of log.jsonl that belong to it and the run's fingerprint. Reads the tensors back from the backend first
 * (asynchronously: the webgpu backend has no synchronous read in Node.js).
 */
export async function checkpointRun(dir: string, state: RunState, logLines: number, fingerprint: string): Promise<void> {
  const tensors = stateTensors(state);
  const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  saveCheckpoint(
    dir,
    {
      step: state.step,
      integratedLambda: state.integratedLambda,
      shapes: tensors.map((t) => t.shape),
      batches: state.batches.state(),
      policy: state.policy.state(),
      logLines,
      fingerprint,
    },
    values,
  );
}

/**
 * The checkpoint in DIR of the run with this fingerprint and its tensors' values, or null when DIR has none; a
 * checkpoint of another run (other options) is an InputError.
 */
export function findCheckpoint(dir: string, fingerprint: string): { meta: CheckpointMeta; values: Float32Array[] } | null {
  const meta = readMeta(dir);
  if (!meta) return null;
  if (meta.fingerprint !== fingerprint) throw new InputError(`${dir} holds a checkpoint of a different run (other options); use another --out folder or delete it`);
  return { meta, values: loadCheckpointValues(dir, meta) };
}
