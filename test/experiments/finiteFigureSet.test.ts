import { describe, expect, it } from 'vitest';
import { everySeedEarlier } from '../../src/experiments/finiteFigureSet.js';

describe('the Auto L2 claim rule: every seed, paired', () => {
  it('holds only when every seed reaches the target strictly earlier than the reference with the same seed', () => {
    expect(everySeedEarlier([100, 150, 170], [120, 160, 190])).toBe(true);
    // last session's run: λ0 = 0.01 reached the target in 2 of 3 seeds (median earlier): not every seed
    expect(everySeedEarlier([174, 150, Infinity], [191.5, 180, 200])).toBe(false);
    // a tie on the evaluation grid is not "earlier"; one seed later is enough to fail
    expect(everySeedEarlier([120, 150], [120, 160])).toBe(false);
    expect(everySeedEarlier([100, 170], [120, 160])).toBe(false);
    // the paper's λ0 = 0.1 arm that never reached the target
    expect(everySeedEarlier([Infinity, Infinity, Infinity], [191.5, 180, 200])).toBe(false);
    expect(everySeedEarlier([], [])).toBe(false);
    expect(everySeedEarlier([1, 2], [3])).toBe(false);
  });
});
