/** Mean and standard error of the mean of a sample (stderr 0 for fewer than 2 values). */
export function meanStderr(v: readonly number[]): { mean: number; stderr: number } {
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  const stderr = v.length < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1) / v.length);
  return { mean, stderr };
}
