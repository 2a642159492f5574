// Entry point of ntk-l2's float64 linear algebra: pick a backend with getLinalg().
//
//   import { getLinalg } from './linalg/index.js';
//   const la = getLinalg();            // native OpenBLAS/LAPACKE if built, else pure TypeScript
//   const { values, vectors } = la.eigh(K);
//
// Environment:
//   NTK_LINALG=js|native   overrides the 'auto' choice ('native' then throws if the addon is absent)
//   NTK_QUIET=1            suppresses the one-line notice printed when 'auto' falls back to js
import { InputError } from '../util/errors.js';
import { jsLinalg } from './js.js';
import { NATIVE_ADDON_PATH, loadNativeAddon, loadNativeLinalg } from './native.js';
import type { Linalg } from './types.js';

export type { Linalg } from './types.js';
export { NotPositiveDefiniteError } from './types.js';
export * from './matrix.js';

export type LinalgPreference = 'auto' | 'native' | 'js';

const BUILD_HINT =
  'install OpenBLAS + LAPACKE (Debian/Ubuntu: apt-get install libopenblas-dev liblapacke-dev), ' +
  'then run `npm rebuild ntk-l2` or `node scripts/build-native.mjs` in the ntk-l2 package';

// Set in process.env once the notice is printed: worker_threads (and child processes) started
// afterwards inherit a copy of the environment, so they stay quiet too.
const NOTICE_ENV = 'NTK_LINALG_NOTICE_SHOWN';
let noticeShown = false;

function envPreference(): 'native' | 'js' | null {
  const raw = process.env.NTK_LINALG?.trim().toLowerCase();
  if (!raw || raw === 'auto') return null;
  if (raw === 'js' || raw === 'native') return raw;
  throw new InputError(`NTK_LINALG must be 'js', 'native' or 'auto', got '${process.env.NTK_LINALG}'`);
}

function requireNative(why: string): Linalg {
  const la = loadNativeLinalg();
  if (la) return la;
  throw new InputError(
    `native linalg requested (${why}) but it is not available: ${loadNativeAddon().error}. To build it, ${BUILD_HINT}.`,
  );
}

function fallbackNotice(reason: string): void {
  if (noticeShown || process.env.NTK_QUIET === '1' || process.env[NOTICE_ENV] === '1') return;
  noticeShown = true;
  process.env[NOTICE_ENV] = '1';
  process.stderr.write(
    `ntk-l2: native OpenBLAS/LAPACK linalg not built (${reason}); using the pure-TypeScript fallback, ` +
      `~50-100× slower for large matrices. See README 'Native linear algebra'.\n`,
  );
}

/**
 * The linear-algebra backend.
 * - 'auto' (default): NTK_LINALG if set, else native when the addon loads, else js (with a
 *   one-line notice on stderr, once per process; NTK_QUIET=1 silences it).
 * - 'native': the OpenBLAS/LAPACKE addon; throws if it is not built or does not load.
 * - 'js': the pure-TypeScript implementation.
 * @param preference - 'auto' (default), 'native' or 'js'
 * @returns the linear algebra implementation
 */
export function getLinalg(preference: LinalgPreference = 'auto'): Linalg {
  switch (preference) {
    case 'js':
      return jsLinalg;
    case 'native':
      return requireNative("getLinalg('native')");
    case 'auto': {
      const env = envPreference();
      if (env === 'js') return jsLinalg;
      if (env === 'native') return requireNative('NTK_LINALG=native');
      const la = loadNativeLinalg();
      if (la) return la;
      fallbackNotice(loadNativeAddon().error ?? 'unknown reason');
      return jsLinalg;
    }
    default:
      throw new TypeError(`getLinalg: preference must be 'auto', 'native' or 'js', got ${JSON.stringify(preference)}`);
  }
}

/**
 * Sets how many threads OpenBLAS uses (native backend; PROCESS-WIDE, shared by all worker_threads)
 * and returns the previous count, or null when the native addon is not loaded (the js backend is
 * single-threaded). OPENBLAS_NUM_THREADS sets the initial value (default: all cores).
 *
 * Use 1 when several worker_threads call linalg at the same time, or when linalg runs next to
 * CPU-bound workers: OpenBLAS's threads busy-wait, and concurrent multi-threaded calls
 * oversubscribe the cores badly (measured on 2 cores: 6 workers × [dgemm+eigh+cholesky, n = 600]
 * took 72 s with 2 OpenBLAS threads vs 2 s with 1). Call it before the parallel work starts.
 */
export function setLinalgThreads(n: number): number | null {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setLinalgThreads: n must be a positive integer, got ${n}`);
  const { addon } = loadNativeAddon();
  return addon ? addon.setNumThreads(n) : null;
}

export interface LinalgInfo {
  /** What getLinalg('auto') returns; null when NTK_LINALG=native but the addon is unavailable (it throws). */
  backend: 'native' | 'js' | null;
  /** Why that backend, in words. */
  reason: string;
  nativeAvailable: boolean;
  /** Where the addon is looked for. */
  nativePath: string;
  /** Why the addon is unavailable, or null. */
  nativeError: string | null;
  /** OpenBLAS build and threading, when the addon is loaded. */
  openblas: { config: string; corename: string; parallel: string; numThreads: number; numProcs: number } | null;
}

/** Which backend getLinalg('auto') picks, and why. Never throws, never prints. */
export function linalgInfo(): LinalgInfo {
  const { addon, error } = loadNativeAddon();
  const base = {
    nativeAvailable: addon !== null,
    nativePath: NATIVE_ADDON_PATH,
    nativeError: error,
    openblas: addon ? addon.info() : null,
  };
  let env: 'native' | 'js' | null;
  try {
    env = envPreference();
  } catch (e) {
    return { ...base, backend: null, reason: (e as Error).message };
  }
  if (env === 'js') return { ...base, backend: 'js', reason: 'NTK_LINALG=js' };
  if (env === 'native') {
    return addon
      ? { ...base, backend: 'native', reason: 'NTK_LINALG=native' }
      : { ...base, backend: null, reason: `NTK_LINALG=native but the addon is unavailable (${error})` };
  }
  return addon
    ? { ...base, backend: 'native', reason: 'native OpenBLAS/LAPACKE addon loaded' }
    : { ...base, backend: 'js', reason: `native addon unavailable (${error}); pure-TypeScript fallback` };
}
