import { logLogSlope } from '../dynamics/observables.js';
import type { Images } from '../data/images.js';
import { analyticKernel, isImages } from '../kernels/analytic.js';
import { prepareEmpirical, type EmpiricalMethod } from '../kernels/empirical.js';
import { specToJson } from '../layers/json.js';
import { withHiddenWidth } from '../layers/network.js';
import type { NetworkSpec, NetworkSpecJson } from '../layers/types.js';
import type { Mat } from '../linalg/matrix.js';
import type { TfBackendName } from '../tfjs/backend.js';
import { InputError } from '../util/errors.js';

/** Options of `ntkConvergence`: which widths, how many networks per width, and how each empirical NTK is computed. */
export interface NtkConvergenceOptions {
  /** Hidden widths to try (default 128, 256, …, 4096): Dense widths and conv channels, all but the readout's. */
  widths?: number[];
  /** Networks per width (default 4); network s uses seed seed0 + s. */
  seeds?: number;
  /** Seed of the first network (default 0). */
  seed0?: number;
  /** Empirical NTK method (default 'structured'). */
  method?: EmpiricalMethod;
  /** tfjs backend (default 'auto'). */
  backend?: TfBackendName;
  /** Called after each network with (networks done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** One width of an NTK convergence study: the relative Frobenius error of each network's empirical NTK. */
export interface NtkConvergenceRow {
  /** Hidden width (Dense widths and conv channels, all but the readout). */
  width: number;
  /** ‖Θ_emp − Θ‖_F / ‖Θ‖_F of each network. */
  errors: number[];
  /** Mean of `errors` over the networks. */
  meanError: number;
  /** Standard error of the mean over networks (NaN with one network). */
  stderr: number;
}

/**
 * The empirical NTK of finite networks against the analytic NTK, per width: errors, means and the fitted
 * log-log slope (theory: error ∝ width^(−1/2)).
 */
export interface NtkConvergenceResult {
  /** The architecture, as JSON. */
  spec: NetworkSpecJson;
  /** Number of input points N. */
  points: number;
  /** Shape of the inputs: [N, d] for flat rows, [N, H, W, C] (or [N, L, C]) for images. */
  inputShape: number[];
  /** Networks per width. */
  seeds: number;
  /** One row per width, in the order asked. */
  rows: NtkConvergenceRow[];
  /** Least-squares slope of log(mean error) against log(width), and its standard error; theory: −1/2. */
  slope: number;
  /** Standard error of `slope`. */
  slopeStderr: number;
  /** Precision of the empirical kernels (float32 products, float64 sums). */
  dtype: string;
}

/**
 * How fast finite networks' empirical NTKs approach the analytic one: for each hidden width (every Dense width
 * and every conv's channel count but the readout's, see `withHiddenWidth`), the relative Frobenius error
 * ‖Θ_emp − Θ‖_F/‖Θ‖_F of several seeded networks against the float64 analytic NTK, its mean over the networks,
 * and the log-log slope of that mean against width.
 *
 * The quantity is the error of ONE network (averaged over seeds to estimate its expectation), not the error of
 * the Monte Carlo mean: Θ_emp is an average over n independent units (channels, for a CNN: positions share
 * weights, so they are not independent), its fluctuation has standard deviation ∝ n^(−1/2) and its bias is
 * O(1/n), so E‖Θ_emp − Θ‖ ∝ n^(−1/2) at large n: theory slope −1/2. Inputs are flat rows (N×d) or images
 * (N×H×W×C, N×L×C), as the analytic and empirical kernels take them.
 * @param spec - the network (its hidden widths are replaced by each width tried)
 * @param x - N×d inputs or N×H×W×C images
 * @param opts - widths, networks per width, first seed, method, backend, progress
 * @returns per width the relative errors ‖Θ_emp − Θ‖_F/‖Θ‖_F and the fitted log-log slope (theory −1/2)
 */
export async function ntkConvergence(spec: NetworkSpec, x: Mat | Images, opts: NtkConvergenceOptions = {}): Promise<NtkConvergenceResult> {
  const widths = opts.widths ?? [128, 256, 512, 1024, 2048, 4096];
  const seeds = opts.seeds ?? 4;
  const seed0 = opts.seed0 ?? 0;
  if (widths.length < 2) throw new InputError('the convergence study needs at least two widths');
  if (!Number.isInteger(seeds) || seeds < 1) throw new InputError(`seeds must be a positive integer, got ${seeds}`);
  const analytic = (await analyticKernel(spec, x, undefined, { get: 'ntk', threads: 1 })).ntk!;
  const norm = frobenius(analytic.data, null);
  const rows: NtkConvergenceRow[] = [];
  let done = 0;
  for (const width of widths) {
    const run = await prepareEmpirical(withHiddenWidth(spec, width), x, undefined, { method: opts.method, backend: opts.backend });
    const errors: number[] = [];
    try {
      for (let s = 0; s < seeds; s++) {
        errors.push(frobenius((await run.compute(seed0 + s)).ntk, analytic.data) / norm);
        opts.onProgress?.(++done, widths.length * seeds);
        // each network is synchronous work: let timers and I/O (a test runner's RPC, a progress bar) run between them
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      run.dispose();
    }
    const meanError = errors.reduce((a, b) => a + b, 0) / seeds;
    const variance = seeds > 1 ? errors.reduce((a, e) => a + (e - meanError) ** 2, 0) / (seeds - 1) : NaN;
    rows.push({ width, errors, meanError, stderr: Math.sqrt(variance / seeds) });
  }
  const fit = logLogSlope(rows.map((r) => r.width), rows.map((r) => r.meanError));
  return {
    spec: specToJson(spec),
    points: isImages(x) ? x.shape[0] : x.rows,
    inputShape: isImages(x) ? [...x.shape] : [x.rows, x.cols],
    seeds,
    rows,
    slope: fit.slope,
    slopeStderr: fit.stderr,
    dtype: 'empirical: float32 products, float64 sums; analytic: float64',
  };
}

/** ‖a − b‖_F (‖a‖_F when b is null). */
function frobenius(a: Float64Array, b: Float64Array | null): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = b ? a[i] - b[i] : a[i];
    s += d * d;
  }
  return Math.sqrt(s);
}
