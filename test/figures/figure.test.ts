import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPngRenderer, wrapText, writeFigure, type Figure } from '../../src/figures/figure.js';

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

describe('figure layer', () => {
  it('writes a self-contained HTML page (Plotly inlined, no network) and the numbers as JSON', async () => {
    const out = await writeFigure(fig, dir, null);
    const html = readFileSync(out.html, 'utf8');
    expect(html.length).toBeGreaterThan(1_000_000); // plotly.min.js is inlined
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('Demo &lt;figure&gt;');
    const json = JSON.parse(readFileSync(out.json, 'utf8'));
    expect(json.slope).toBe(-1);
    expect(json.plotly.data[0].y).toEqual([3, 0.3, 0.03]);
    expect(out.png).toBeNull();
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

  it.skipIf(!existsSync('/usr/bin/chromium'))('renders a PNG with Debian Chromium', async () => {
    const { renderer, reason } = await startPngRenderer();
    console.info(`PNG renderer: ${reason}`);
    expect(renderer).not.toBeNull();
    try {
      const out = await writeFigure(fig, dir, renderer);
      const png = readFileSync(out.png!);
      expect(Array.from(png.subarray(1, 4), (c) => String.fromCharCode(c)).join('')).toBe('PNG');
      expect(png.length).toBeGreaterThan(10_000);
    } finally {
      await renderer!.close();
    }
  }, 60_000);
});
