import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { PLOTLY_FILE, plotlySource, writePlotlyFile } from './plotlyAsset.js';

/** A Plotly trace or layout, as plain JSON (the figure files carry them verbatim). */
export type PlotlyObject = Record<string, unknown>;

/**
 * A figure: data + a Plotly spec. Written as NAME.html (interactive; loads the folder's one plotly.min.js, so it
 * opens offline), NAME.json (the numbers behind it and every setting) and NAME.png (rendered headlessly, when a Chromium is
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

/**
 * The figure's Plotly layout as drawn: shared style, the title with its wrapped subtitle, and no fixed width
 * (the plot fills its container; `height` stays fixed, 560 px unless the figure sets its own).
 */
export function figureLayout(fig: Figure): PlotlyObject {
  const sub = wrapText(fig.subtitle);
  return {
    font: STYLE.font,
    title: { text: `${fig.title}<br><span style="font-size:12px;color:#555">${sub.join('<br>')}</span>`, x: 0.02, xanchor: 'left', y: 0.97, yanchor: 'top' },
    // a subtitle line takes ~18 px at 12 px font; the title ~40 px above it
    margin: { t: 64 + 19 * sub.length, l: 80, r: 30, b: 70 },
    legend: { bgcolor: 'rgba(255,255,255,0.8)' },
    autosize: true,
    height: 560,
    ...fig.layout,
  };
}

/** How `figureSnippet` places one figure. */
export interface SnippetOptions {
  /** The element id: unique in the page or notebook it goes into. */
  id: string;
  /** HTML shown until (and unless) Plotly draws, e.g. an `<img>` of the static PNG; hidden once drawn. */
  fallback?: string;
}

/**
 * One figure as an HTML fragment: a `<div class="ntk-figure">` with the id given, and a script that draws
 * into it with `window.Plotly` — at once when Plotly is there, or when a loader calls the functions queued on
 * `window.ntkPlotlyWaiting` (the notebook helper's loader does). The plot fills the container's width and
 * follows it when it changes (Plotly's `responsive`). Sets `data-ready` on the div to "1" when drawn, or to
 * "error: …".
 */
export function figureSnippet(fig: Figure, opts: SnippetOptions): string {
  const spec = JSON.stringify({ data: fig.traces, layout: figureLayout(fig) }).replace(/</g, '\\u003c');
  const fallback = opts.fallback ? `<div class="ntk-static">${opts.fallback}</div>` : '';
  return `<div class="ntk-figure" id="${escapeHtml(opts.id)}" data-figure="${escapeHtml(fig.name)}" style="width:100%;max-width:1400px">
<div class="ntk-plot" style="width:100%"></div>${fallback}
<p style="max-width:880px;margin:8px 10px;color:#444;font-size:13px">${escapeHtml(fig.paperFigure)}</p>
</div>
<script>(function () {
  var root = document.getElementById(${JSON.stringify(opts.id)}), spec = ${spec};
  function draw(P) {
    P.newPlot(root.querySelector('.ntk-plot'), spec.data, spec.layout, { responsive: true }).then(function () {
      var s = root.querySelector('.ntk-static');
      if (s) s.style.display = 'none';
      root.dataset.ready = '1';
    }, function (e) { root.dataset.ready = 'error: ' + e; });
  }
  if (window.Plotly) draw(window.Plotly);
  else (window.ntkPlotlyWaiting = window.ntkPlotlyWaiting || []).push(draw);
})();</script>`;
}

/** Where a figure page gets plotly.js from. */
export interface FigureHtmlOptions {
  /**
   * 'file' (default): `<script src="plotly.min.js">`, the shared copy ntk writes beside the pages, so a figures
   * folder holds plotly once and opens offline; 'inline': plotly.js inside the page (4.8 MB, one file alone).
   */
  plotly?: 'file' | 'inline';
}

/**
 * The HTML page of a figure. By default it loads plotly.js from `plotly.min.js` in the same folder (as
 * `writeFigure` lays it out); with `{ plotly: 'inline' }` the page carries plotly itself and opens alone.
 */
export function figureHtml(fig: Figure, opts: FigureHtmlOptions = {}): string {
  const plotly = opts.plotly === 'inline' ? `<script>${plotlySource()}</script>` : `<script src="${PLOTLY_FILE}"></script>`;
  const missing = `<p style="margin:10px;color:#a00">This figure needs ${PLOTLY_FILE} in the same folder (ntk writes it there); the static image is ${escapeHtml(fig.name)}.png.</p>`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(fig.title)}</title>
${plotly}</head>
<body style="margin:0;font-family:sans-serif">
${figureSnippet(fig, { id: `ntk-${fig.name}` })}
<script>if (!window.Plotly) document.body.insertAdjacentHTML('afterbegin', ${JSON.stringify(missing).replace(/</g, '\\u003c')});</script>
</body></html>
`;
}

/** Escapes &, <, > and " for HTML text and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** The files `writeFigure` wrote. */
export interface WrittenFigure {
  html: string;
  json: string;
  png: string | null;
  /** The shared plotly.min.js the page loads (written once per folder). */
  plotly: string;
}

/**
 * Writes NAME.html and NAME.json (atomically), the folder's shared plotly.min.js when it is missing or stale
 * (see writePlotlyFile: a plotly.min.js ntk did not write is never replaced) and, when `renderer` is given,
 * NAME.png.
 * @param fig - the figure
 * @param dir - the output folder (created when missing)
 * @param renderer - PNG renderer (`startPngRenderer`), or null for HTML and JSON only
 * @returns the paths written
 */
export async function writeFigure(fig: Figure, dir: string, renderer: PngRenderer | null): Promise<WrittenFigure> {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const plotly = writePlotlyFile(dir);
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
  return { html, json, png, plotly };
}

/** Renders figure pages to PNG in headless Chromium. */
export interface PngRenderer {
  /**
   * A PNG of the plot of a figure page (figureHtml, either plotly option): the page is served to Chromium from
   * memory, with plotly.min.js from ntk's copy; nothing else is loaded. 900 CSS pixels wide.
   */
  render(html: string): Promise<Uint8Array>;
  /** Closes the browser; the renderer cannot be used afterwards. */
  close(): Promise<void>;
}

/** How `startPngRenderer` renders. */
export interface PngRendererOptions {
  /** Device pixels per CSS pixel (default 2: sharp on high-density screens; 1 gives files ~3× smaller). */
  scale?: number;
}

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
/** The address the page is served at inside Chromium (intercepted: no network is used). */
const PAGE_URL = 'http://ntk-figure.invalid/figure.html';
/** How long one PNG may take to load and draw before the renderer gives up on it. */
const RENDER_TIMEOUT_MS = 180_000;
/** Width of the rendered plot in CSS pixels (the fixed width the figures had before they became responsive). */
export const PNG_WIDTH = 900;

/**
 * Starts Debian's Chromium through playwright-core (no browser download). Returns null, with the reason, when
 * no Chromium is installed or it does not start: callers then write HTML + JSON only.
 */
export async function startPngRenderer(opts: PngRendererOptions = {}): Promise<{ renderer: PngRenderer | null; reason: string }> {
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
          const page = await browser.newPage({ viewport: { width: PNG_WIDTH, height: 800 }, deviceScaleFactor: opts.scale ?? 2 });
          try {
            await page.route('**/*', (route) => {
              const url = route.request().url();
              if (url === PAGE_URL) return route.fulfill({ contentType: 'text/html; charset=utf-8', body: html });
              if (url.endsWith(`/${PLOTLY_FILE}`)) return route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: plotlySource() });
              return route.abort();
            });
            // parsing plotly.js takes ~1 s on an idle core and over 30 s on a loaded 2-core box: generous limits
            await page.goto(PAGE_URL, { waitUntil: 'load', timeout: RENDER_TIMEOUT_MS });
            const state = await (await page.waitForFunction(() => (document.querySelector('.ntk-figure') as HTMLElement | null)?.dataset.ready, undefined, { timeout: RENDER_TIMEOUT_MS })).jsonValue();
            if (state !== '1') throw new Error(`Plotly could not draw the figure: ${String(state)}`);
            return await page.locator('.ntk-plot').first().screenshot({ type: 'png' });
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
