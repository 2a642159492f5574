import type { LambdaChoiceSettings } from '../../src/experiments/lambdaChoiceFigures.js';

/**
 * Tiny settings of accuracy_vs_lambda and predicted_vs_best_lambda for tests (seconds): the 'cnn' setup at width 2
 * on 64/64 digits, 2 seeds, 3 λ, budgets of 1–10 steps, a 10-step short run at λ0 = 0.1.
 */
export const TINY: LambdaChoiceSettings = {
  data: 'mnist:64:64',
  width: 2,
  runs: {
    lr: 0.3,
    momentum: 0.9,
    loss: 'xent',
    batchSize: 32,
    evalsPerDecade: 12,
    seeds: [0, 1],
    lambdas: [0.02, 0.04, 0.08],
    budgetFactor: 0.06,
    fixedBudget: 1.5,
    predictBudgets: [0.3, 0.6, 1.5, 3],
    lambda0: 0.1,
    shortFactor: 0.3,
    metric: 'acc',
  },
};
