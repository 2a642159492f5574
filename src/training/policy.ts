/**
 * How λ evolves during a training run. A constant λ, or a controller such as Auto L2 that watches the
 * training loss and accuracy on the current mini-batch every `interval` steps.
 */
export interface LambdaPolicy {
  /** Names the policy in logs and results. */
  readonly name: string;
  /** λ for the next step. */
  current(): number;
  /** Steps between measurements (null: the policy never measures). */
  readonly interval: number | null;
  /** A measurement of the bare batch loss and batch accuracy before step `step`. */
  observe(step: number, loss: number, accuracy: number): void;
  /** Everything needed to continue identically after a resume (JSON-serialisable). */
  state(): unknown;
  /**
   * Continues from a `state()` of the same policy.
   * @param state - what `state()` returned (anything else throws InputError)
   */
  restore(state: unknown): void;
}

/**
 * A constant λ ≥ 0.
 * @param lambda - λ ≥ 0
 * @returns the policy that always answers λ
 */
export function constantLambda(lambda: number): LambdaPolicy {
  return {
    name: `constant λ = ${lambda}`,
    current: () => lambda,
    interval: null,
    observe: () => undefined,
    state: () => ({ lambda }),
    restore: () => undefined,
  };
}
