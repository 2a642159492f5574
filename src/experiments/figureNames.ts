/** The paper's Fig. 1a and 1b on its CNN, from shared runs (src/experiments/lambdaChoiceFigures.ts). */
export const LAMBDA_CHOICE_FIGURES = ['accuracy_vs_lambda', 'predicted_vs_best_lambda'] as const;
/** Issue 13, items 4 and 5: Auto L2 on the BatchNorm net (src/experiments/autoL2BatchNorm.ts) and the collapse across η with momentum (momentumCollapse.ts). */
export const PAPER_REGIME_AUTO_FIGURES = ['autol2_batchnorm', 'collapse_momentum'] as const;
/**
 * The names of the figures `ntk figures` makes, in a module of their own so that the CLI can list and check
 * them without loading the experiments (and TensorFlow.js) behind them.
 */
export const FINITE_FIGURES = ['tstar_vs_lambda_finite', 'collapse_finite', 'fixed_budget_vs_lambda', 'autol2_vs_constant', 'kernel_scale', ...LAMBDA_CHOICE_FIGURES, ...PAPER_REGIME_AUTO_FIGURES] as const;
/** A figure trained from finite networks. */
export type FiniteFigureName = (typeof FINITE_FIGURES)[number];
/** Convergence of convolutional networks' empirical NTK to the analytic one (src/experiments/cnnConvergence.ts). */
export const CONV_CONVERGENCE_FIGURES = ['ntk_convergence_cnn', 'ntk_convergence_resnet'] as const;
/** Every figure, theory first. */
export const FIGURE_NAMES = ['tstar_vs_lambda_theory', 'collapse_theory', 'linear_vs_deep', 'ntk_convergence', ...CONV_CONVERGENCE_FIGURES, 'kernel_decay_cnn', ...FINITE_FIGURES] as const;
/** A figure's name. */
export type FigureName = (typeof FIGURE_NAMES)[number];
