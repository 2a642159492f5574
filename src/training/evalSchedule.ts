/**
 * Step numbers where a run evaluates: 0, `perDecade` log-spaced steps per decade (round(10^(j/perDecade)) for
 * j = 0, 1, … below `total`), and the last step `total`; sorted, without repeats.
 */
export function evalSteps(total: number, perDecade: number): number[] {
  const s = new Set<number>([0, total]);
  for (let j = 0; ; j++) {
    const v = Math.round(10 ** (j / perDecade));
    if (v >= total) break;
    s.add(v);
  }
  return [...s].sort((a, b) => a - b);
}
