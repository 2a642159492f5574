import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** A Plotly trace or layout, as plain JSON (the figure files carry them verbatim). */
export type PlotlyObject = Record<string, unknown>;

/**
 * A figure: data + a Plotly spec. Written as NAME.html (self-contained, interactive, opens offline),
 * NAME.json (the numbers behind it and every setting) and NAME.png (rendered headlessly, when a Chromium is
 * available).
 */
export interface Figure {
  /** File stem, e.g. "tstar_vs_lambda_theory". */
  name: string;
  /** Figure title. */
  title: string;
  /** Data, architecture, widths, λ grid, η, seeds: what a reader needs to reproduce it. */
  subtitle: string;
  /** Which figure of Lewkowycz & Gur-Ari (2020) it mirrors, or what it adds. */
  paperFigure: string;
  /** Plotly traces. */
  traces: PlotlyObject[];
  /** Plotly layout (merged with the house style). */
  layout: PlotlyObject;
  /** The numbers behind the figure and the claims it supports. */
  numbers: Record<string, unknown>;
}

/** Shared style: theory dashed, measurements solid with markers; log axes where the paper uses them. */
export const STYLE = {
  colors: ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'],
  theory: { dash: 'dash', width: 2 },
  measured: { width: 2 },
  font: { family: 'DejaVu Sans, Arial, sans-serif', size: 14 },
};

const require = createRequire(import.meta.url);
let plotlySource: string | null = null;

function plotlyJs(): string {
  if (!plotlySource) plotlySource = readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
  return plotlySource;
}

/** Breaks a long subtitle into lines of at most `width` characters at "; " or spaces. */
export function wrapText(text: string, width = 115): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function fullLayout(fig: Figure): PlotlyObject {
  const sub = wrapText(fig.subtitle);
  return {
    font: STYLE.font,
    title: { text: `${fig.title}<br><span style="font-size:12px;color:#555">${sub.join('<br>')}</span>`, x: 0.02, xanchor: 'left', y: 0.97, yanchor: 'top' },
    // a subtitle line takes ~18 px at 12 px font; the title ~40 px above it
    margin: { t: 64 + 19 * sub.length, l: 80, r: 30, b: 70 },
    legend: { bgcolor: 'rgba(255,255,255,0.8)' },
    width: 900,
    height: 560,
    ...fig.layout,
  };
}

/**
 * The self-contained HTML page of a figure (Plotly inlined: no network needed to open it).
 * @param fig - the figure
 * @returns the HTML page
 */
export function figureHtml(fig: Figure): string {
  const spec = JSON.stringify({ data: fig.traces, layout: fullLayout(fig) }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(fig.title)}</title>
<script>${plotlyJs()}</script></head>
<body style="margin:0;font-family:sans-serif">
<div id="plot"></div>
<p style="max-width:880px;margin:8px 10px;color:#444;font-size:13px">${escapeHtml(fig.paperFigure)}</p>
<script>const spec = ${spec}; Plotly.newPlot('plot', spec.data, spec.layout, {responsive: false}).then(() => { document.body.dataset.ready = '1'; }, (e) => { document.body.dataset.ready = 'error: ' + e; });</script>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

export interface WrittenFigure {
  html: string;
  json: string;
  png: string | null;
}

/**
 * Writes NAME.html and NAME.json (atomically) and, when `renderer` is given, NAME.png.
 * @param fig - the figure
 * @param dir - the output folder (created when missing)
 * @param renderer - PNG renderer (`startPngRenderer`), or null for HTML and JSON only
 * @returns the paths written
 */
export async function writeFigure(fig: Figure, dir: string, renderer: PngRenderer | null): Promise<WrittenFigure> {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const html = join(dir, `${fig.name}.html`);
  const json = join(dir, `${fig.name}.json`);
  const page = figureHtml(fig);
  writeFileAtomic(html, page);
  writeFileAtomic(json, JSON.stringify({ name: fig.name, title: fig.title, subtitle: fig.subtitle, paperFigure: fig.paperFigure, ...fig.numbers, plotly: { data: fig.traces, layout: fig.layout } }, null, 1) + '\n');
  let png: string | null = null;
  if (renderer) {
    png = join(dir, `${fig.name}.png`);
    writeFileAtomic(png, await renderer.render(page));
  }
  return { html, json, png };
}

/** Renders figure pages to PNG in headless Chromium. */
export interface PngRenderer {
  render(html: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * Starts Debian's Chromium through playwright-core (no browser download). Returns null, with the reason, when
 * no Chromium is installed or it does not start: callers then write HTML + JSON only.
 */
export async function startPngRenderer(): Promise<{ renderer: PngRenderer | null; reason: string }> {
  const exe = process.env.NTK_CHROMIUM ?? CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!exe) return { renderer: null, reason: 'no Chromium found (apt-get install chromium, or set NTK_CHROMIUM)' };
  try {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: exe,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return {
      reason: `Chromium at ${exe}`,
      renderer: {
        async render(html: string): Promise<Uint8Array> {
          // a fresh page per figure: reusing one page for the next document hung here
          const page = await browser.newPage({ viewport: { width: 920, height: 800 }, deviceScaleFactor: 2 });
          try {
            await page.setContent(html, { waitUntil: 'load' });
            const state = await (await page.waitForFunction(() => document.body.dataset.ready, undefined, { timeout: 60_000 })).jsonValue();
            if (state !== '1') throw new Error(`Plotly could not draw the figure: ${String(state)}`);
            return await page.locator('#plot').screenshot({ type: 'png' });
          } finally {
            await page.close();
          }
        },
        close: () => browser.close(),
      },
    };
  } catch (e) {
    return { renderer: null, reason: `Chromium did not start: ${(e as Error).message.split('\n')[0]}` };
  }
}
