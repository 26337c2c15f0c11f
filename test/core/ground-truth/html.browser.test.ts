import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderQualityReportHtml } from '../../../core/ground-truth/html';
import { requireTool, TOOLS } from '../../support/tools';
import { EVIL, weekReport } from './report-fixture';

const CHROMIUM = requireTool(TOOLS.chromium, 'the quality report browser test') ?? '';
const describeWithBrowser = CHROMIUM ? describe : describe.skip;

describeWithBrowser('the quality report in headless Chromium', () => {
  it('renders offline: the verdict, a line per version over time, calibration, no errors, no request', async () => {
    // Given a week's report: version 1 good, then version 2 worse
    const dir = await mkdtemp(join(tmpdir(), 'quality-report-'));
    const file = join(dir, 'report.html');
    await writeFile(file, renderQualityReportHtml(weekReport()));

    // When Chromium opens the file
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.screenshot({ path: '/tmp/quality-report.png', fullPage: true });

      // Then the verdict, two drawn series with points, the calibration chart, and the escaped text
      expect(await page.textContent('#summary')).toContain('measures worse than its predecessor');
      const lines = page.locator('svg.chart path');
      expect(await lines.count()).toBe(2);
      for (const box of await Promise.all([0, 1].map((i) => lines.nth(i).boundingBox()))) {
        expect(box!.width).toBeGreaterThan(100);
      }
      expect(await page.locator('svg[aria-label="calibration"] circle').count()).toBeGreaterThan(3);
      expect(await page.locator(`text=${EVIL}`).count()).toBeGreaterThan(0);
      expect(consoleErrors).toEqual([]);
      expect(requests).toEqual([pathToFileURL(file).href]);
    } finally {
      await browser.close();
    }
  });
});
