import type { Cell, DataTable } from '../../../core/data/table';
import { createRandom } from '../../../core/datasets/random';
import { analyzeDrift } from '../../../core/drift/detect';
import { renderDriftReportHtml } from '../../../core/drift/html';
import { buildProfile } from '../../../core/profile/profile';
import type { ColumnType, DataSchema } from '../../../core/schema/types';
import { checkReportInChromium } from '../../support/report-browser';
import { requireTool, TOOLS } from '../../support/tools';

const CHROMIUM = requireTool(TOOLS.chromium, 'the drift report browser test') ?? '';
const describeWithBrowser = CHROMIUM ? describe : describe.skip;
const ROWS = 3000;

/** A realistic e-commerce table: 19 columns, some of which drift in the current sample. */
function shop(seed: number, drifted: boolean): DataTable {
  const random = createRandom(seed);
  const columns: Record<string, Cell[]> = {};
  const add = (name: string, make: () => Cell) => {
    columns[name] = Array.from({ length: ROWS }, make);
  };
  add('age', () => Math.round(35 + 12 * random.normal()));
  add('basket_value', () => Math.exp(3.5 + 0.6 * random.normal() + (drifted ? 0.3 : 0)));
  add('sessions_30d', () => Math.max(0, 6 + 3 * random.normal()));
  add('days_since_signup', () => 400 * random.next() + (drifted ? 120 : 0));
  add('discount_rate', () => Math.min(1, Math.max(0, 0.1 + 0.05 * random.normal())));
  add('page_views', () => 20 + 8 * random.normal());
  add('support_tickets', () => Math.max(0, random.normal() * 1.5 + (drifted ? 1 : 0)));
  add('latency_ms', () => (drifted && random.next() < 0.01 ? Number.POSITIVE_INFINITY : 120 + 30 * random.normal()));
  add('cart_items', () => 3 + 2 * random.normal());
  add('rating', () => 4 + 0.5 * random.normal());
  add('country', () => random.pick(['DE', 'FR', 'US', 'UK', 'ES'], drifted ? [2, 2, 4, 1, 1] : [3, 2, 2, 2, 1]));
  add('device', () => random.pick(['mobile', 'desktop', 'tablet']));
  add('plan', () => (drifted && random.next() < 0.08 ? 'enterprise' : random.pick(['free', 'plus', 'pro'])));
  add('channel', () => random.pick(['ads', 'organic', 'referral', 'email']));
  add('newsletter', () => random.next() < (drifted ? 0.5 : 0.3));
  add('payment', () => (drifted && random.next() < 0.2 ? null : random.pick(['card', 'paypal', 'invoice'])));
  add('returning', () => random.next() < 0.6);
  add('<script>alert(1)</script>', () => random.normal());
  add('churned', () => random.next() < 0.2);
  if (drifted) add('time_spent_on_video_tutorials', () => (random.next() < 0.9 ? 30 * random.next() : null));
  const names = Object.keys(columns);
  return { columnNames: names, columns: names.map((name) => columns[name]), rowCount: ROWS };
}

function schemaOf(table: DataTable): DataSchema {
  const types: Record<string, ColumnType> = {
    country: 'categorical',
    device: 'categorical',
    plan: 'categorical',
    channel: 'categorical',
    payment: 'categorical',
    newsletter: 'boolean',
    returning: 'boolean',
    churned: 'boolean',
  };
  return {
    columns: table.columnNames.map((name) => ({
      name,
      type: types[name] ?? 'numeric',
      role: name === 'churned' ? 'target' : 'feature',
      missingRate: 0,
      uniqueCount: 0,
    })),
    target: 'churned',
    rowCount: table.rowCount,
  };
}

describeWithBrowser('the drift report in headless Chromium', () => {
  it('renders offline with its summary, no console errors and no request beyond the file itself', async () => {
    // Given a report of a drifted e-commerce sample against the profile of the training sample
    const reference = shop(1, false);
    const profile = buildProfile(reference, schemaOf(reference));
    const { report, currentProfile } = analyzeDrift(profile, shop(2, true), { now: new Date('2026-11-29T12:00:00Z') });

    // When Chromium opens the file
    await checkReportInChromium(
      CHROMIUM,
      renderDriftReportHtml(report, { reference: profile, current: currentProfile }),
      { viewport: { width: 1200, height: 900 }, screenshot: '/tmp/drift-report.png' },
      async ({ page, url, consoleErrors, requests }) => {
        // Then it renders the summary and a chart per tested column, cleanly and offline
        const summary = await page.textContent('#summary');
        expect(summary).toContain(`Drift in ${report.driftedColumns} of ${report.columnCount} columns`);
        expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(report.columnCount);
        expect(await page.locator('text=<script>alert(1)</script>').count()).toBeGreaterThan(0);
        expect(consoleErrors).toEqual([]);
        expect(requests).toEqual([url]);
      },
    );
  });
});
