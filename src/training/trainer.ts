import { bindFinite } from '../layers/network.js';
import { weightLayerCount } from '../layers/serial.js';
import { openWorkDir } from '../io/outputPath.js';
import { initTfjs } from '../tfjs/backend.js';
import { clearCheckpoint } from './checkpoint.js';
import { checkRefine, evalSteps } from './evalSchedule.js';
import { checkNotDiverged, evaluateRun } from './evaluation.js';
import { checkEvalTrainSubset, evalSubsetIndices } from './evalSubset.js';
import { runFingerprint } from './fingerprint.js';
import { probeKernel } from './kernelProbe.js';
import { Refinement } from './refinement.js';
import { constantLambda } from './policy.js';
import { checkpointRun, findCheckpoint } from './runCheckpoint.js';
import { appendRecord, checkFinishedRun, logFile, resumeLog, rewriteLog, startLog, writeRunResult } from './runFiles.js';
import { acquireRunLock } from './runLock.js';
import { disposeRunState, initialRunState, restoredRunState, type RunState, type RunStateSettings } from './runState.js';
import { summarize } from './summary.js';
import { trainStep } from './trainStep.js';
import { uploadTrainData } from './trainTensors.js';
import type { EvalRecord, TrainOptions, TrainResult } from './types.js';
import { checkTrainOptions, removeRunFiles } from './validate.js';

// The trainer's public face: trainRun, and (re-exported from the modules that hold them) the run's types, its
// evaluation schedule, its fingerprint and its summary.
export type { EvalRecord, TrainData, TrainOptions, TrainResult } from './types.js';
export { evalSteps } from './evalSchedule.js';
export { runFingerprint } from './fingerprint.js';
export { summarize } from './summary.js';

/**
 * Trains the finite network of `spec` with SGD and L2 exactly as the paper's gradient flow discretises
 * (`updateStep`): θ ← θ − η·(∇L + λθ) with L the data loss on the mini-batch; with momentum μ > 0,
 * v ← μ·v + ∇L + λθ, θ ← θ − η·v; on every parameter.
 * Logs train/test loss and accuracy, |θ|² and (optionally) the empirical NTK of a probe set against physical
 * time, appending to DIR/log.jsonl as it goes; checkpoints let a killed run resume exactly where it stopped.
 * DIR is locked (DIR/run.lock) while the run trains: a second process on the same folder gets an InputError.
 * @param opts - the network, data, learning rate η, budget T (physical time), λ or a λ policy, and the run's settings
 *   (see TrainOptions); `dir` makes the run logged, checkpointed and resumable
 * @returns the summary: every evaluation, t* of the best test accuracy and of the lowest test loss, final values
 * @throws InputError for bad options or data, a run over the memory ceiling, or a locked folder
 */
export async function trainRun(opts: TrainOptions): Promise<TrainResult> {
  checkTrainOptions(opts);
  if (opts.refine) checkRefine(opts.refine);
  checkEvalTrainSubset(opts.evalTrainSubset, opts.evalTrainSize);
  if (!opts.dir) return trainRunInFolder(opts);
  openWorkDir(opts.dir, 'run');
  const release = acquireRunLock(opts.dir);
  try {
    if (opts.restart) removeRunFiles(opts.dir);
    return await trainRunInFolder(opts);
  } finally {
    release();
  }
}

/**
 * `trainRun` once its folder (if any) is locked for this process: the run state (fresh, or from the folder's
 * checkpoint), then evaluations at the scheduled steps (logged as they come), wall-clock checkpoints and training
 * steps until the budget's last step, then (with `refine`) the replays of the brackets around t* with dense
 * evaluations, then the summary (DIR/result.json; the checkpoint is removed).
 */
async function trainRunInFolder(opts: TrainOptions): Promise<TrainResult> {
  const backend = await initTfjs(opts.backend ?? 'auto');
  const { data, lr, dir } = opts;
  const lossName = opts.loss ?? 'mse';
  const momentum = opts.momentum ?? 0;
  const n = data.x.rows;
  const batchSize = Math.min(opts.batchSize ?? 128, n);
  const totalSteps = Math.max(1, Math.ceil(opts.budget / lr - 1e-9));
  const settings: RunStateSettings = { seed: opts.seed ?? 0, momentum, n, batchSize, policy: typeof opts.lambda === 'number' ? constantLambda(opts.lambda) : opts.lambda };
  const net = bindFinite(opts.spec, data.inputShape ?? data.x.cols);
  const evalSet = new Set(evalSteps(totalSteps, opts.evalsPerDecade ?? 24));
  const kernelSteps = new Set(opts.kernelProbe ? evalSteps(totalSteps, opts.kernelEvalsPerDecade ?? 6) : []);
  const fingerprint = runFingerprint(opts);
  const log = dir ? logFile(dir) : null;

  // the state, and the records logged so far: from the folder's checkpoint, or fresh (the folder exists: trainRun made and locked it)
  let state: RunState;
  let records: EvalRecord[] = [];
  let resumedFromStep: number | null = null;
  // the λ policy's state at step 0, before a checkpoint restores a later one (a replay from step 0 needs it)
  const refinement = opts.refine ? new Refinement(opts.refine, net, settings, JSON.parse(JSON.stringify(settings.policy.state())) as unknown) : null;
  if (dir) checkFinishedRun(dir, fingerprint);
  const saved = dir ? findCheckpoint(dir, fingerprint) : null;
  if (saved && log) {
    state = restoredRunState(net, settings, saved.meta, saved.values);
    records = resumeLog(log, saved.meta.logLines);
    resumedFromStep = state.step;
  } else {
    state = initialRunState(net, settings);
    if (log) startLog(log);
  }
  const evalTrain = opts.evalTrainSubset !== undefined ? evalSubsetIndices(n, opts.evalTrainSubset) : (opts.evalTrainSize ?? 2048);
  const tensors = uploadTrainData(data, evalTrain, opts.kernelProbe ?? 0);

  const started = performance.now();
  let stepsTrained = 0;
  let evalMs = 0; // time in evaluations and in training steps, reported apart (TrainResult.evalSeconds, trainSeconds)
  let trainMs = 0;
  let phaseEnd = totalSteps; // the first pass ends at the budget's last step; each replay at its bracket's end
  let phaseEvals = evalSet;
  const checkpointMs = 1000 * (opts.checkpointSeconds ?? 30);
  let lastCheckpoint = performance.now();
  let checkpointedStep = resumedFromStep; // the step of the checkpoint on disk (none is written twice)
  let lastYield = performance.now();
  try {
    for (;;) {
      const step = state.step;
      const replaying = refinement?.replaying ?? false;
      // a resumed run's first step may have been evaluated (and logged) before its checkpoint was written
      if (phaseEvals.has(step) && !(!replaying && resumedFromStep === step && records.length && records[records.length - 1].step === step)) {
        const evalStart = performance.now();
        const rec = await evaluateRun(net, state, tensors, lossName, lr);
        if (tensors.probe && kernelSteps.has(step)) Object.assign(rec, await probeKernel(net, state.params, tensors.probe));
        evalMs += performance.now() - evalStart;
        checkNotDiverged(rec, lr);
        // all or nothing (a failed append leaves the log as it was and stops the run); the record counts only once logged
        if (log) appendRecord(log, rec);
        records.push(rec);
        opts.onEval?.(rec, totalSteps);
        if (refinement && !replaying) refinement.noteFirstPass(rec, records, state);
      }
      if (step >= phaseEnd) {
        const replay = refinement?.nextReplay(records, state) ?? null;
        if (!replay) break;
        phaseEnd = replay.end;
        phaseEvals = replay.evalSteps;
        continue;
      }
      // by wall time, at any step (evaluations are log-spaced, far apart late in a long run): a kill loses at
      // most checkpointSeconds of training. The state saved is the one at the start of this step. Not while
      // replaying (a resumed run redoes the replays after its first pass).
      if (dir && !replaying && step !== checkpointedStep && performance.now() - lastCheckpoint >= checkpointMs) {
        await checkpointRun(dir, state, records.length, fingerprint);
        lastCheckpoint = performance.now();
        checkpointedStep = step;
      }
      if (performance.now() - lastYield > 250) {
        // let timers, I/O and progress output run during long runs (the loop is otherwise synchronous)
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      const stepStart = performance.now();
      await trainStep({ net, x: tensors.x, y: tensors.y, lossName, lr, momentum }, state);
      trainMs += performance.now() - stepStart;
      stepsTrained++;
    }
    if (refinement?.replaying) {
      // the replayed evaluations in step order, in memory and in the log
      records.sort((a, b) => a.step - b.step);
      if (log) rewriteLog(log, records);
    }
  } finally {
    refinement?.dispose();
    tensors.dispose();
    disposeRunState(state);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const result = summarize(records, {
    steps: totalSteps,
    depth: weightLayerCount(opts.spec),
    paramCount: net.paramCount,
    backend: backend.backend,
    examplesPerSecond: (stepsTrained * batchSize) / Math.max(wallSeconds, 1e-9),
    wallSeconds,
    evalSeconds: evalMs / 1000,
    trainSeconds: trainMs / 1000,
    resumedFromStep,
  });
  if (dir) {
    writeRunResult(dir, result, fingerprint);
    clearCheckpoint(dir); // the finished run is its log and result; the parameters are not kept
  }
  return result;
}
