import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { escapeHtml, figureHtml, figureLayout, figureSnippet, PNG_WIDTH, startPngRenderer, type Figure, type PngRenderer } from './figure.js';
import { plotlyGzipBase64, plotlyVersion } from './plotlyAsset.js';

/**
 * Figures in Jupyter notebooks (the tslab TypeScript kernel). Each figure is ONE output holding a MIME bundle:
 * text/html (the interactive plot, in a div with an id of its own, with the static PNG inside as its fallback)
 * and image/png (for viewers that show no HTML or run no scripts, such as GitHub's). plotly.js goes into the
 * notebook once, gzipped (≈ 2.0 MB), in the output of `notebookFigures`; every plot waits for it.
 */

/** What the helper needs of the kernel's display: tslab's `display` (its `html` is the fallback route). */
export interface HtmlDisplay {
  /** Shows `s` as one text/html output. */
  html(s: string): void;
}

/** One Jupyter output: the MIME bundle (base64 for images) and its metadata. */
export interface MimeBundle {
  data: Record<string, string>;
  metadata: Record<string, unknown>;
}

/** Options of `notebookFigures`. */
export interface NotebookFiguresOptions {
  /** Render a static PNG of each figure in headless Chromium (default true; skipped with a note when none). */
  png?: boolean;
  /** Device pixels per CSS pixel of the PNGs (default 1.5: sharp enough; 0.1–0.2 MB a figure). */
  scale?: number;
}

/** The notebook helper returned by `notebookFigures`. */
export interface NotebookFigures {
  /** Shows a figure as one output: interactive plot + static PNG (without the PNG, and one line why, if it fails). */
  show(fig: Figure): Promise<void>;
  /** Closes the PNG renderer now (it also closes itself after 20 s without a figure). */
  close(): Promise<void>;
}

/**
 * The HTML that puts plotly.js into a page once: gzipped + base64 in a script that unpacks it (the browser's
 * DecompressionStream), installs it as `window.Plotly` and draws every figure queued on
 * `window.ntkPlotlyWaiting`. Running it twice, or where Plotly is already loaded, loads nothing again.
 */
export function plotlyLoaderHtml(): string {
  return `<div class="ntk-plotly-loader" style="font-size:12px;color:#666">Figures in this notebook: interactive (plotly.js ${plotlyVersion()}, embedded once in this output, works offline) where the viewer runs scripts, a static PNG elsewhere.</div>
<script>(function () {
  function flush() {
    if (!window.Plotly) return;
    var waiting = window.ntkPlotlyWaiting || [];
    window.ntkPlotlyWaiting = [];
    waiting.forEach(function (draw) { draw(window.Plotly); });
  }
  if (window.Plotly || window.ntkPlotlyLoading) return flush();
  window.ntkPlotlyLoading = true;
  var b64 = "${plotlyGzipBase64()}";
  var bin = atob(b64), bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function (src) {
    var s = document.createElement('script');
    s.textContent = src;
    document.head.appendChild(s);
    window.ntkPlotlyLoading = false;
    flush();
  }, function (e) { window.ntkPlotlyLoading = false; console.error('ntk-l2: could not unpack plotly.js', e); });
})();</script>`;
}

/**
 * The output bundle of one figure. `png` is the static image (from the PNG renderer) or null; `id` must be unique
 * in the notebook (notebookFigures draws a random one per output, so rerunning a cell never reuses one).
 */
export function figureBundle(fig: Figure, png: Uint8Array | null, id: string): MimeBundle {
  const height = Number(figureLayout(fig).height);
  const b64 = png ? Buffer.from(png).toString('base64') : null;
  const fallback = b64
    ? `<img src="data:image/png;base64,${b64}" alt="${escapeHtml(fig.title)}" style="width:100%;max-width:${PNG_WIDTH}px">`
    : `<p style="color:#a00">(interactive figure: the viewer did not run its script, and no static image was made)</p>`;
  const data: Record<string, string> = { 'text/html': figureSnippet(fig, { id, fallback }), 'text/plain': `${fig.title} (figure ${fig.name})` };
  const metadata: Record<string, unknown> = {};
  if (b64) {
    data['image/png'] = b64;
    metadata['image/png'] = { width: PNG_WIDTH, height };
  }
  return { data, metadata };
}

type DisplayWriter = (msg: { data: Record<string, string>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

/**
 * tslab's own writer of display messages. tslab's public `display` sends one MIME type per output; the kernel's
 * writer (module tslab/dist/jupyter.js, `lastWriteDisplayData`, set while a cell runs) sends a whole bundle. It is
 * found in Node's module cache of the kernel process; null outside a tslab kernel or if tslab changes.
 */
function tslabWriter(): DisplayWriter | null {
  const cache = createRequire(import.meta.url).cache as Record<string, { exports?: { lastWriteDisplayData?: unknown } } | undefined>;
  for (const key of Object.keys(cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(key)) continue;
    const w = cache[key]?.exports?.lastWriteDisplayData;
    if (typeof w === 'function') return w as DisplayWriter;
  }
  return null;
}

/** Sends a bundle through tslab's writer, or its text/html alone through `display.html` when that is missing. */
export function displayBundle(bundle: MimeBundle, display: HtmlDisplay): void {
  const write = tslabWriter();
  if (write) write({ data: bundle.data, metadata: bundle.metadata, transient: {} }, false);
  else display.html(bundle.data['text/html']);
}

/**
 * Starts figures for a notebook: displays the plotly loader (one output, ≈ 2.0 MB) and returns `show`. Call it
 * once near the top (`const figs = notebookFigures(tslab)`), then `await figs.show(fig)` for each figure.
 */
export function notebookFigures(kernel: { display: HtmlDisplay }, opts: NotebookFiguresOptions = {}): NotebookFigures {
  kernel.display.html(plotlyLoaderHtml());
  let renderer: Promise<PngRenderer | null> | null = null;
  let idle: NodeJS.Timeout | null = null;
  let noted = false;
  const close = async (): Promise<void> => {
    if (idle) clearTimeout(idle);
    idle = null;
    const r = renderer;
    renderer = null;
    await (await r)?.close();
  };
  return {
    async show(fig: Figure): Promise<void> {
      let png: Uint8Array | null = null;
      if (opts.png !== false) {
        if (idle) clearTimeout(idle);
        renderer ??= startPngRenderer({ scale: opts.scale ?? 1.5 }).then(({ renderer: r, reason }) => {
          if (!r && !noted) console.log(`static PNGs skipped: ${reason}`);
          noted = true;
          return r;
        });
        const r = await renderer;
        try {
          if (r) png = await r.render(figureHtml(fig));
        } catch (e) {
          // the interactive figure does not depend on the PNG: say why it is missing and show the figure
          console.log(`static PNG of ${fig.name} skipped: ${(e as Error).message.split('\n')[0]}`);
        }
        idle = setTimeout(() => void close(), 20_000);
        idle.unref();
      }
      displayBundle(figureBundle(fig, png, `ntk-${fig.name}-${randomBytes(4).toString('hex')}`), kernel.display);
    },
    close,
  };
}
