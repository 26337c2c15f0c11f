import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export interface OpenedReport {
  readonly page: Page;
  /** The file's own URL: the only request a self-contained report may make. */
  readonly url: string;
  /** Console errors and uncaught page errors. */
  readonly consoleErrors: readonly string[];
  /** Every URL the page requested. */
  readonly requests: readonly string[];
}

/**
 * Writes `html` to a temporary file, opens it in headless Chromium (the binary at `chromium`)
 * with background networking off, records console errors and requests, saves a full-page
 * screenshot to `screenshot`, runs `check`, and closes the browser whatever happens.
 */
export async function checkReportInChromium(
  chromiumPath: string,
  html: string,
  options: { readonly viewport: { width: number; height: number }; readonly screenshot: string },
  check: (opened: OpenedReport) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'report-'));
  const file = join(dir, 'report.html');
  await writeFile(file, html);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: options.viewport });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    await page.screenshot({ path: options.screenshot, fullPage: true });
    await check({ page, url, consoleErrors, requests });
  } finally {
    await browser.close();
  }
}
