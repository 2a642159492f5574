import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { structuredNtk } from '../kernels/structuredNtk.js';
import { specToJson } from '../layers/json.js';
import { bindFinite, initParams, applyNetworkWithState } from '../layers/network.js';
import { weightLayerCount } from '../layers/serial.js';
import type { LayerShape, NetworkSpec } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import { appendLine } from '../io/appendLine.js';
import { writeFileAtomic } from '../io/atomic.js';
import { initTfjs, type TfBackendName } from '../tfjs/backend.js';
import { tfRuntime } from '../tfjs/runtime.js';
import { InputError } from '../util/errors.js';
import { createBatchSource, type BatchSource } from './batchSource.js';
import { clearCheckpoint, loadCheckpointValues, readMeta, saveCheckpoint } from './checkpoint.js';
import { accuracy, dataLoss, type LossName } from './loss.js';
import { constantLambda, type LambdaPolicy } from './policy.js';
import { acquireRunLock } from './runLock.js';
import { checkTrainOptions, removeRunFiles } from './validate.js';
import { checkRefine, denseSteps, DEFAULT_REFINE_FACTOR, evalSteps, localResolution, refineWindows, type RefineOptions, type StepWindow } from './evalSchedule.js';
import { openWorkDir } from '../io/outputPath.js';

/** The data a run trains and evaluates on (float64 matrices; targets one row per example). */
export interface TrainData {
  x: Mat;
  y: Mat;
  xTest: Mat;
  yTest: Mat;
  description?: string;
  /** Images or sequences: the rows are examples flattened in C order, of this per-example shape (see bindFinite). */
  inputShape?: LayerShape;
}

export interface TrainOptions {
  spec: NetworkSpec;
  data: TrainData;
  /** Learning rate η (physical time t = η·steps). */
  lr: number;
  /** Physical-time budget T: the run takes ceil(T/η) steps. */
  budget: number;
  /** λ: a constant, or a policy such as Auto L2. */
  lambda: number | LambdaPolicy;
  loss?: LossName;
  /** Heavy-ball momentum μ (default 0: plain SGD, the Euler discretisation of the gradient flow). */
  momentum?: number;
  /** Mini-batch size (default 128; ≥ n gives full-batch gradient descent). */
  batchSize?: number;
  /** Seed of the initialization and of the batch order (default 0). */
  seed?: number;
  /** Evaluations per decade of steps, log-spaced from step 1 (default 24), plus step 0 and the last step. */
  evalsPerDecade?: number;
  /**
   * Refine the evaluation grid after the first pass (default: off): the brackets around the best test accuracy,
   * the lowest test loss and the first crossing of each accuracy level are replayed from in-memory snapshots of the
   * first pass and evaluated every ≤ 2% in time (see evalSchedule.ts); the records end up in step order.
   */
  refine?: RefineOptions;
  /** Training points used for the logged train loss/accuracy (default min(n, 2048)). */
  evalTrainSize?: number;
  /** Probe points (the first ones of the training set) whose empirical NTK is logged; 0 = off (default). */
  kernelProbe?: number;
  /** Kernel evaluations per decade of steps (default 6). */
  kernelEvalsPerDecade?: number;
  /** Results folder: log.jsonl (one line per evaluation), checkpoint, result.json. Omit for an in-memory run. */
  dir?: string;
  /** Start over: first remove this run's own files (result, log, checkpoint) from `dir`; nothing else there is touched. */
  restart?: boolean;
  /** Wall-clock seconds between checkpoints (default 30). */
  checkpointSeconds?: number;
  backend?: TfBackendName;
  /** Refuse the run, before anything is created, when its estimated peak memory is over this (default: half the machine's memory, at most 8 GiB). */
  maxMemoryBytes?: number;
  /** Called after each evaluation. */
  onEval?: (rec: EvalRecord, totalSteps: number) => void;
}

/** One evaluation, as logged (one JSON line). Losses are the bare data term (no L2). */
export interface EvalRecord {
  step: number;
  /** Physical time η·step. */
  t: number;
  lambda: number;
  /** Λ(t) = ∫λ dt. */
  integratedLambda: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  /** |θ|². */
  paramNorm2: number;
  /** Empirical NTK on the probe set: trace/N and Frobenius norm/N (when tracked at this step). */
  kernelTrace?: number;
  kernelFrob?: number;
}

export interface TrainResult {
  records: EvalRecord[];
  steps: number;
  /** Time of the best test accuracy and of the lowest test loss, and whether it is the last evaluation. */
  tStarAcc: number;
  tStarLoss: number;
  bestTestAcc: number;
  bestTestLoss: number;
  accAtEdge: boolean;
  lossAtEdge: boolean;
  /** Relative time resolution of tStarAcc and tStarLoss: the larger gap to a neighbouring evaluation over t*. */
  tStarAccResolution: number;
  tStarLossResolution: number;
  finalTestAcc: number;
  finalTestLoss: number;
  /** Number of Dense layers (the homogeneity degree for bias-free ReLU nets). */
  depth: number;
  paramCount: number;
  backend: string;
  examplesPerSecond: number;
  wallSeconds: number;
  resumedFromStep: number | null;
  dtype: 'float32 (tfjs)';
}

export { evalSteps } from './evalSchedule.js';

/**
 * Trains the finite network of `spec` with SGD and L2 exactly as the paper's gradient flow discretises:
 * θ ← θ − η·v, v ← μ·v + ∇(data loss on the batch) + λ·θ (μ = 0: v is the gradient), on every parameter.
 * Logs train/test loss and accuracy, |θ|² and (optionally) the empirical NTK of a probe set against physical
 * time, appending to DIR/log.jsonl as it goes; checkpoints let a killed run resume exactly where it stopped.
 * DIR is locked (DIR/run.lock) while the run trains: a second process on the same folder gets an InputError.
 */
export async function trainRun(opts: TrainOptions): Promise<TrainResult> {
  checkTrainOptions(opts);
  if (opts.refine) checkRefine(opts.refine);
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

/** `trainRun` once its folder (if any) is locked for this process. */
async function trainRunInFolder(opts: TrainOptions): Promise<TrainResult> {
  const backend = await initTfjs(opts.backend ?? 'auto');
  const tf = tfRuntime();
  const { data } = opts;
  const lossName = opts.loss ?? 'mse';
  const lr = opts.lr;
  const mu = opts.momentum ?? 0;
  const seed = opts.seed ?? 0;
  const n = data.x.rows;
  const batchSize = Math.min(opts.batchSize ?? 128, n);
  const totalSteps = Math.max(1, Math.ceil(opts.budget / lr - 1e-9));
  const policy = typeof opts.lambda === 'number' ? constantLambda(opts.lambda) : opts.lambda;
  const net = bindFinite(opts.spec, data.inputShape ?? data.x.cols);
  const steps = evalSteps(totalSteps, opts.evalsPerDecade ?? 24);
  const kernelSteps = new Set(opts.kernelProbe ? evalSteps(totalSteps, opts.kernelEvalsPerDecade ?? 6) : []);
  const fingerprint = runFingerprint(opts);

  const toTensor = (m: Mat): Tensor2D => tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], 'float32');
  const xAll = toTensor(data.x);
  const yAll = toTensor(data.y);
  const xTest = toTensor(data.xTest);
  const yTest = toTensor(data.yTest);
  const nEvalTrain = Math.min(n, opts.evalTrainSize ?? 2048);
  const xEval = nEvalTrain === n ? xAll : tf.slice(xAll, [0, 0], [nEvalTrain, data.x.cols]);
  const yEval = nEvalTrain === n ? yAll : tf.slice(yAll, [0, 0], [nEvalTrain, data.y.cols]);
  const probe = opts.kernelProbe ? tf.slice(xAll, [0, 0], [Math.min(opts.kernelProbe, n), data.x.cols]) : null;

  // State: parameters, momentum buffers, batch order, λ policy, ∫λ.
  let params: Tensor[][] = initParams(net, seed).layers.map((g) => [...g]);
  let velocity: Tensor[][] | null = mu > 0 ? params.map((g) => g.map((p) => tf.zerosLike(p))) : null;
  // non-trainable state (batchNorm's running statistics): updated by every training step, used by evaluations
  let runState: Tensor[] = [];
  const batches: BatchSource = createBatchSource(n, batchSize, seed);
  // the start of training, for a refinement bracket whose snapshot a resume lost
  const initialState = { batches: batches.state(), policy: JSON.parse(JSON.stringify(policy.state())) as unknown };
  let step = 0;
  let integratedLambda = 0;
  let records: EvalRecord[] = [];
  let resumedFromStep: number | null = null;
  const logFile = opts.dir ? join(opts.dir, 'log.jsonl') : null;
  if (opts.dir) {
    // the folder exists: trainRun created and locked it
    const resultFile = join(opts.dir, 'result.json');
    if (existsSync(resultFile)) {
      const saved = JSON.parse(readFileSync(resultFile, 'utf8')) as { options?: unknown };
      if (JSON.stringify(saved.options) !== fingerprint) throw new InputError(`${opts.dir} holds a finished run with other options; use another folder or delete it`);
    }
    const meta = readMeta(opts.dir);
    if (meta) {
      if (meta.fingerprint !== fingerprint) throw new InputError(`${opts.dir} holds a checkpoint of a different run (other options); use another --out folder or delete it`);
      const values = loadCheckpointValues(opts.dir, meta);
      const flat = params.flat();
      params.flat().forEach((p) => p.dispose());
      let at = 0;
      params = net.layers.map((layer) => layer.paramShapes.map((shape) => tf.tensor(values[at++], shape as number[], 'float32')));
      if (velocity) {
        velocity.flat().forEach((v) => v.dispose());
        velocity = net.layers.map((layer) => layer.paramShapes.map((shape) => tf.tensor(values[at++], shape as number[], 'float32')));
      }
      runState = meta.shapes.slice(at).map((shape, i) => tf.tensor(values[at + i], shape, 'float32'));
      void flat;
      batches.restore(meta.batches);
      policy.restore(meta.policy);
      step = meta.step;
      integratedLambda = meta.integratedLambda;
      records = readLog(logFile!, meta.logLines);
      rewriteLog(logFile!, records);
      resumedFromStep = step;
    } else {
      writeFileAtomic(logFile!, '');
    }
  }

  const evalSet = new Set(steps);
  const flatParams = (): Tensor[] => params.flat();
  const evalOutput = (ps: readonly (readonly Tensor[])[], x: Tensor2D): Tensor2D => applyNetworkWithState(net, ps, x, 'eval', runState).output;
  // reads are asynchronous: the webgpu backend has no synchronous read in Node.js (same numbers on every backend)
  const readScalar = async (t: Tensor): Promise<number> => {
    const v = (await t.data())[0];
    t.dispose();
    return v;
  };
  const paramNorm2 = (): Promise<number> => readScalar(tf.tidy(() => tf.addN(flatParams().map((p) => tf.sum(tf.square(p))))));
  const evaluate = async (): Promise<EvalRecord> => {
    const [trL, trA, teL, teA] = tf.tidy(() => {
      const fTr = evalOutput(params, xEval);
      const fTe = evalOutput(params, xTest);
      return [dataLoss(lossName, fTr, yEval), accuracy(fTr, yEval), dataLoss(lossName, fTe, yTest), accuracy(fTe, yTest)];
    });
    const values: number[] = [];
    for (const t of [trL, trA, teL, teA]) values.push(await readScalar(t));
    const rec: EvalRecord = {
      step,
      t: step * lr,
      lambda: policy.current(),
      integratedLambda,
      trainLoss: values[0],
      trainAcc: values[1],
      testLoss: values[2],
      testAcc: values[3],
      paramNorm2: await paramNorm2(),
    };
    if (probe && kernelSteps.has(step)) {
      const k = (await structuredNtk(net, params, probe, null)).ntk;
      const m = probe.shape[0];
      let tr = 0;
      let fr = 0;
      for (let i = 0; i < m; i++) tr += k[i * m + i];
      for (let i = 0; i < k.length; i++) fr += k[i] * k[i];
      rec.kernelTrace = tr / m;
      rec.kernelFrob = Math.sqrt(fr) / m;
    }
    if (!Number.isFinite(rec.trainLoss)) {
      throw new InputError(`training diverged at step ${step} (t = ${rec.t}): the train loss is ${rec.trainLoss}; lower the learning rate (η = ${lr})`);
    }
    return rec;
  };

  const started = performance.now();
  let lastCheckpoint = performance.now();
  let checkpointedStep = resumedFromStep; // the step of the checkpoint on disk (none is written twice)
  let lastYield = performance.now();
  let stepsTrained = 0;
  const checkpointMs = 1000 * (opts.checkpointSeconds ?? 30);
  const checkpoint = async (): Promise<void> => {
    if (!opts.dir) return;
    const tensors = [...flatParams(), ...(velocity ? velocity.flat() : []), ...runState];
    const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
    saveCheckpoint(opts.dir, {
      step,
      integratedLambda,
      shapes: tensors.map((t) => t.shape),
      batches: batches.state(),
      policy: policy.state(),
      logLines: records.length,
      fingerprint,
    }, values);
    lastCheckpoint = performance.now();
    checkpointedStep = step;
  };

  // a training pass: batch statistics, and the running statistics after it (kept for the next step)
  let stepState: Tensor[] = [];
  const lossOf = (ps: Tensor[][], xb: Tensor2D, yb: Tensor2D) => {
    const r = applyNetworkWithState(net, ps, xb, 'train', runState);
    stepState = r.state;
    return dataLoss(lossName, r.output, yb);
  };
  const groupSizes = params.map((g) => g.length);
  const regroup = (flat: Tensor[]): Tensor[][] => {
    let at = 0;
    return groupSizes.map((s) => flat.slice(at, (at += s)));
  };

  // Refinement (opts.refine): snapshots of the first pass at the evaluations that may start a bracket (the one
  // before the best accuracy so far, before the lowest loss so far, before each level's first crossing, and the
  // latest); after the first pass each bracket is replayed from its snapshot with dense evaluations.
  interface Snapshot {
    step: number;
    tensors: Tensor[];
    batches: unknown;
    policy: unknown;
    integratedLambda: number;
  }
  const refine = opts.refine ?? null;
  const snapshots = new Map<number, Snapshot>();
  let latest: Snapshot | null = null;
  const keep = new Map<string, number>(); // role → step of the snapshot it needs
  const takeSnapshot = (): Snapshot => ({
    step,
    tensors: [...flatParams(), ...(velocity ? velocity.flat() : []), ...runState].map((t) => t.clone()),
    batches: batches.state(),
    policy: JSON.parse(JSON.stringify(policy.state())) as unknown,
    integratedLambda,
  });
  const noteFirstPass = (rec: EvalRecord): void => {
    const prev = latest;
    const best = (key: 'acc' | 'loss') => records.slice(0, -1).every((r) => (key === 'acc' ? rec.testAcc > r.testAcc : rec.testLoss < r.testLoss));
    if (prev) {
      if (best('acc')) keep.set('acc', prev.step);
      if (best('loss')) keep.set('loss', prev.step);
      for (const level of refine?.accuracyLevels ?? []) if (!keep.has(`level ${level}`) && rec.testAcc >= level) keep.set(`level ${level}`, prev.step);
    }
    latest = takeSnapshot();
    snapshots.set(latest.step, latest);
    const needed = new Set([...keep.values(), latest.step]);
    for (const [s, snap] of snapshots) {
      if (!needed.has(s)) {
        snap.tensors.forEach((t) => t.dispose());
        snapshots.delete(s);
      }
    }
  };
  const restoreSnapshot = (from: number): void => {
    const snap = snapshots.get(from);
    const fresh = snap ? null : initParams(net, seed).layers.flat();
    const tensors = snap ? snap.tensors.map((t) => t.clone()) : [...fresh!, ...(velocity ? fresh!.map((p) => tf.zerosLike(p)) : [])];
    params.flat().forEach((p) => p.dispose());
    velocity?.flat().forEach((v) => v.dispose());
    runState.forEach((t) => t.dispose());
    const np = groupSizes.reduce((a, b) => a + b, 0);
    params = regroup(tensors.slice(0, np));
    if (velocity) velocity = regroup(tensors.slice(np, 2 * np));
    runState = tensors.slice(velocity ? 2 * np : np);
    batches.restore(snap ? snap.batches : initialState.batches);
    policy.restore(snap ? snap.policy : initialState.policy);
    integratedLambda = snap ? snap.integratedLambda : 0;
    step = snap ? snap.step : 0;
  };
  let phaseEnd = totalSteps;
  let phaseEvals = evalSet;
  let windows: StepWindow[] | null = null;

  try {
    for (;;) {
      if (phaseEvals.has(step) && !(windows === null && resumedFromStep === step && records.length && records[records.length - 1].step === step)) {
        const rec = await evaluate();
        // all or nothing (a failed append leaves the log as it was and stops the run); the record counts only once logged
        if (logFile) appendLine(logFile, JSON.stringify(rec) + '\n');
        records.push(rec);
        opts.onEval?.(rec, totalSteps);
        if (refine && windows === null) noteFirstPass(rec);
      }
      if (step >= phaseEnd) {
        if (!refine) break;
        windows ??= refineWindows(records, refine);
        const next = windows.shift();
        if (!next) break;
        // replay the bracket from the snapshot at its start (or from the initial state), evaluating densely
        restoreSnapshot(next.from);
        phaseEnd = next.to;
        const done = new Set(records.map((r) => r.step));
        phaseEvals = new Set(denseSteps(step, next.to, refine.factor ?? DEFAULT_REFINE_FACTOR).filter((s) => !done.has(s)));
        continue;
      }
      // by wall time, at any step (evaluations are log-spaced, far apart late in a long run): a kill loses at
      // most checkpointSeconds of training. The state saved is the one at the start of this step. Not while
      // refining (a resume redoes the refinement after the first pass).
      if (windows === null && step !== checkpointedStep && performance.now() - lastCheckpoint >= checkpointMs) await checkpoint();
      if (performance.now() - lastYield > 250) {
        // let timers, I/O and progress output run during long runs (the loop is otherwise synchronous)
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      const idx = batches.next();
      const idxT = tf.tensor1d(idx, 'int32');
      const xb = tf.gather(xAll, idxT) as Tensor2D;
      const yb = tf.gather(yAll, idxT) as Tensor2D;
      if (policy.interval !== null && step % policy.interval === 0) {
        const [l, a] = tf.tidy(() => {
          const f = evalOutput(params, xb);
          return [dataLoss(lossName, f, yb), accuracy(f, yb)];
        });
        policy.observe(step, await readScalar(l), await readScalar(a));
      }
      const lambda = policy.current();
      const next = tf.tidy(() => {
        const grads = tf.grads((...ps: Tensor[]) => lossOf(regroup(ps), xb, yb))(flatParams());
        const flat = flatParams();
        const vel = velocity ? velocity.flat() : null;
        const newParams: Tensor[] = [];
        const newVel: Tensor[] = [];
        flat.forEach((p, i) => {
          // the full gradient of the paper's loss: data term + λ·θ
          const g = lambda > 0 ? tf.add(grads[i], tf.mul(p, lambda)) : grads[i];
          const v = vel ? tf.add(tf.mul(vel[i], mu), g) : g;
          newParams.push(tf.sub(p, tf.mul(v, lr)));
          if (vel) newVel.push(v);
        });
        return { newParams, newVel };
      });
      idxT.dispose();
      xb.dispose();
      yb.dispose();
      flatParams().forEach((p) => p.dispose());
      params = regroup(next.newParams);
      if (stepState.length > 0) {
        runState.forEach((t) => t.dispose());
        runState = stepState;
        stepState = [];
      }
      if (velocity) {
        velocity.flat().forEach((v) => v.dispose());
        velocity = regroup(next.newVel);
      }
      integratedLambda += lambda * lr;
      step++;
      stepsTrained++;
    }
    if (windows !== null) {
      // the refined evaluations in step order, in memory and in the log
      records.sort((a, b) => a.step - b.step);
      if (logFile) rewriteLog(logFile, records);
    }
  } finally {
    for (const snap of snapshots.values()) snap.tensors.forEach((t) => t.dispose());
    [xAll, yAll, xTest, yTest, ...(probe ? [probe] : [])].forEach((t) => t.dispose());
    if (xEval !== xAll) xEval.dispose();
    if (yEval !== yAll) yEval.dispose();
    params.flat().forEach((p) => p.dispose());
    velocity?.flat().forEach((v) => v.dispose());
    runState.forEach((t) => t.dispose());
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const result = summarize(records, {
    steps: totalSteps,
    depth: weightLayerCount(opts.spec),
    paramCount: net.paramCount,
    backend: backend.backend,
    examplesPerSecond: (stepsTrained * batchSize) / Math.max(wallSeconds, 1e-9),
    wallSeconds,
    resumedFromStep,
  });
  if (opts.dir) {
    writeFileAtomic(join(opts.dir, 'result.json'), JSON.stringify({ ...result, records: undefined, options: JSON.parse(fingerprint) }, null, 1) + '\n');
    clearCheckpoint(opts.dir); // the finished run is its log and result; the parameters are not kept
  }
  return result;
}

/**
 * The options that determine a run's numbers, as a JSON string: a checkpoint or a finished result is reused
 * only by a run with the same fingerprint.
 */
export function runFingerprint(opts: TrainOptions): string {
  const policy = typeof opts.lambda === 'number' ? constantLambda(opts.lambda) : opts.lambda;
  return JSON.stringify({
    spec: specToJson(opts.spec),
    lr: opts.lr,
    momentum: opts.momentum ?? 0,
    seed: opts.seed ?? 0,
    batchSize: Math.min(opts.batchSize ?? 128, opts.data.x.rows),
    loss: opts.loss ?? 'mse',
    steps: Math.max(1, Math.ceil(opts.budget / opts.lr - 1e-9)),
    policy: policy.name,
    n: opts.data.x.rows,
    d: opts.data.x.cols,
    probe: opts.kernelProbe ?? 0,
    evalsPerDecade: opts.evalsPerDecade ?? 24,
    data: opts.data.description ?? null,
    // only when set, so that runs without refinement keep their fingerprint
    ...(opts.refine ? { refine: { factor: opts.refine.factor ?? DEFAULT_REFINE_FACTOR, peaks: opts.refine.peaks ?? true, accuracyLevels: opts.refine.accuracyLevels ?? [] } } : {}),
  });
}

/** t* and the bests from the evaluation records. */
export function summarize(records: EvalRecord[], rest: Omit<TrainResult, 'records' | 'tStarAcc' | 'tStarLoss' | 'bestTestAcc' | 'bestTestLoss' | 'accAtEdge' | 'lossAtEdge' | 'tStarAccResolution' | 'tStarLossResolution' | 'finalTestAcc' | 'finalTestLoss' | 'dtype'>): TrainResult {
  let iAcc = 0;
  let iLoss = 0;
  records.forEach((r, i) => {
    if (r.testAcc > records[iAcc].testAcc) iAcc = i; // first time the best accuracy is reached
    if (r.testLoss < records[iLoss].testLoss) iLoss = i;
  });
  const last = records[records.length - 1];
  const steps = records.map((r) => r.step);
  return {
    records,
    tStarAcc: records[iAcc].t,
    tStarLoss: records[iLoss].t,
    bestTestAcc: records[iAcc].testAcc,
    bestTestLoss: records[iLoss].testLoss,
    accAtEdge: iAcc === records.length - 1,
    lossAtEdge: iLoss === records.length - 1,
    tStarAccResolution: localResolution(steps, records[iAcc].step),
    tStarLossResolution: localResolution(steps, records[iLoss].step),
    finalTestAcc: last.testAcc,
    finalTestLoss: last.testLoss,
    dtype: 'float32 (tfjs)',
    ...rest,
  };
}

function readLog(file: string, lines: number): EvalRecord[] {
  if (!existsSync(file)) return [];
  const all = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return all.slice(0, lines).map((l) => JSON.parse(l) as EvalRecord);
}

function rewriteLog(file: string, records: EvalRecord[]): void {
  writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
}
