import { computeQuality } from '../../../core/ground-truth/quality';
import { bucketHoursFor, qualityOverTime } from '../../../core/ground-truth/report';
import { END, START, WEEK_TARGET, weekOfRows } from './report-fixture';

describe('qualityOverTime', () => {
  it('gives each version a point per day it served, computed on exactly that day of rows', () => {
    // given a week of 200 outcomes a day: version 1 for the first four days, version 2 after
    const rows = weekOfRows();
    // when
    const points = qualityOverTime(rows, {
      target: WEEK_TARGET,
      start: START,
      end: END,
      bucketHours: 24,
    });
    // then 7 points, one per day and version
    expect(points.map((p) => `${p.start.slice(8, 10)}:v${p.version}`)).toEqual([
      '22:v1',
      '23:v1',
      '24:v1',
      '25:v1',
      '26:v2',
      '27:v2',
      '28:v2',
    ]);
    const dayThree = rows.filter((row) => row.time >= points[2]!.start && row.time < points[2]!.end);
    const expected = computeQuality(dayThree, { target: WEEK_TARGET })[0]!;
    expect(points[2]).toMatchObject({ labeled: 200, auc: expected.binary!.auc });
    expect(points.reduce((sum, p) => sum + p.labeled, 0)).toBe(rows.length);
  });

  it('uses hourly points up to a two-day window, daily points beyond', () => {
    expect([1, 48, 49, 168].map(bucketHoursFor)).toEqual([1, 1, 24, 24]);
  });
});
