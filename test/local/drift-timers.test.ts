import { rateToMs } from '../../local/drift-timers';

describe('rateToMs', () => {
  it('reads minutes, hours and days of an EventBridge rate expression', () => {
    expect(rateToMs('rate(5 minutes)')).toBe(300_000);
    expect(rateToMs('rate(1 hour)')).toBe(3_600_000);
    expect(rateToMs(' rate(2 days) ')).toBe(172_800_000);
  });

  it('returns undefined for a cron expression, which only AWS schedules', () => {
    expect(rateToMs('cron(0 * * * ? *)')).toBeUndefined();
  });
});
