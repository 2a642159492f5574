import type { Tensor } from '@tensorflow/tfjs';
import type { BoundFiniteNetwork } from '../layers/network.js';
import { DEFAULT_REFINE_FACTOR, denseSteps, refineWindows, type RefineOptions, type StepWindow } from './evalSchedule.js';
import { disposeRunState, initialRunState, stateTensors, type RunState, type RunStateSettings } from './runState.js';
import type { EvalRecord } from './types.js';

// Refinement of the evaluation grid (TrainOptions.refine): during the first pass, in-memory snapshots of the run
// state at the evaluations that may start a bracket (the one before the best accuracy so far, before the lowest loss
// so far, before each accuracy level's first crossing, and the latest); after it, each bracket is replayed from its
// snapshot with dense evaluations. Replays train the same steps again from the same state, so their records are
// those of a run that evaluated at every one of those steps.

/** A copy of the run state at one step (tensors cloned; batch order and λ policy state as JSON). */
interface RunSnapshot {
  step: number;
  tensors: Tensor[];
  batches: unknown;
  policy: unknown;
  integratedLambda: number;
}

const jsonCopy = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

/** The first pass's snapshots and the replays of the brackets it found. */
export class Refinement {
  private readonly snapshots = new Map<number, RunSnapshot>();
  private latest: RunSnapshot | null = null;
  private readonly keep = new Map<string, number>(); // role → step of the snapshot it needs
  private windows: StepWindow[] | null = null;

  /**
   * @param options - the refinement options
   * @param net - the bound network (to rebuild the step-0 state when a bracket starts before every snapshot)
   * @param settings - the run's state settings
   * @param initialPolicyState - the λ policy's state at step 0 (a resumed run restores a later one into it)
   */
  constructor(
    private readonly options: RefineOptions,
    private readonly net: BoundFiniteNetwork,
    private readonly settings: RunStateSettings,
    private readonly initialPolicyState: unknown,
  ) {}

  /** Whether the first pass is over (the replays have begun). */
  get replaying(): boolean {
    return this.windows !== null;
  }

  /** Notes a first-pass evaluation (already appended to `records`) and snapshots the state it was taken at. */
  noteFirstPass(rec: EvalRecord, records: readonly EvalRecord[], state: RunState): void {
    const prev = this.latest;
    const earlier = records.slice(0, -1);
    if (prev) {
      if (earlier.every((r) => rec.testAcc > r.testAcc)) this.keep.set('acc', prev.step);
      if (earlier.every((r) => rec.testLoss < r.testLoss)) this.keep.set('loss', prev.step);
      for (const level of this.options.accuracyLevels ?? []) if (!this.keep.has(`level ${level}`) && rec.testAcc >= level) this.keep.set(`level ${level}`, prev.step);
    }
    const snap: RunSnapshot = {
      step: state.step,
      tensors: stateTensors(state).map((t) => t.clone()),
      batches: state.batches.state(),
      policy: jsonCopy(state.policy.state()),
      integratedLambda: state.integratedLambda,
    };
    this.latest = snap;
    this.snapshots.set(snap.step, snap);
    const needed = new Set([...this.keep.values(), snap.step]);
    for (const [s, old] of this.snapshots) {
      if (!needed.has(s)) {
        old.tensors.forEach((t) => t.dispose());
        this.snapshots.delete(s);
      }
    }
  }

  /**
   * After the first pass (or a replay) ended: moves `state` to the start of the next bracket and returns the bracket's
   * last step and the steps to evaluate in it (dense, minus those already in `records`); null when none is left.
   */
  nextReplay(records: readonly EvalRecord[], state: RunState): { end: number; evalSteps: Set<number> } | null {
    this.windows ??= refineWindows(records, this.options);
    const next = this.windows.shift();
    if (!next) return null;
    this.restore(next.from, state);
    const done = new Set(records.map((r) => r.step));
    const steps = denseSteps(state.step, next.to, this.options.factor ?? DEFAULT_REFINE_FACTOR).filter((s) => !done.has(s));
    return { end: next.to, evalSteps: new Set(steps) };
  }

  /** Frees every snapshot. */
  dispose(): void {
    for (const snap of this.snapshots.values()) snap.tensors.forEach((t) => t.dispose());
    this.snapshots.clear();
  }

  /** Puts `state` at step `from`: its snapshot, or the step-0 state rebuilt from the seed (a resume lost the snapshots). */
  private restore(from: number, state: RunState): void {
    const snap = this.snapshots.get(from);
    disposeRunState(state);
    if (snap) {
      const tensors = snap.tensors.map((t) => t.clone());
      const sizes = state.params.map((g) => g.length);
      const np = sizes.reduce((a, b) => a + b, 0);
      const regroup = (flat: Tensor[]): Tensor[][] => {
        let at = 0;
        return sizes.map((s) => flat.slice(at, (at += s)));
      };
      state.params = regroup(tensors.slice(0, np));
      if (state.velocity) state.velocity = regroup(tensors.slice(np, 2 * np));
      state.netState = tensors.slice(state.velocity ? 2 * np : np);
      state.batches.restore(snap.batches);
      state.policy.restore(snap.policy);
      state.step = snap.step;
      state.integratedLambda = snap.integratedLambda;
      return;
    }
    const fresh = initialRunState(this.net, this.settings);
    state.params = fresh.params;
    state.velocity = fresh.velocity;
    state.netState = fresh.netState;
    state.batches.restore(fresh.batches.state());
    state.policy.restore(this.initialPolicyState);
    state.step = 0;
    state.integratedLambda = 0;
  }
}
