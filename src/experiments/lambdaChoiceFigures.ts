import { join } from 'node:path';
import type { Figure } from '../figures/figure.js';
import { accuracyVsLambdaFigure, predictedVsBestLambdaFigure } from '../figures/paperRegime.js';
import { parseSpec } from '../layers/json.js';
import type { TfBackendName } from '../tfjs/backend.js';
import type { TrainResult } from '../training/trainer.js';
import { accuracyVsLambda, accuracyVsLambdaClaim } from './accuracyVsLambda.js';
import type { Claim } from './claim.js';
import { bundledImageDataset } from './dataset.js';
import { PAPER_SETUPS } from './paperSetups.js';
import { paperRegimeRuns, type PaperRegimeRunsOptions } from './paperRegimeRuns.js';
import { noPredictionText, predictedVsBestClaim, predictedVsBestLambda } from './predictedVsBestLambda.js';

/** The sizes of the two figures: data, width, η, λ grid, budgets, short run, seeds (everything but the network and folder). */
export interface LambdaChoiceSettings {
  /** Bundled digits, "mnist:N_TRAIN:N_TEST". */
  data: string;
  /** Channel multiplier of the 'cnn' setup. */
  width: number;
  /** The run settings passed to `paperRegimeRuns`. */
  runs: Omit<PaperRegimeRunsOptions, 'spec' | 'data' | 'dir' | 'jobs' | 'onRun' | 'backend'>;
}

/**
 * The settings of accuracy_vs_lambda and predicted_vs_best_lambda: the paper's CNN ('cnn' setup: momentum 0.9,
 * batch 128, cross-entropy, 14×14 digits) at η = 0.3 instead of the setup's 0.1 (at 0.1 the CNN needs ~3× the
 * steps to learn, which the small defaults cannot afford; at 0.5 it is unstable). The λ grid is 10^(k/4), two
 * steps of the evaluation grid (8 per decade) apart, and c′ = 0.1265 puts every budget c′/λ exactly on that grid
 * (c′/(λη) = 10^(j/8)), so the budgets are ∝ 1/λ up to rounding to whole steps; c′ is about the c = λ·t* the
 * runs measure (0.1–0.25 at the defaults), so each budget ends near its λ's peak, as in the paper.
 * Small defaults: width 16, 512/500 digits, 2 seeds, λ from 5.6e-3 to 3.2e-2, budgets 75, 42, 24, 13 steps.
 * `full`: width 64, 2048/1000 digits, 3 seeds, λ from 1.8e-4 to 3.2e-3, budgets to 2371 steps: hours on 2 cores.
 * The train-set evaluation is cut to 128 digits (the figures use test numbers only).
 * @param full - the paper-like sizes
 * @returns the settings
 */
export function lambdaChoiceSettings(full: boolean): LambdaChoiceSettings {
  const s = PAPER_SETUPS.cnn;
  const base = { lr: 0.3, momentum: s.momentum, loss: s.loss, batchSize: s.batch, evalsPerDecade: 8, evalTrainSize: 128, budgetFactor: 0.1265, lambda0: 0.04, shortFactor: 0.5, metric: 'acc' as const };
  const grid = (ks: number[]) => ks.map((k) => 10 ** (k / 4));
  return full
    ? { data: 'mnist:2048:1000', width: s.fullWidth, runs: { ...base, seeds: [0, 1, 2], lambdas: grid([-15, -14, -13, -12, -11, -10]), fixedBudget: 75, predictBudgets: [40, 71.14, 126.5, 225, 400, 711.4] } }
    : { data: 'mnist:512:500', width: s.defaultWidth, runs: { ...base, seeds: [0, 1], lambdas: grid([-9, -8, -7, -6]), fixedBudget: 10, predictBudgets: [2.2, 5, 10, 22.5] } };
}

/**
 * accuracy_vs_lambda and predicted_vs_best_lambda (the paper's Fig. 1a and 1b) from one set of shared runs in
 * `work/lambda-choice` (resumable), each figure with its claim.
 * @param wanted - which of the two to make (both share the runs; either alone trains them all)
 * @param o - full sizes, the runs' folder, parallel runs, backend, progress log, and settings to use instead of lambdaChoiceSettings (tests)
 * @returns the figures and claims asked for
 */
export async function lambdaChoiceFigures(
  wanted: { has(name: string): boolean },
  o: { full?: boolean; work: string; jobs?: number; backend?: TfBackendName; log: (l: string) => void; settings?: LambdaChoiceSettings },
): Promise<{ figures: Figure[]; claims: Claim[] }> {
  const st = o.settings ?? lambdaChoiceSettings(o.full ?? false);
  const setup = PAPER_SETUPS.cnn;
  const data = bundledImageDataset(st.data, { size: setup.imageSize });
  const spec = parseSpec(setup.arch(st.width));
  const r = st.runs;
  o.log(`λ choice (paper's Fig. 1a/1b): ${r.seeds.length} seeds × (${r.lambdas.length} λ + λ = 0 to the longest budget, a short run at λ0 = ${r.lambda0}, the predicted λ for ${r.predictBudgets.length} budgets)…`);
  const progress = (name: string, res: TrainResult, reused: boolean) => o.log(`  ${name}: ${reused ? 'reused' : `${res.wallSeconds.toFixed(0)} s`}, final test accuracy ${res.finalTestAcc.toFixed(4)}`);
  const runs = await paperRegimeRuns({ ...r, spec, data, dir: join(o.work, 'lambda-choice'), jobs: o.jobs, backend: o.backend, onRun: progress });
  for (const n of runs.noPrediction) o.log(`  ${noPredictionText(n)}`);
  const ctx = `MNIST ${st.data.slice(6).replace(':', ' train / ')} test as ${setup.imageSize}×${setup.imageSize} images (bundled digits, unit-norm); the paper's CNN ('cnn' setup) at width ${st.width}: two 3×3 conv + ReLU + 2×2 average-pool stages (${st.width}, ${2 * st.width} channels), dense readout; SGD η = ${r.lr}, momentum ${r.momentum}, batch ${r.batchSize}, softmax cross-entropy, float32 (tfjs)`;
  const figures: Figure[] = [];
  const claims: Claim[] = [];
  if (wanted.has('accuracy_vs_lambda')) {
    const res = accuracyVsLambda(runs);
    figures.push(accuracyVsLambdaFigure(res, ctx));
    claims.push(accuracyVsLambdaClaim(res));
  }
  if (wanted.has('predicted_vs_best_lambda')) {
    const res = predictedVsBestLambda(runs);
    figures.push(predictedVsBestLambdaFigure(res, ctx));
    claims.push(predictedVsBestClaim(res));
  }
  return { figures, claims };
}
