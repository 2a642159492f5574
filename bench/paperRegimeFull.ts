/**
 * How long `ntk figures --full` takes for the paper-regime figures, measured rather than guessed: one short run of
 * each --full configuration (the net, width, data, batch, momentum and training-set evaluation size its settings
 * use) gives the seconds per training step and per evaluation (the trainer's trainSeconds and evalSeconds), and
 * the whole --full plan of each figure (every run's steps and evaluations, counted from the same settings and
 * evaluation grid the figure uses) is priced with them. A 3-step run before each measured one takes tfjs' warm-up. The refinement replays (t* brackets, times to the target)
 * come on top and are estimated separately (see docs/figures-paper-regime.md).
 *
 * Run: nice -n 5 npx tsx bench/paperRegimeFull.ts [--steps 20] [--only lambda-choice,collapse,autol2]
 */
import { autoL2BatchNormSettings } from '../src/experiments/autoL2BatchNorm.js';
import { bundledImageDataset } from '../src/experiments/dataset.js';
import { lambdaChoiceSettings } from '../src/experiments/lambdaChoiceFigures.js';
import { momentumCollapseSettings } from '../src/experiments/momentumCollapse.js';
import { snapBudget } from '../src/experiments/paperRegimeRuns.js';
import { withPooledBlasThreads } from '../src/experiments/pooledBlasThreads.js';
import { PAPER_SETUPS } from '../src/experiments/paperSetups.js';
import { parseSpec } from '../src/layers/json.js';
import { evalSteps } from '../src/training/evalSchedule.js';
import { trainRun } from '../src/training/trainer.js';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const N = Number(flag('--steps', '20'));
const only = new Set(flag('--only', 'lambda-choice,collapse,autol2').split(','));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const stepsOf = (budget: number, lr: number) => Math.max(1, Math.ceil(budget / lr - 1e-9));

/** One planned run: its steps and evaluations. */
interface Planned {
  steps: number;
  evals: number;
}

/** Seconds per training step and per evaluation of one configuration, from a run of N steps. */
async function measure(o: { setup: 'cnn' | 'wrn'; width: number; data: string; batch: number; lr: number; evalTrainSize: number; perDecade: number }) {
  const s = PAPER_SETUPS[o.setup];
  const data = bundledImageDataset(o.data, { size: s.imageSize });
  const spec = parseSpec(s.arch(o.width));
  const opts = { spec, data, lr: o.lr, momentum: s.momentum, loss: s.loss, batchSize: o.batch, lambda: 1e-3, seed: 0, evalsPerDecade: o.perDecade, evalTrainSize: o.evalTrainSize };
  // a 3-step run first, not counted: tfjs' first steps and evaluations (kernel set-up, allocations) cost far more than
  // the rest, and a --full run pays that once per run (a few seconds), not per step
  // the figures train pooled runs, one OpenBLAS thread each (src/experiments/pooledBlasThreads.ts): measure the same
  await withPooledBlasThreads(() => trainRun({ ...opts, budget: 3 * o.lr }));
  const before = load();
  const r = await withPooledBlasThreads(() => trainRun({ ...opts, budget: N * o.lr }));
  return { step: r.trainSeconds! / r.steps, evaluation: r.evalSeconds! / r.records.length, evaluations: r.records.length, wall: r.wallSeconds, backend: r.backend, load: `${before} → ${load()}` };
}

function report(name: string, m: Awaited<ReturnType<typeof measure>>, plan: Planned[], note: string): void {
  const steps = plan.reduce((a, p) => a + p.steps, 0);
  const evals = plan.reduce((a, p) => a + p.evals, 0);
  const total = steps * m.step + evals * m.evaluation;
  console.log(`\n${name}: ${note}`);
  console.log(`  measured (${N} steps, ${m.evaluations} evaluations, ${m.backend}, load ${m.load}): ${m.step.toFixed(3)} s per step, ${m.evaluation.toFixed(3)} s per evaluation (wall ${m.wall.toFixed(1)} s)`);
  console.log(`  --full plan: ${plan.length} runs, ${steps} steps, ${evals} evaluations (first pass)`);
  console.log(`  estimate: ${steps} × ${m.step.toFixed(3)} + ${evals} × ${m.evaluation.toFixed(3)} = ${total.toFixed(0)} s = ${(total / 3600).toFixed(2)} h of one job; with --jobs 2 on 2 free cores ≈ ${(total / 7200).toFixed(2)} h (runs side by side share memory bandwidth: a floor, not a promise)`);
}

if (only.has('lambda-choice')) {
  const st = lambdaChoiceSettings(true);
  const r = st.runs;
  const pd = r.evalsPerDecade ?? 12;
  const snap = (t: number) => snapBudget(t, r.lr, pd);
  const inverse = r.lambdas.map((l) => snap(r.budgetFactor / l));
  const predict = r.predictBudgets.map(snap);
  const maxSteps = Math.round(Math.max(...inverse, snap(r.fixedBudget), ...predict) / r.lr);
  const longRuns: Planned[] = Array.from({ length: (r.lambdas.length + 1) * r.seeds.length }, () => ({ steps: maxSteps, evals: evalSteps(maxSteps, pd).length }));
  const shortSteps = stepsOf((r.shortFactor ?? 2.5) / r.lambda0, r.lr);
  const shortRuns: Planned[] = r.seeds.map(() => ({ steps: shortSteps, evals: evalSteps(shortSteps, pd).length }));
  const predicted: Planned[] = predict.flatMap((b) => r.seeds.map(() => ({ steps: Math.round(b / r.lr), evals: evalSteps(Math.round(b / r.lr), pd).length })));
  const m = await measure({ setup: 'cnn', width: st.width, data: st.data, batch: r.batchSize ?? 128, lr: r.lr, evalTrainSize: r.evalTrainSize ?? 2048, perDecade: pd });
  report('accuracy_vs_lambda + predicted_vs_best_lambda (shared runs)', m, [...longRuns, ...shortRuns, ...predicted], `cnn width ${st.width}, ${st.data}, batch ${r.batchSize}, η ${r.lr}; ${longRuns.length} long runs of ${maxSteps} steps, ${shortRuns.length} short runs of ${shortSteps}, ${predicted.length} predicted-λ runs (${predict.map((b) => Math.round(b / r.lr)).join(', ')} steps per seed)`);
}
if (only.has('collapse')) {
  const s = momentumCollapseSettings(true);
  const plan: Planned[] = s.lrs.flatMap((lr) => s.lambdas.flatMap((l) => s.seeds.map(() => {
    const steps = stepsOf(s.budgetFactor / l, lr);
    return { steps, evals: evalSteps(steps, s.evalsPerDecade).length };
  })));
  // one step costs the same at any η: measure at the middle one
  const m = await measure({ setup: 'cnn', width: s.width, data: s.data, batch: s.batch, lr: 0.1, evalTrainSize: s.evalTrainSize, perDecade: s.evalsPerDecade });
  report('collapse_momentum', m, plan, `cnn width ${s.width}, ${s.data}, batch ${s.batch}; ${plan.length} runs (η ${s.lrs.join(', ')} × λ ${s.lambdas.join(', ')} × ${s.seeds.length} seeds, T = ${s.budgetFactor}/λ)`);
}
if (only.has('autol2')) {
  const s = autoL2BatchNormSettings(true);
  const wrn = PAPER_SETUPS.wrn;
  const steps = stepsOf(s.budget, wrn.lr);
  const plan: Planned[] = Array.from({ length: (s.grid.length + 1) * s.seeds.length }, () => ({ steps, evals: evalSteps(steps, s.evalsPerDecade).length }));
  const m = await measure({ setup: 'wrn', width: s.width, data: s.data, batch: s.batch, lr: wrn.lr, evalTrainSize: s.evalTrainSize, perDecade: s.evalsPerDecade });
  report('autol2_batchnorm', m, plan, `wrn width ${s.width}, ${s.data}, batch ${s.batch}; ${plan.length} runs of ${steps} steps (Auto L2 + ${s.grid.length} constant λ, × ${s.seeds.length} seeds)`);
}
