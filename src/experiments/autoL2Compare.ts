import { join } from 'node:path';
import type { NetworkSpec } from '../layers/types.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { AutoL2Options } from '../training/autoL2.js';
import type { LossName } from '../training/loss.js';
import type { EvalRecord, TrainData, TrainResult } from '../training/trainer.js';
import { InputError } from '../util/errors.js';
import { meanStderr } from '../util/stats.js';
import { runPool } from './runPool.js';
import { runName } from './runStore.js';
import type { Interval } from './claim.js';

/**
 * Options of `compareAutoL2`: Auto L2 against a grid of constant λ, every arm trained for the same budget over the
 * same seeds (paired), in a resumable folder.
 */
export interface AutoL2CompareOptions {
  /** The architecture. */
  spec: NetworkSpec;
  /** Training and test sets. */
  data: TrainData;
  /** Learning rate η. */
  lr: number;
  /** Physical-time budget T of every run. */
  budget: number;
  /** The Auto L2 policy (λ0, interval, factor, refractory period, floor). */
  auto: AutoL2Options;
  /** Constant λ values to compare with (the best one, by mean final accuracy, is the reference). */
  grid: number[];
  /** Seeds; every arm trains once per seed. */
  seeds: number[];
  /** Data loss (default 'mse'). */
  loss?: LossName;
  /** Mini-batch size (default 128). */
  batchSize?: number;
  /** Heavy-ball momentum (default 0). */
  momentum?: number;
  /** Evaluations per decade of steps (default 24). */
  evalsPerDecade?: number;
  /** Training points used for the logged train loss/accuracy (TrainOptions.evalTrainSize; default min(n, 2048)). */
  evalTrainSize?: number;
  /**
   * Resolve the time to the target to 2% (default false: to the evaluation grid, ~10%): once the target is known,
   * each Auto L2 run and each run of the best constant λ is replayed up to its first evaluation at the target, with
   * the bracket before it evaluated every ≤ 2% in time (TrainOptions.refine; kept in DIR/runs/NAME_reach=…).
   */
  refineReach?: boolean;
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Memory ceiling of each run (see TrainOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
  /** Results folder (resumable: finished runs are reused). */
  dir: string;
  /** Runs trained at once, each in its own worker thread (default 1: one after the other on this thread). */
  jobs?: number;
  /** Called after each run with its name, result and whether it was reused from the folder. */
  onRun?: (name: string, result: TrainResult, reused: boolean) => void;
}

export interface ArmSummary {
  label: string;
  lambda: number | null;
  finalAcc: number[];
  meanFinalAcc: number;
  stderrFinalAcc: number;
  /** Physical time at which each seed's test accuracy first reached the target (Infinity: never). */
  tReach: number[];
  /** Per seed, the interval (lo, hi] known to hold that first time: the evaluation before it and tReach (hi = Infinity: never). */
  tReachInterval: Interval[];
  /** Mean of tReach (Infinity when a seed never reached the target), and the median over seeds. */
  meanTReach: number;
  medianTReach: number;
  /** Seeds that reached the target within the budget. */
  reachedBy: number;
  curves: { seed: number; t: number[]; testAcc: number[]; lambda: number[] }[];
}

/** The result of `compareAutoL2`: each arm's summary over seeds, the best constant λ, and Auto L2's accuracy gain and speed-up to the target. */
export interface AutoL2CompareResult {
  /** The budget T. */
  budget: number;
  /** Accuracy the arms must reach: the best constant λ's mean final accuracy minus 2 standard errors. */
  target: number;
  /** Auto L2's arm. */
  auto: ArmSummary;
  /** Each constant λ's arm. */
  constants: ArmSummary[];
  /** The best constant λ's arm (by mean final accuracy). */
  best: ArmSummary;
  /** Auto L2's mean final accuracy minus the best constant λ's. */
  accGain: number;
  /** Best constant λ's median time to the target divided by Auto L2's (> 1: Auto L2 is faster; 0 if Auto L2 never gets there). */
  speedup: number;
}

/**
 * Auto L2 against a grid of constant λ at the same budget, over several seeds: final test accuracies, and the
 * physical time each arm needs to first reach the best constant λ's accuracy (less 2 standard errors).
 * @param o - the network, data, η, budget, the Auto L2 settings, the constant-λ grid, seeds and the folder (see AutoL2CompareOptions)
 * @returns each arm over seeds, the best constant λ, Auto L2's accuracy gain and its speed-up to the target
 */
export async function compareAutoL2(o: AutoL2CompareOptions): Promise<AutoL2CompareResult> {
  if (o.seeds.length < 1) throw new InputError('compareAutoL2 needs at least one seed');
  if (o.grid.length < 1) throw new InputError('compareAutoL2 needs at least one constant λ to compare with');
  const common = { spec: o.spec, data: o.data, lr: o.lr, budget: o.budget, loss: o.loss, batchSize: o.batchSize, momentum: o.momentum, evalsPerDecade: o.evalsPerDecade, evalTrainSize: o.evalTrainSize, backend: o.backend, maxMemoryBytes: o.maxMemoryBytes };
  const pool = runPool(o.jobs ?? 1);
  // every arm and seed at once: the pool decides how many train side by side
  const arm = async (label: string, lambda: number | null): Promise<{ label: string; lambda: number | null; results: { seed: number; r: TrainResult; name: string }[] }> => {
    const results = await Promise.all(
      o.seeds.map(async (seed) => {
        const name = lambda === null ? `auto_${runName({ lambda: o.auto.lambda0, seed })}` : `const_${runName({ lambda, seed })}`;
        const { result, reused } = await pool.run({ ...common, seed, lambda: lambda === null ? { autoL2: o.auto } : lambda, dir: join(o.dir, 'runs', name) });
        o.onRun?.(name, result, reused);
        return { seed, r: result };
      }),
    );
    return { label, lambda, results: results.map((x) => ({ ...x, name: lambda === null ? `auto_${runName({ lambda: o.auto.lambda0, seed: x.seed })}` : `const_${runName({ lambda, seed: x.seed })}` })) };
  };
  const [autoArm, ...constArms] = await Promise.all([arm(`Auto L2 (λ0 = ${o.auto.lambda0})`, null), ...o.grid.map((lambda) => arm(`λ = ${lambda}`, lambda))]);
  const mean = (v: number[]) => meanStderr(v).mean;
  const se = (v: number[]) => meanStderr(v).stderr;
  const finals = (a: typeof autoArm) => a.results.map((x) => x.r.finalTestAcc);
  const bestConst = constArms.reduce((a, b) => (mean(finals(b)) > mean(finals(a)) ? b : a));
  const target = mean(finals(bestConst)) - 2 * se(finals(bestConst));
  const reach = (records: EvalRecord[]): Interval => {
    const i = records.findIndex((r) => r.testAcc >= target);
    return i < 0 ? { lo: records[records.length - 1].t, hi: Infinity } : { lo: records[Math.max(0, i - 1)].t, hi: records[i].t };
  };
  // the refined replays: up to the first evaluation at the target, the bracket before it evaluated densely
  const refined = new Map<string, Interval>();
  if (o.refineReach) {
    const jobs = [autoArm, bestConst].flatMap((a) =>
      a.results.map(async (x) => {
        const i = x.r.records.findIndex((r) => r.testAcc >= target);
        if (i < 1) return;
        const step = x.r.records[i].step;
        const name = `${x.name}_reach=${target.toFixed(6)}`;
        const { result, reused } = await pool.run({ ...common, seed: x.seed, lambda: a.lambda === null ? { autoL2: o.auto } : a.lambda, budget: step * o.lr, refine: { peaks: false, accuracyLevels: [target] }, dir: join(o.dir, 'runs', name) });
        o.onRun?.(name, result, reused);
        refined.set(x.name, reach(result.records));
      }),
    );
    await Promise.all(jobs);
  }
  const summarise = (a: typeof autoArm): ArmSummary => {
    const f = finals(a);
    const tReachInterval = a.results.map((x) => refined.get(x.name) ?? reach(x.r.records));
    const tReach = tReachInterval.map((v) => v.hi);
    return {
      label: a.label,
      lambda: a.lambda,
      finalAcc: f,
      meanFinalAcc: mean(f),
      stderrFinalAcc: se(f),
      tReach,
      tReachInterval,
      meanTReach: mean(tReach),
      medianTReach: [...tReach].sort((a, b) => a - b)[Math.floor((tReach.length - 1) / 2)],
      reachedBy: tReach.filter(Number.isFinite).length,
      curves: a.results.map((x) => ({ seed: x.seed, t: x.r.records.map((r) => r.t), testAcc: x.r.records.map((r) => r.testAcc), lambda: x.r.records.map((r) => r.lambda) })),
    };
  };
  const auto = summarise(autoArm);
  const constants = constArms.map(summarise);
  const best = constants[constArms.indexOf(bestConst)];
  return { budget: o.budget, target, auto, constants, best, accGain: auto.meanFinalAcc - best.meanFinalAcc, speedup: Number.isFinite(auto.medianTReach) ? best.medianTReach / auto.medianTReach : 0 };
}
