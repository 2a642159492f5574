import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ioError, writeFileAtomic } from '../io/atomic.js';
import { InputError, quote } from '../util/errors.js';

/**
 * The one copy of plotly.js the figures use: written once into a figures folder as `plotly.min.js` (every
 * NAME.html there loads it by a relative path, so the folder opens offline and can be moved whole), and
 * embedded once per notebook (gzip + base64) by the notebook helper.
 */

/** File name of the shared plotly bundle inside a figures folder. */
export const PLOTLY_FILE = 'plotly.min.js';

/** First characters of a plotly.min.js that ntk wrote: the only kind of plotly.min.js ntk ever replaces. */
export const PLOTLY_BANNER = '/* ntk-l2 figures: plotly.js-dist-min';

const require = createRequire(import.meta.url);
let source: string | null = null;
let version: string | null = null;
let gzipped: string | null = null;

/** The plotly.js source (the npm package plotly.js-dist-min), read once. */
export function plotlySource(): string {
  if (source === null) source = readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
  return source;
}

/** The version of plotly.js-dist-min in use, e.g. "3.7.0". */
export function plotlyVersion(): string {
  if (version === null) version = (JSON.parse(readFileSync(require.resolve('plotly.js-dist-min/package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** The text of figures/plotly.min.js: a one-line banner that marks it as ntk's, then plotly.js unchanged. */
export function plotlyFileText(): string {
  return `${PLOTLY_BANNER} ${plotlyVersion()}, copied here by ntk so that the figures beside it open offline; ntk replaces this file, never a plotly.min.js without this line */\n${plotlySource()}`;
}

/** plotly.js gzipped (level 9) and base64-encoded: 2.0 MB instead of 4.8 MB, for embedding in a notebook. */
export function plotlyGzipBase64(): string {
  if (gzipped === null) gzipped = gzipSync(Buffer.from(plotlySource(), 'utf8'), { level: 9 }).toString('base64');
  return gzipped;
}

/**
 * Checks, before any work, that `dir`/plotly.min.js can be written: it must be missing or a file ntk wrote
 * (it starts with PLOTLY_BANNER). Throws a one-line InputError otherwise.
 */
export function checkPlotlyFile(dir: string): void {
  const path = join(dir, PLOTLY_FILE);
  if (!existsSync(path)) return;
  let ours = false;
  try {
    ours = lstatSync(path).isFile() && readFileSync(path, 'utf8').startsWith(PLOTLY_BANNER);
  } catch (e) {
    throw ioError(e, 'read', path);
  }
  if (!ours) throw new InputError(`${quote(path, 300)} exists and ntk did not write it; ntk never replaces it (move it away, or choose another --out)`);
}

/**
 * Writes `dir`/plotly.min.js (atomically) unless the same text is already there; refuses, like checkPlotlyFile,
 * a plotly.min.js ntk did not write. Returns the path.
 */
export function writePlotlyFile(dir: string): string {
  const path = join(dir, PLOTLY_FILE);
  checkPlotlyFile(dir);
  const text = plotlyFileText();
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return path;
  writeFileAtomic(path, text);
  return path;
}
