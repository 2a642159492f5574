import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { figureHtml, figureLayout, startPngRenderer, wrapText, writeFigure, type Figure } from '../../src/figures/figure.js';
import { PLOTLY_BANNER, PLOTLY_FILE, plotlySource } from '../../src/figures/plotlyAsset.js';
import { InputError } from '../../src/util/errors.js';
import { CHROMIUM, pageFigures } from './pageFigures.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-fig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fig: Figure = {
  name: 'demo',
  title: 'Demo <figure>',
  subtitle: 'synthetic numbers for the test',
  paperFigure: 'none',
  traces: [{ x: [1, 10, 100], y: [3, 0.3, 0.03], mode: 'lines+markers', name: 'y = 3/x' }],
  layout: { xaxis: { type: 'log' }, yaxis: { type: 'log' } },
  numbers: { slope: -1 },
};

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Uint8Array): [number, number] {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [v.getUint32(16), v.getUint32(20)];
}

describe('figure pages and the shared plotly.min.js', () => {
  it('writes a small HTML page that loads the folder’s one plotly.min.js, and the numbers as JSON', async () => {
    const out = await writeFigure(fig, dir, null);
    const html = readFileSync(out.html, 'utf8');
    // the page without plotly: the spec and a few lines of script (was 4.8 MB with plotly inlined)
    expect(html.length).toBeLessThan(20_000);
    expect(html.match(/<script[^>]+src="([^"]+)"/g)).toEqual([`<script src="${PLOTLY_FILE}"`]);
    expect(html).toContain('Demo &lt;figure&gt;');
    const plotly = readFileSync(out.plotly, 'utf8');
    expect(out.plotly).toBe(join(dir, PLOTLY_FILE));
    expect(plotly.startsWith(PLOTLY_BANNER)).toBe(true);
    expect(plotly.slice(plotly.indexOf('\n') + 1)).toBe(plotlySource()); // plotly.js unchanged after the banner line
    const json = JSON.parse(readFileSync(out.json, 'utf8'));
    expect(json.slope).toBe(-1);
    expect(json.plotly.data[0].y).toEqual([3, 0.3, 0.03]);
    expect(out.png).toBeNull();
  });

  it('writes plotly.min.js once: a second figure leaves it untouched', async () => {
    const before = statSync(join(dir, PLOTLY_FILE)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await writeFigure({ ...fig, name: 'demo2' }, dir, null);
    expect(statSync(join(dir, PLOTLY_FILE)).mtimeMs).toBe(before);
  });

  it('never replaces a plotly.min.js ntk did not write (one-line error, the file intact, no page written)', async () => {
    const d = mkdtempSync(join(dir, 'foreign-'));
    writeFileSync(join(d, PLOTLY_FILE), '// my own patched plotly');
    await expect(writeFigure(fig, d, null)).rejects.toThrow(InputError);
    await expect(writeFigure(fig, d, null)).rejects.toThrow(/ntk did not write it/);
    expect(readFileSync(join(d, PLOTLY_FILE), 'utf8')).toBe('// my own patched plotly');
    expect(() => statSync(join(d, 'demo.html'))).toThrow();
  });

  it('plotly: "inline" gives one self-contained page', () => {
    const html = figureHtml(fig, { plotly: 'inline' });
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain(plotlySource().slice(0, 200));
  });

  it('the layout has no fixed width (the plot follows its container) and Plotly is told to be responsive', () => {
    const layout = figureLayout(fig);
    expect(layout.width).toBeUndefined();
    expect(layout.height).toBe(560);
    expect(figureLayout({ ...fig, layout: { height: 700 } }).height).toBe(700);
    expect(figureHtml(fig)).toContain('{ responsive: true }');
  });

  it('wraps long subtitles', () => {
    const lines = wrapText('a '.repeat(200).trim(), 50);
    expect(lines.every((l) => l.length <= 50)).toBe(true);
    expect(lines.join(' ')).toBe('a '.repeat(200).trim());
  });

  it('without Chromium the renderer degrades to a one-line reason, never a crash', async () => {
    const saved = process.env.NTK_CHROMIUM;
    process.env.NTK_CHROMIUM = '/nonexistent/chromium';
    try {
      const r = await startPngRenderer();
      expect(r.renderer).toBeNull();
      expect(r.reason).toMatch(/did not start|no Chromium/);
    } finally {
      if (saved === undefined) delete process.env.NTK_CHROMIUM;
      else process.env.NTK_CHROMIUM = saved;
    }
  });

  it.skipIf(!CHROMIUM)('renders a PNG with Debian Chromium: 900 CSS pixels wide at the scale asked', async () => {
    const { renderer, reason } = await startPngRenderer({ scale: 1 });
    console.info(`PNG renderer: ${reason}`);
    expect(renderer).not.toBeNull();
    try {
      const out = await writeFigure(fig, dir, renderer);
      const png = readFileSync(out.png!);
      expect(Array.from(png.subarray(1, 4), (c) => String.fromCharCode(c)).join('')).toBe('PNG');
      expect(pngSize(png)).toEqual([900, 560]);
    } finally {
      await renderer!.close();
    }
  }, 120_000);

  it.skipIf(!CHROMIUM)('a figures folder opens offline and still works when moved: the page draws from its own folder', async () => {
    await writeFigure(fig, dir, null);
    const moved = join(dir, 'moved', 'elsewhere');
    mkdirSync(moved, { recursive: true });
    for (const f of ['demo.html', PLOTLY_FILE]) copyFileSync(join(dir, f), join(moved, f));
    const seen = await pageFigures(pathToFileURL(join(moved, 'demo.html')).href, 1);
    expect(seen).toEqual({ ids: ['ntk-demo'], states: ['1'], drawn: 1 });
  }, 180_000);
});
