import { metricOverTimeSvg, renderQualityReportHtml } from '../../../core/ground-truth/html';
import { EVIL, weekReport } from './report-fixture';

describe('renderQualityReportHtml', () => {
  it('escapes every message, so text from an upload name cannot run', () => {
    const html = renderQualityReportHtml(weekReport());
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('is one file with no script and no network reference', () => {
    const html = renderQualityReportHtml(weekReport());
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
    expect(html.match(/https?:\/\/[^"\s]+/g) ?? []).toEqual([]);
  });

  it('plots one line per version with the validation guide, and the calibration of production', () => {
    const html = renderQualityReportHtml(weekReport());
    expect(html.match(/<path d="M/g)).toHaveLength(2);
    expect(html).toContain('validation 0.84');
    expect(html).toContain('Calibration of version 2');
  });

  it('says there is nothing to plot without outcomes', () => {
    const svg = metricOverTimeSvg([], 'auc', { start: '2026-11-22T12:00:00.000Z', end: '2026-11-29T12:00:00.000Z' });
    expect(svg).toContain('No outcomes in the window yet');
  });
});
