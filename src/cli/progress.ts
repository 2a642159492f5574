import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr for long work (stdout carries only results). Quiet when stderr is not a
 * terminal or when the caller asks; returns the callback to feed and a function to close it.
 */
export function progressBar(label: string, quiet = false): { update: (done: number, total: number) => void; stop: () => void } {
  if (quiet || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
