/**
 * Both sides of a float64 bench (ours through the native addon's OpenBLAS, numpy through its bundled OpenBLAS) on the
 * same OpenBLAS core type and the same thread count: the environment a numpy subprocess gets, and a header that
 * prints what each side actually runs on. Both libraries read OPENBLAS_CORETYPE when they load, so it is set (or
 * left unset) for the whole bench process: run e.g. `OPENBLAS_CORETYPE=Haswell npx tsx bench/linalg.ts`. Unset,
 * each library autodetects, and the two can pick different kernels (Debian's 0.3.21 said Cooperlake and numpy's
 * 0.3.31 SkylakeX on the development machine's EPYC); the header then says so.
 */
import { spawnSync } from 'node:child_process';
import { loadNativeAddon } from '../src/linalg/native.js';
import { setLinalgThreads } from '../src/linalg/index.js';

/** What one side's OpenBLAS reports. */
export interface BlasSide {
  /** Library and version (the OpenBLAS configuration string). */
  config: string;
  /** The core type whose kernels run. */
  corename: string;
  /** OpenBLAS threads. */
  threads: number;
}

/** The environment for a numpy subprocess: this process's OPENBLAS_CORETYPE (or none) and `threads` BLAS threads. */
export function numpyEnv(threads: number): NodeJS.ProcessEnv {
  return { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
}

/** Sets our OpenBLAS to `threads` threads and returns what it runs on (null without the native addon). */
export function ourBlas(threads: number): BlasSide | null {
  const { addon } = loadNativeAddon();
  if (!addon) return null;
  // only when it changes the count: OpenBLAS 0.3.21 hung (main thread in a futex wait) in the analytic kernel's Gram
  // matrix at N = 4096 after openblas_set_num_threads(2) at its default of 2 followed by a fork (the numpy subprocess)
  if (addon.info().numThreads !== threads) setLinalgThreads(threads);
  const i = addon.info();
  return { config: i.config, corename: i.corename, threads: i.numThreads };
}

/** What numpy's OpenBLAS runs on under numpyEnv(threads), or the reason it could not be asked. */
export function numpyBlas(threads: number): (BlasSide & { numpy: string }) | string {
  const py = spawnSync('python3', [new URL('./numpy_blas.py', import.meta.url).pathname], { encoding: 'utf8', env: numpyEnv(threads) });
  if (py.error || py.status !== 0) return py.error ? py.error.message : py.stderr.trim().split('\n').pop() ?? 'python3 failed';
  const r = JSON.parse(py.stdout) as { numpy: string; config: string | null; corename: string | null; threads: number | null };
  return { numpy: r.numpy, config: r.config ?? '?', corename: r.corename ?? '?', threads: r.threads ?? -1 };
}

/** Header lines naming both sides' core types and threads, with a warning when they differ. */
export function blasHeader(ours: BlasSide | null, numpy: (BlasSide & { numpy: string }) | string): string[] {
  const lines = [`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset: each library autodetects)'}`];
  lines.push(ours ? `ours:  ${ours.config}; core ${ours.corename}, ${ours.threads} BLAS threads` : 'ours:  native addon not built');
  lines.push(typeof numpy === 'string' ? `numpy: unavailable (${numpy})` : `numpy: ${numpy.numpy} on ${numpy.config}; core ${numpy.corename}, ${numpy.threads} BLAS threads`);
  if (ours && typeof numpy !== 'string') {
    if (ours.corename !== numpy.corename) lines.push(`WARNING: the two sides run different OpenBLAS kernels (${ours.corename} vs ${numpy.corename}); set OPENBLAS_CORETYPE to compare like with like`);
    if (ours.threads !== numpy.threads) lines.push(`WARNING: different BLAS thread counts (${ours.threads} vs ${numpy.threads})`);
  }
  return lines;
}
