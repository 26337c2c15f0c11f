import type { ModelConfig } from '../../core/config/schema';
import { rateToMs, startMonitorTimers } from '../../local/monitor-timers';

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

describe('startMonitorTimers', () => {
  afterEach(() => jest.useRealTimers());

  it('sends each monitor a Scheduled Event on its own rate, and names the command for a cron schedule', async () => {
    // given drift every 2 minutes and quality on a cron schedule
    jest.useFakeTimers();
    const model = { name: 'churn', drift: { schedule: 'rate(2 minutes)' }, quality: { schedule: 'cron(0 3 * * ? *)' } };
    const events: Array<[string, unknown]> = [];
    const lines: string[] = [];
    const invoker = (name: string) => () => ({
      invoke: async (event: unknown) => {
        events.push([name, event]);
        return { status: 'ok' };
      },
    });
    const stop = startMonitorTimers(
      [model as unknown as ModelConfig],
      [
        { name: 'drift', schedule: (m) => m.drift.schedule, function: invoker('drift') },
        { name: 'quality', schedule: (m) => m.quality.schedule, function: invoker('quality') },
      ],
      (line) => lines.push(line),
    );
    // when four minutes pass
    await jest.advanceTimersByTimeAsync(4 * 60_000);
    stop();
    // then drift ran twice with a Scheduled Event; quality never, with a hint instead
    expect(events.map(([name]) => name)).toEqual(['drift', 'drift']);
    expect(events[0]![1]).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    expect(lines[0]).toBe(
      `[churn] quality schedule "cron(0 3 * * ? *)" runs on AWS only; run 'mlops quality run churn' locally`,
    );
  });
});
