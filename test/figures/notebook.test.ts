import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Figure } from '../../src/figures/figure.js';
import { figureBundle, notebookFigures, plotlyLoaderHtml } from '../../src/figures/notebook.js';
import { plotlyGzipBase64, plotlySource } from '../../src/figures/plotlyAsset.js';
import { CHROMIUM, pageFigures } from './pageFigures.js';

const dir = mkdtempSync(join(tmpdir(), 'ntk-nbfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fig = (name: string): Figure => ({
  name,
  title: `Figure ${name}`,
  subtitle: 'synthetic',
  paperFigure: 'none',
  traces: [{ x: [1, 2, 3], y: [1, 4, 9], mode: 'lines', name: 'y = x²' }],
  layout: {},
  numbers: {},
});
/** A stand-in for tslab's display: records what the helper sends through its public html route. */
const recorder = () => {
  const html: string[] = [];
  return { html, display: { html: (s: string) => void html.push(s) } };
};

describe('notebook figures', () => {
  it('embeds plotly.js once, gzipped: it unpacks to the exact source and is < 45% of its size', () => {
    const b64 = plotlyGzipBase64();
    expect(gunzipSync(Buffer.from(b64, 'base64')).toString('utf8')).toBe(plotlySource());
    expect(b64.length / plotlySource().length).toBeLessThan(0.45);
  });

  it('shows the loader once, then one output per figure with an id of its own (also for the same figure twice)', async () => {
    const rec = recorder();
    const figs = notebookFigures(rec, { png: false });
    expect(rec.html).toHaveLength(1);
    expect(rec.html[0]).toContain('ntk-plotly-loader');
    for (const f of [fig('a'), fig('b'), fig('a')]) await figs.show(f);
    await figs.close();
    expect(rec.html).toHaveLength(4);
    const ids = rec.html.slice(1).map((h) => /class="ntk-figure" id="([^"]+)"/.exec(h)![1]);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => id.startsWith('ntk-'))).toBe(true);
    // no figure output carries plotly itself: the loader is the only copy
    for (const h of rec.html.slice(1)) expect(h.length).toBeLessThan(20_000);
  });

  it('a figure bundle holds the interactive HTML (with the PNG inside as its fallback) and the PNG for viewers without HTML', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const b = figureBundle(fig('x'), png, 'ntk-x-1');
    const b64 = Buffer.from(png).toString('base64');
    expect(b.data['image/png']).toBe(b64);
    expect(b.data['text/html']).toContain(`src="data:image/png;base64,${b64}"`);
    expect(b.data['text/html']).toContain('id="ntk-x-1"');
    expect(b.metadata['image/png']).toEqual({ width: 900, height: 560 });
    const none = figureBundle(fig('x'), null, 'ntk-x-2');
    expect(Object.keys(none.data).sort()).toEqual(['text/html', 'text/plain']);
  });

  it.skipIf(!CHROMIUM)('in a browser every figure draws in its own place, those before the loader too (scripts run in any order)', async () => {
    const parts = [figureBundle(fig('before'), null, 'f1').data['text/html'], plotlyLoaderHtml(), figureBundle(fig('after'), null, 'f2').data['text/html'], figureBundle(fig('after'), null, 'f3').data['text/html'], plotlyLoaderHtml()];
    const file = join(dir, 'page.html');
    writeFileSync(file, `<!doctype html><html><head><meta charset="utf-8"></head><body>${parts.join('\n')}</body></html>`);
    const seen = await pageFigures(pathToFileURL(file).href, 3);
    expect(seen).toEqual({ ids: ['f1', 'f2', 'f3'], states: ['1', '1', '1'], drawn: 3 });
  }, 180_000);
});
