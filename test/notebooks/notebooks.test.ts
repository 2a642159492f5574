import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM, pageFigures } from '../figures/pageFigures.js';

/**
 * Executes every notebook in notebooks/ headlessly with Debian's Jupyter and the tslab TypeScript kernel, as
 * a researcher would run them top to bottom; any cell error fails the test. Then checks the figures: each plot
 * is in the executed notebook once (interactive HTML + PNG, plotly embedded once), and the nbconvert HTML
 * export, opened in Chromium, draws every one of them. Needs `npm run build` (npm test
 * does it) for ../dist, Debian's jupyter-nbconvert + python3-ipykernel, and `tslab install
 * --python=/usr/bin/python3` (.ci/run does both). Without them the tests are skipped with a message — except in
 * CI, where that is a failure, so a broken notebook can never pass CI unnoticed.
 */
const root = new URL('../..', import.meta.url).pathname;
const nbDir = join(root, 'notebooks');
const bin = join(root, 'node_modules', '.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
const kernelDirs = [join(homedir(), '.local/share/jupyter/kernels/tslab'), '/usr/local/share/jupyter/kernels/tslab', '/usr/share/jupyter/kernels/tslab'];
const jupyter = '/usr/bin/jupyter';
const available = existsSync(jupyter) && kernelDirs.some((d) => existsSync(d)) && spawnSync(jupyter, ['nbconvert', '--version'], { env }).status === 0;
const notebooks = readdirSync(nbDir).filter((f) => f.endsWith('.ipynb')).sort();
const out = mkdtempSync(join(tmpdir(), 'ntk-nb-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/**
 * Runs nbconvert without blocking this test worker's event loop (a notebook can take minutes; a blocked worker
 * misses vitest's RPC deadlines): executes `file` into `out`, or with `to: 'html'` exports it to HTML there.
 */
function execute(dir: string, file: string, to: 'notebook' | 'html' = 'notebook'): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = to === 'notebook' ? ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600'] : ['--to', 'html'];
    const child = spawn(jupyter, ['nbconvert', ...args, '--output-dir', out, file], { cwd: dir, env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/**
 * The plots a notebook makes: its lines that start with `await figs.show(` (one figure each; no notebook calls it
 * in a loop; a mention in a comment does not count).
 */
function plotCalls(nb: string): number {
  const cells = (JSON.parse(readFileSync(join(nbDir, nb), 'utf8')) as Notebook).cells;
  return cells.filter((c) => c.cell_type === 'code').reduce((n, c) => n + (src(c.source).match(/^\s*await figs\.show\(/gm) ?? []).length, 0);
}

interface Notebook {
  cells: { cell_type: string; source: string | string[]; outputs?: { output_type: string; data?: Record<string, string | string[]>; metadata?: Record<string, unknown> }[] }[];
}
const src = (s: string | string[]) => (Array.isArray(s) ? s.join('') : s);

/**
 * The executed notebook: plotly.js in it once (the loader output), one output per plot holding the interactive
 * HTML (an id of its own) and, with Chromium, a static PNG; and a size in the low MB: plotly once gzipped
 * (2.0 MB) + per figure its spec and its PNG twice (≈ 0.1–0.4 MB), where the old notebooks carried 4.8 MB of
 * plotly per plot. 4 MB allows three large figures.
 */
function checkFigures(nb: string): void {
  const file = join(out, nb);
  const size = statSync(file).size;
  console.info(`${nb}: ${(size / 1e6).toFixed(2)} MB executed`);
  expect(size).toBeLessThan(4e6);
  const outputs = (JSON.parse(readFileSync(file, 'utf8')) as Notebook).cells.flatMap((c) => c.outputs ?? []);
  const html = outputs.map((o) => src(o.data?.['text/html'] ?? ''));
  expect(html.filter((h) => h.includes('ntk-plotly-loader'))).toHaveLength(1);
  const figs = outputs.filter((o, i) => html[i].includes('class="ntk-figure"'));
  expect(figs).toHaveLength(plotCalls(nb));
  const ids = figs.map((o) => /class="ntk-figure" id="([^"]+)"/.exec(src(o.data!['text/html']))![1]);
  expect(new Set(ids).size).toBe(ids.length);
  if (CHROMIUM) for (const o of figs) expect(Object.keys(o.data!).sort()).toEqual(['image/png', 'text/html', 'text/plain']);
}

describe('notebooks execute top to bottom (tslab kernel)', () => {
  if (!available) {
    it('jupyter + tslab are installed', () => {
      const msg = 'notebooks not executed: needs /usr/bin/jupyter (apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel) and the tslab kernel (npx tslab install --python=/usr/bin/python3)';
      if (process.env.CI) throw new Error(msg);
      console.info(msg);
    });
    return;
  }
  it('there are notebooks, and each one plots', () => {
    expect(notebooks.length).toBeGreaterThanOrEqual(2);
    for (const nb of notebooks) expect(plotCalls(nb), nb).toBeGreaterThan(0);
  });
  for (const nb of notebooks) {
    it(`${nb} runs without a cell error, and every plot it makes is in the notebook and in its HTML export`, async () => {
      const r = await execute(nbDir, nb);
      expect(r.status, r.stderr.split('\n').slice(-30).join('\n')).toBe(0);
      checkFigures(nb);
      const h = await execute(out, nb, 'html');
      expect(h.status, h.stderr).toBe(0);
      const html = join(out, nb.replace(/\.ipynb$/, '.html'));
      const expected = plotCalls(nb);
      expect(readFileSync(html, 'utf8').match(/class="ntk-figure"/g) ?? []).toHaveLength(expected);
      if (!CHROMIUM) return console.info('exported HTML not drawn: no Chromium');
      // the exported page in a real browser (offline): every plot draws, each in its own element
      const seen = await pageFigures(pathToFileURL(html).href, expected);
      expect(seen.states).toEqual(Array(expected).fill('1'));
      expect(seen.drawn).toBe(expected);
      expect(new Set(seen.ids).size).toBe(expected);
    }, 900_000);
  }
  it('a notebook with a failing cell fails (errors are not swallowed)', async () => {
    const broken = {
      cells: [{ cell_type: 'code', id: 'c0', metadata: {}, execution_count: null, outputs: [], source: ["throw new Error('deliberate');"] }],
      metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    writeFileSync(join(out, 'broken.ipynb'), JSON.stringify(broken));
    const r = await execute(out, 'broken.ipynb');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/deliberate/);
  }, 120_000);
});
