import type { ModelConfig } from '../../../core/config/schema';
import { driftReportSchema } from '../../../core/drift/report';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import { executionInputSchema } from '../../../core/workflow/contract';
import { type DriftMonitorDeps, runDriftCheck } from '../../../lambdas/drift-monitor/check';
import { type DriftCheckRequest, parseDriftCheckEvent } from '../../../lambdas/drift-monitor/event';
import { latestReportKey } from '../../../lambdas/drift-monitor/latest';
import { COLUMN_DRIFT_SCORE_METRIC, DRIFTED_COLUMNS_METRIC } from '../../../lambdas/drift-monitor/metrics';
import { driftStateKey } from '../../../lambdas/drift-monitor/retrain-state';
import {
  driftModel,
  HOUR_MS,
  MODEL,
  NOW,
  publishProduction,
  type Recorders,
  recorders,
  trafficRows,
  writeCaptures,
} from './fixtures';

interface World {
  readonly artifacts: ObjectStore;
  readonly monitoring: MemoryObjectStore;
  readonly recorded: Recorders;
  deps(model?: ModelConfig): DriftMonitorDeps;
}

async function world(options: { failStart?: () => boolean } = {}): Promise<World> {
  const artifacts = new MemoryObjectStore('artifacts');
  const monitoring = new MemoryObjectStore('monitoring');
  await publishProduction(artifacts);
  const recorded = recorders(options);
  return {
    artifacts,
    monitoring,
    recorded,
    deps: (model = driftModel()) => ({ model, artifacts, monitoring, ...recorded.ports }),
  };
}

const scheduledAt = (at: Date): DriftCheckRequest => ({ trigger: 'schedule', at, force: false });
const text = async (store: ObjectStore, key: string) => new TextDecoder().decode((await store.get(key))!.body);

/** v2 traffic (older customers, more support contacts, a new payment method, a new column) over the last 24 h. */
async function shiftedTraffic(w: World, end = NOW): Promise<void> {
  await writeCaptures(w.monitoring, trafficRows('v2', 600, 5), { end, hours: 24 });
}

describe('drift check on captured traffic', () => {
  it('finds dataset drift and the new column in v2 traffic, and says a retrain is suggested', async () => {
    // given the production model trained on v1 and a day of v2 traffic
    const w = await world();
    await shiftedTraffic(w);
    // when the scheduled check runs
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps());
    // then
    expect(summary).toMatchObject({
      status: 'checked',
      version: 1,
      rows: 600,
      datasetDrift: true,
      suggestsRetrain: true,
    });
    expect(summary.retrainReasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/new column "time_spent_on_video_tutorials"/)]),
    );
    expect(summary.topDriftedColumns).toEqual(expect.arrayContaining(['age', 'support_contacts']));
  });

  it('writes report.json, report.html and a latest.json pointer under drift/<model>/<timestamp>/', async () => {
    // given
    const w = await world();
    await shiftedTraffic(w);
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps());
    // then
    const folder = 'drift/churn/20261129T120000Z/';
    expect(summary.reportUri).toBe(`s3://monitoring/${folder}report.json`);
    const report = JSON.parse(await text(w.monitoring, `${folder}report.json`));
    const parsed = driftReportSchema.parse(report);
    expect(parsed.schema.newColumns.map((column) => column.name)).toEqual(['time_spent_on_video_tutorials']);
    expect(report.monitor).toMatchObject({ model: MODEL, version: 1, status: 'checked', rows: 600, requests: 60 });
    expect(await text(w.monitoring, `${folder}report.html`)).toContain('Drift in');
    const latest = JSON.parse(await text(w.monitoring, latestReportKey(MODEL)));
    expect(latest).toMatchObject({
      reportKey: `${folder}report.json`,
      htmlKey: `${folder}report.html`,
      retrain: 'started',
    });
  });

  it('starts a drift-triggered retrain with the execution input contract and the reason', async () => {
    // given
    const w = await world();
    await shiftedTraffic(w);
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps());
    // then
    expect(w.recorded.starts).toHaveLength(1);
    const { name, input } = w.recorded.starts[0]!;
    expect(name).toBe('drift-20261129T120000Z');
    expect(executionInputSchema.parse(input)).toEqual(input);
    expect(input).toMatchObject({ model: MODEL, trigger: { kind: 'drift' } });
    expect(input.trigger.reason).toMatch(/dataset drift: \d+ of 12 columns drifted/);
    expect(summary.retrain).toMatchObject({ status: 'started', executionArn: expect.stringContaining(name) });
  });

  it('alerts with a subject, the summary line, the top drifted columns and the report URI', async () => {
    // given
    const w = await world();
    await shiftedTraffic(w);
    // when
    await runDriftCheck(scheduledAt(NOW), w.deps());
    // then
    expect(w.recorded.alerts).toHaveLength(1);
    const { subject, message } = w.recorded.alerts[0]!;
    expect(subject).toMatch(/^Drift in churn: \d+ of 12 columns drifted$/);
    expect(message).toMatch(/Drift in \d+ of 12 columns .*dataset drift: yes/);
    expect(message).toMatch(/Top drifted columns:\n {2}- \w+ \(wasserstein \d\.\d{3} >= 0\.1\)/);
    expect(message).toContain('s3://monitoring/drift/churn/20261129T120000Z/report.html');
    expect(message).toContain('Retraining: started');
  });

  it('publishes dataset metrics and one score per tested column', async () => {
    // given
    const w = await world();
    await shiftedTraffic(w);
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps());
    // then
    const metrics = w.recorded.metrics.flat();
    const byName = (name: string) => metrics.filter((metric) => metric.name === name);
    expect(byName('DatasetDrift')).toEqual([{ name: 'DatasetDrift', unit: 'None', value: 1 }]);
    expect(byName('DriftedColumnShare')[0]!.value).toBeCloseTo(summary.driftShare, 12);
    expect(byName(DRIFTED_COLUMNS_METRIC)[0]!.value).toBe(summary.driftedColumns);
    expect(byName('DriftRowsChecked')[0]!.value).toBe(600);
    const scored = byName(COLUMN_DRIFT_SCORE_METRIC).map((metric) => metric.column);
    expect(scored).toHaveLength(summary.columnCount);
    expect(scored).toContain('age');
    expect(scored).not.toContain('churned');
  });

  it('neither alerts nor retrains on traffic from the training distribution', async () => {
    // given a day of v1 traffic (new customers, same distribution)
    const w = await world();
    await writeCaptures(w.monitoring, trafficRows('v1', 600, 3), { end: NOW, hours: 24 });
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps());
    // then
    expect(summary).toMatchObject({ status: 'checked', datasetDrift: false, suggestsRetrain: false, alerted: false });
    expect(summary.retrain).toEqual({ status: 'not-needed' });
    expect(w.recorded.alerts).toEqual([]);
    expect(w.recorded.starts).toEqual([]);
    expect(w.recorded.metrics.flat().find((metric) => metric.name === 'DatasetDrift')?.value).toBe(0);
  });

  it('says not enough data below drift.minRows, without alert, retrain or verdict metrics', async () => {
    // given 50 captured rows against the default minimum of 100
    const w = await world();
    await writeCaptures(w.monitoring, trafficRows('v2', 50, 5), { end: NOW, hours: 24 });
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps());
    // then
    expect(summary).toMatchObject({ status: 'not-enough-data', rows: 50, minRows: 100, datasetDrift: false });
    expect(summary).toMatchObject({ suggestsRetrain: false, alerted: false, retrain: { status: 'not-needed' } });
    expect(w.recorded.alerts).toEqual([]);
    expect(w.recorded.starts).toEqual([]);
    expect(w.recorded.metrics.flat()).toEqual([{ name: 'DriftRowsChecked', unit: 'Count', value: 50 }]);
    const report = JSON.parse(await text(w.monitoring, 'drift/churn/20261129T120000Z/report.json'));
    expect(report.monitor.status).toBe('not-enough-data');
    expect(report.columns.every((column: { status: string }) => column.status !== 'ok')).toBe(true);
    expect(await text(w.monitoring, 'drift/churn/20261129T120000Z/report.html')).toContain(
      'Not enough data: 50 captured rows in the window; at least 100 needed',
    );
  });

  it('reads only the hour partitions of the window and only the requests inside it', async () => {
    // given v2 traffic two days ago, and v1 traffic in the last 24 h
    const w = await world();
    await writeCaptures(w.monitoring, trafficRows('v2', 600, 5), {
      end: new Date(NOW.getTime() - 30 * HOUR_MS),
      hours: 6,
    });
    await writeCaptures(w.monitoring, trafficRows('v1', 300, 3), { end: NOW, hours: 24 });
    const listed: string[] = [];
    const list = w.monitoring.list.bind(w.monitoring);
    w.monitoring.list = async (prefix) => {
      listed.push(prefix);
      return list(prefix);
    };
    // when a 24 h check runs at a time that is not on the hour
    const at = new Date(NOW.getTime() + 30 * 60_000);
    const summary = await runDriftCheck(scheduledAt(at), w.deps());
    // then it listed the 25 hour partitions that overlap the window and saw none of the older traffic;
    // of the v1 requests (one per 48 min from 12:24 the day before) the first is before the window's 12:30 start
    const captureListings = listed.filter((prefix) => prefix.startsWith('capture/'));
    expect(captureListings).toHaveLength(25);
    expect(captureListings[0]).toBe('capture/churn/dt=2026-11-28/hour=12/');
    expect(captureListings.at(-1)).toBe('capture/churn/dt=2026-11-29/hour=12/');
    expect(listed).not.toContain('capture/churn/');
    expect(summary.requests).toBe(29);
    expect(summary.rows).toBe(290);
    expect(summary.datasetDrift).toBe(false);
  });

  it('uses an on-demand window instead of the configured one', async () => {
    // given v2 traffic only in the last 2 hours
    const w = await world();
    await writeCaptures(w.monitoring, trafficRows('v2', 200, 5), { end: NOW, hours: 2 });
    // when a 1-hour check runs on demand
    const summary = await runDriftCheck(
      { trigger: 'on-demand', windowHours: 1, force: false },
      {
        ...w.deps(),
        clock: () => NOW,
      },
    );
    // then it compared only the last hour's rows
    expect(summary.window).toEqual({ start: '2026-11-29T11:00:00.000Z', end: '2026-11-29T12:00:00.000Z', hours: 1 });
    expect(summary.rows).toBe(100);
  });
});

describe('drift-triggered retraining policy', () => {
  it('does not start a second retrain inside the cooldown, and says so in the alert', async () => {
    // given a check that started a retrain at noon, and drift still present two hours later
    const w = await world();
    await shiftedTraffic(w);
    await runDriftCheck(scheduledAt(NOW), w.deps());
    const later = new Date(NOW.getTime() + 2 * HOUR_MS);
    await shiftedTraffic(w, later);
    // when the next check runs
    const summary = await runDriftCheck(scheduledAt(later), w.deps());
    // then no second execution starts, and the alert names the cooldown's end
    expect(w.recorded.starts).toHaveLength(1);
    expect(summary.retrain).toMatchObject({ status: 'cooldown', until: '2026-11-30T12:00:00.000Z' });
    expect(w.recorded.alerts[1]!.message).toContain('cooldown until 2026-11-30T12:00:00.000Z');
  });

  it('starts another retrain once the cooldown has passed', async () => {
    // given a drift retrain at noon
    const w = await world();
    await shiftedTraffic(w);
    await runDriftCheck(scheduledAt(NOW), w.deps());
    const nextDay = new Date(NOW.getTime() + 25 * HOUR_MS);
    await shiftedTraffic(w, nextDay);
    // when the check 25 hours later still finds drift
    const summary = await runDriftCheck(scheduledAt(nextDay), w.deps());
    // then
    expect(summary.retrain.status).toBe('started');
    expect(w.recorded.starts.map((start) => start.name)).toEqual(['drift-20261129T120000Z', 'drift-20261130T130000Z']);
  });

  it('starts exactly one retrain when two checks find drift at the same time', async () => {
    // given two checks of different windows racing on the same state
    const w = await world();
    await shiftedTraffic(w);
    // when both run concurrently
    const [first, second] = await Promise.all([
      runDriftCheck(scheduledAt(NOW), w.deps()),
      runDriftCheck(scheduledAt(new Date(NOW.getTime() - 60_000)), w.deps()),
    ]);
    // then one started it and the other found the cooldown
    expect(w.recorded.starts).toHaveLength(1);
    expect([first.retrain.status, second.retrain.status].sort()).toEqual(['cooldown', 'started']);
  });

  it('re-issues the same execution when a scheduled event is retried, instead of reporting a cooldown', async () => {
    // given a check that claimed the retrain
    const w = await world();
    await shiftedTraffic(w);
    await runDriftCheck(scheduledAt(NOW), w.deps());
    // when EventBridge retries the same event
    const retried = await runDriftCheck(scheduledAt(NOW), w.deps());
    // then the same (idempotent) start is asked for again
    expect(retried.retrain).toMatchObject({
      status: 'started',
      executionArn: expect.stringContaining('drift-20261129T120000Z'),
    });
    expect(w.recorded.starts).toHaveLength(1);
  });

  it('ignores the cooldown for an on-demand check with force', async () => {
    // given a drift retrain an hour ago
    const w = await world();
    await shiftedTraffic(w);
    await runDriftCheck(scheduledAt(NOW), w.deps());
    const later = new Date(NOW.getTime() + HOUR_MS);
    await shiftedTraffic(w, later);
    // when a forced on-demand check runs
    const summary = await runDriftCheck({ trigger: 'on-demand', force: true }, { ...w.deps(), clock: () => later });
    // then
    expect(summary.retrain.status).toBe('started');
    expect(w.recorded.starts).toHaveLength(2);
  });

  it('alerts but does not retrain when retrain.onDrift is off', async () => {
    // given
    const w = await world();
    await shiftedTraffic(w);
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps(driftModel({ retrain: { onDrift: false } })));
    // then
    expect(summary.retrain.status).toBe('disabled');
    expect(w.recorded.starts).toEqual([]);
    expect(w.recorded.alerts[0]!.message).toContain('retrain.onDrift is off');
    expect(await w.monitoring.get(driftStateKey(MODEL))).toBeNull();
  });

  it('does not try to start a retrain when it has no state machine, and logs why', async () => {
    // given retrain.onDrift on but no state machine given to the monitor (deployed before the flag was turned on)
    const w = await world();
    await shiftedTraffic(w);
    const { startRetrain: _none, ...ports } = w.recorded.ports;
    const lines: Array<{ level: string; message: string }> = [];
    const deps: DriftMonitorDeps = {
      ...w.deps(driftModel({ retrain: { onDrift: true } })),
      ...ports,
      startRetrain: undefined,
      log: (level, message) => lines.push({ level, message }),
    };
    // when drift is found
    const summary = await runDriftCheck(scheduledAt(NOW), deps);
    // then no run is attempted, no cooldown is claimed, and a warning names the missing variable and the fix
    expect(summary.retrain.status).toBe('not-configured');
    expect(w.recorded.starts).toEqual([]);
    expect(await w.monitoring.get(driftStateKey(MODEL))).toBeNull();
    expect(lines).toContainEqual({
      level: 'warn',
      message: expect.stringMatching(
        /not started: retrain\.onDrift is on but .*MLOPS_STATE_MACHINE_ARN is not set.*redeploy/,
      ),
    });
    expect(w.recorded.alerts[0]!.message).toContain('MLOPS_STATE_MACHINE_ARN is not set');
  });

  it('releases the cooldown claim when the execution cannot be started, so the next check tries again', async () => {
    // given Step Functions failing once
    let failures = 1;
    const w = await world({ failStart: () => failures-- > 0 });
    await shiftedTraffic(w);
    const failed = await runDriftCheck(scheduledAt(NOW), w.deps());
    const later = new Date(NOW.getTime() + HOUR_MS);
    await shiftedTraffic(w, later);
    // when the next check runs
    const next = await runDriftCheck(scheduledAt(later), w.deps());
    // then the failure was reported and the next check started the retrain
    expect(failed.retrain).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('Step Functions is down'),
    });
    expect(w.recorded.alerts[0]!.message).toContain('Retraining: could NOT be started');
    expect(next.retrain.status).toBe('started');
  });
});

describe('drift config and edge cases', () => {
  it('applies per-column settings: ignored columns are left out, and unknown columns are noted, not fatal', async () => {
    // given
    const w = await world();
    await shiftedTraffic(w);
    const model = driftModel({
      drift: {
        columns: { age: { ignore: true }, region: { test: 'psi', threshold: 0.2 }, nonexistent: { threshold: 0.3 } },
      },
    });
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps(model));
    // then
    const report = JSON.parse(await text(w.monitoring, 'drift/churn/20261129T120000Z/report.json'));
    const names = report.columns.map((column: { name: string }) => column.name);
    expect(names).not.toContain('age');
    expect(report.schema.newColumns.map((column: { name: string }) => column.name)).not.toContain('age');
    expect(report.columns.find((column: { name: string }) => column.name === 'region')).toMatchObject({
      test: 'psi',
      threshold: 0.2,
    });
    expect(summary.notes).toEqual([expect.stringContaining('drift.columns.nonexistent ignored')]);
  });

  it('uses the configured p-value and distance thresholds', async () => {
    // given a model whose distances drift only at 0.9
    const w = await world();
    await shiftedTraffic(w);
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), w.deps(driftModel({ drift: { distance: 0.9 } })));
    // then nothing drifts, but the new column still suggests a retrain
    expect(summary).toMatchObject({ driftedColumns: 0, datasetDrift: false, suggestsRetrain: true });
    expect(w.recorded.alerts[0]!.subject).toBe('Schema change in churn suggests retraining');
  });

  it('does nothing when the model has no production version yet', async () => {
    // given an empty registry
    const monitoring = new MemoryObjectStore('monitoring');
    const recorded = recorders();
    // when
    const summary = await runDriftCheck(scheduledAt(NOW), {
      model: driftModel(),
      artifacts: new MemoryObjectStore('artifacts'),
      monitoring,
      ...recorded.ports,
    });
    // then
    expect(summary).toMatchObject({ status: 'no-production-model', version: null, reportUri: null });
    expect(await monitoring.list('')).toEqual([]);
    expect(recorded.metrics).toEqual([]);
  });
});

describe('drift-monitor event', () => {
  it('takes the window end from an EventBridge scheduled event', () => {
    // given
    const event = {
      version: '0',
      id: 'e-1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-11-29T12:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/x'],
      detail: {},
    };
    // when / then
    expect(parseDriftCheckEvent(event)).toEqual({ trigger: 'schedule', at: NOW, force: false });
  });

  it('accepts an on-demand request with a window and force, and an empty one', () => {
    expect(parseDriftCheckEvent({ windowHours: 6, force: true })).toEqual({
      trigger: 'on-demand',
      windowHours: 6,
      force: true,
    });
    expect(parseDriftCheckEvent({})).toEqual({ trigger: 'on-demand', windowHours: undefined, force: false });
  });

  it('rejects anything else, naming what it accepts', () => {
    expect(() => parseDriftCheckEvent({ windowHours: 0 })).toThrow(/"Scheduled Event" or \{"windowHours"\?: 1\.\.2160/);
    expect(() => parseDriftCheckEvent({ window: 6 })).toThrow(/received \{"window":6\}/);
  });
});
