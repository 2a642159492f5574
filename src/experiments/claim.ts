/**
 * A checkable claim printed by `ntk figures`, with the number measured in this very run and whether it meets
 * the acceptance threshold named in the claim (decided from the measured numbers, never stored).
 */
export interface Claim {
  figure: string;
  claim: string;
  measured: string;
  holds: boolean;
}
