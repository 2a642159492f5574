import { existsSync } from 'node:fs';

/** Debian's Chromium, which the PNG renderer and these checks drive (null when not installed). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p)) ?? null;

/** What a browser made of the `.ntk-figure` elements of a page. */
export interface PageFigures {
  /** The id of every `.ntk-figure` element, in page order. */
  ids: string[];
  /** Its `data-ready`: "1" once Plotly drew it, "error: …" when Plotly failed, "" when it never drew. */
  states: string[];
  /** How many of them hold a drawn Plotly plot (an `svg.main-svg` inside). */
  drawn: number;
}

/**
 * Opens `url` (a file:// page, read offline: every http(s) request is refused) in headless Chromium and waits
 * until `expected` figures have drawn (or `timeoutMs` passes), then reports every figure of the page. An
 * independent check of the figure HTML: it runs the page's own scripts in a real browser.
 */
export async function pageFigures(url: string, expected: number, timeoutMs = 120_000): Promise<PageFigures> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.route(/^https?:/, (route) => route.abort());
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page
      .waitForFunction((n) => document.querySelectorAll('.ntk-figure[data-ready]').length >= n, expected, { timeout: timeoutMs, polling: 250 })
      .catch(() => undefined); // report what is there; the caller's assertions say what is missing
    return await page.evaluate(() => {
      const figs = Array.from(document.querySelectorAll<HTMLElement>('.ntk-figure'));
      return { ids: figs.map((f) => f.id), states: figs.map((f) => f.dataset.ready ?? ''), drawn: figs.filter((f) => f.querySelector('.ntk-plot svg.main-svg')).length };
    });
  } finally {
    await browser.close();
  }
}
