import { renderQualityReportHtml } from '../../../core/ground-truth/html';
import { checkReportInChromium } from '../../support/report-browser';
import { requireTool, TOOLS } from '../../support/tools';
import { EVIL, weekReport } from './report-fixture';

const CHROMIUM = requireTool(TOOLS.chromium, 'the quality report browser test') ?? '';
const describeWithBrowser = CHROMIUM ? describe : describe.skip;

describeWithBrowser('the quality report in headless Chromium', () => {
  it('renders offline: the verdict, a line per version over time, calibration, no errors, no request', async () => {
    // Given a week's report: version 1 good, then version 2 worse
    const html = renderQualityReportHtml(weekReport());

    // When Chromium opens the file
    await checkReportInChromium(
      CHROMIUM,
      html,
      { viewport: { width: 1100, height: 900 }, screenshot: '/tmp/quality-report.png' },
      async ({ page, url, consoleErrors, requests }) => {
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
        expect(requests).toEqual([url]);
      },
    );
  });
});
