import type { ModelConfig } from '../../../core/config/schema';
import { joinStateKey } from '../../../core/ground-truth/layout';
import { qualityLatestKey, qualityLatestSchema, qualityStateKey } from '../../../core/ground-truth/report';
import { auc } from '../../../core/metrics';
import { ModelRegistry } from '../../../core/registry/registry';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import { executionInputSchema } from '../../../core/workflow/contract';
import { type QualityMonitorDeps, runQualityCheck } from '../../../lambdas/quality-monitor/check';
import type { MonitorRequest } from '../../../lambdas/shared/monitor-event';
import { FaultyStore } from '../../support/faulty-store';
import {
  HOUR_MS,
  MODEL,
  NOW,
  postOutcomes,
  promoteNewVersion,
  qualityModel,
  type Recorders,
  recorders,
  type Traffic,
  traffic,
  uploadOutcomes,
  validationAuc,
  writePredictions,
} from './fixtures';

const DAY_MS = 24 * HOUR_MS;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

interface World {
  readonly artifacts: MemoryObjectStore;
  readonly monitoring: MemoryObjectStore;
  readonly raw: MemoryObjectStore;
  readonly recorded: Recorders;
  deps(model?: ModelConfig, monitoring?: ObjectStore): QualityMonitorDeps;
}

function world(): World {
  const artifacts = new MemoryObjectStore('artifacts');
  const monitoring = new MemoryObjectStore('monitoring');
  const raw = new MemoryObjectStore('raw', () => ago(HOUR_MS));
  const recorded = recorders();
  return {
    artifacts,
    monitoring,
    raw,
    recorded,
    deps: (model = qualityModel(), store = monitoring) => ({
      model,
      artifacts,
      monitoring: store,
      raw,
      joinSettleSeconds: 60,
      ...recorded.ports,
    }),
  };
}

const scheduledAt = (at: Date): MonitorRequest => ({ trigger: 'schedule', at, force: false });
const text = async (store: ObjectStore, key: string) => new TextDecoder().decode((await store.get(key))!.body);

/** Predictions written as scored, then half the outcomes posted and the other half uploaded as CSV. */
async function served(w: World, scored: Traffic): Promise<void> {
  await writePredictions(w.monitoring, scored.predictions);
  const outcomes = [...scored.outcomes.entries()];
  const half = Math.floor(outcomes.length / 2);
  await postOutcomes(w.monitoring, outcomes.slice(0, half), ago(2 * HOUR_MS));
  await uploadOutcomes(w.raw, 'outcomes.csv', outcomes.slice(half));
}

describe('quality check on joined outcomes', () => {
  it('joins posted and uploaded outcomes and reports the AUC of exactly those rows', async () => {
    // given version 1 in production and 400 predictions of the last 3 days with their outcomes
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    const scored = traffic({ version: 1, count: 400, from: ago(3 * DAY_MS), to: ago(3 * HOUR_MS), skill: 1, seed: 1 });
    await served(w, scored);
    // when the scheduled check runs
    const summary = await runQualityCheck(scheduledAt(NOW), w.deps());
    // then every outcome is joined and the AUC is that of the predictions' scores against the outcomes
    expect(summary.join).toMatchObject({
      status: 'joined',
      counts: expect.objectContaining({ joined: 400, unknown: 0 }),
    });
    expect(summary).toMatchObject({ status: 'ok', version: 1, labeled: 400, coverage: 1, alerted: false });
    const expected = auc(
      scored.predictions.map((p) => p.score),
      scored.predictions.map((p) => (scored.outcomes.get(p.id) === 'yes' ? 1 : 0)),
    );
    expect(summary.auc).toBeCloseTo(expected, 12);
  });

  it('writes report.json, a self-contained report.html and latest.json under quality/<model>/', async () => {
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await served(
      w,
      traffic({ version: 1, count: 200, from: ago(2 * DAY_MS), to: ago(3 * HOUR_MS), skill: 1, seed: 2 }),
    );
    // when
    const summary = await runQualityCheck(scheduledAt(NOW), w.deps());
    // then
    const folder = 'quality/churn/20261129T120000Z/';
    expect(summary.reportUri).toBe(`s3://monitoring/${folder}report.json`);
    const report = JSON.parse(await text(w.monitoring, `${folder}report.json`));
    expect(report).toMatchObject({ format: 'mlops-quality-report', status: 'ok', production: { version: 1 } });
    expect(report.decisions.map((d: { check: string }) => d.check)).toEqual(['min-labeled', 'drop']);
    expect(report.overTime.length).toBeGreaterThan(1);
    const html = await text(w.monitoring, `${folder}report.html`);
    expect(html).toContain('auc over time, per version');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const latest = qualityLatestSchema.parse(JSON.parse(await text(w.monitoring, qualityLatestKey(MODEL))));
    expect(latest).toMatchObject({ version: 1, labeled: 200, status: 'ok', reportKey: `${folder}report.json` });
  });

  it('changes nothing when run again with nothing new: the join writes nothing and the numbers repeat', async () => {
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await served(
      w,
      traffic({ version: 1, count: 200, from: ago(2 * DAY_MS), to: ago(3 * HOUR_MS), skill: 1, seed: 3 }),
    );
    const first = await runQualityCheck(scheduledAt(NOW), w.deps());
    const joinedKeys = w.monitoring.keys().filter((key) => key.startsWith('joined/'));
    // when it runs again an hour later
    const second = await runQualityCheck(scheduledAt(new Date(NOW.getTime() + HOUR_MS)), w.deps());
    // then
    expect(second.join.status).toBe('nothing-new');
    expect(w.monitoring.keys().filter((key) => key.startsWith('joined/'))).toEqual(joinedKeys);
    expect({ labeled: second.labeled, auc: second.auc }).toEqual({ labeled: first.labeled, auc: first.auc });
  });

  it('acts on nothing with fewer than minLabeled outcomes', async () => {
    // given a useless model but only 30 outcomes (minLabeled 50)
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await served(w, traffic({ version: 1, count: 30, from: ago(DAY_MS), to: ago(3 * HOUR_MS), skill: 0, seed: 4 }));
    // when
    const summary = await runQualityCheck(scheduledAt(NOW), w.deps());
    // then
    expect(summary).toMatchObject({ status: 'not-enough-labels', labeled: 30, alerted: false });
    expect(summary.retrain.status).toBe('not-needed');
    expect(w.recorded.alerts).toEqual([]);
    expect(w.recorded.metrics[0]!.map((m) => m.name)).toEqual(['QualityLabeled']);
  });

  it('alerts and starts a quality-triggered retrain when live AUC drops below the validation AUC', async () => {
    // given a model whose scores say nothing about the outcomes any more
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await served(
      w,
      traffic({ version: 1, count: 300, from: ago(3 * DAY_MS), to: ago(3 * HOUR_MS), skill: 0, seed: 5 }),
    );
    // when
    const summary = await runQualityCheck(scheduledAt(NOW), w.deps());
    // then
    expect(summary.status).toBe('degraded');
    expect(summary.reasons[0]).toMatch(new RegExp(`vs validation auc ${validationAuc().toPrecision(4)}`));
    expect(w.recorded.starts).toHaveLength(1);
    const { name, input } = w.recorded.starts[0]!;
    expect(name).toBe('quality-20261129T120000Z');
    expect(executionInputSchema.parse(input)).toMatchObject({ model: MODEL, trigger: { kind: 'quality' } });
    expect(w.recorded.alerts[0]!.subject).toBe('Quality drop in churn (version 1)');
    expect(w.recorded.alerts[0]!.message).toContain('Retraining: started');
    expect(w.recorded.metrics[0]!).toEqual(
      expect.arrayContaining([{ name: 'QualityDegraded', unit: 'None', value: 1 }]),
    );
  });

  it('alerts below the configured floor but starts no retrain inside the cooldown', async () => {
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await served(
      w,
      traffic({ version: 1, count: 300, from: ago(3 * DAY_MS), to: ago(3 * HOUR_MS), skill: 0, seed: 6 }),
    );
    const model = qualityModel({ minAuc: 0.7, maxAucDrop: 1 });
    await runQualityCheck(scheduledAt(ago(2 * HOUR_MS)), w.deps(model));
    // when the next check, an hour later, finds the same
    const summary = await runQualityCheck(scheduledAt(ago(HOUR_MS)), w.deps(model));
    // then
    expect(summary.reasons[0]).toMatch(/live auc 0\.\d+ < floor quality\.minAuc 0\.7/);
    expect(summary.retrain).toMatchObject({ status: 'cooldown', lastStartedAt: ago(2 * HOUR_MS).toISOString() });
    expect(w.recorded.starts).toHaveLength(1);
    expect(JSON.parse(await text(w.monitoring, qualityStateKey(MODEL))).lastRetrain.executionName).toBe(
      'quality-20261129T100000Z',
    );
  });

  it('rolls production back when the version promoted last measures worse than its predecessor did', async () => {
    // given version 1 served well for three days, then version 2 was promoted and serves badly
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await promoteNewVersion(w.artifacts, ago(3 * DAY_MS));
    await served(w, {
      ...traffic({ version: 1, count: 300, from: ago(6 * DAY_MS), to: ago(3 * DAY_MS + HOUR_MS), skill: 1, seed: 7 }),
    });
    const second = traffic({ version: 2, count: 300, from: ago(3 * DAY_MS), to: ago(3 * HOUR_MS), skill: 0, seed: 8 });
    await writePredictions(w.monitoring, second.predictions);
    await postOutcomes(w.monitoring, [...second.outcomes.entries()], ago(2 * HOUR_MS));
    // when
    const summary = await runQualityCheck(scheduledAt(NOW), w.deps(qualityModel({ rollbackOnRegression: true })));
    // then production is back on version 1, through the registry, with the numbers in the history
    expect(summary.rollback).toMatchObject({ status: 'rolled-back', from: 2, to: 1 });
    const registry = new ModelRegistry({ store: w.artifacts });
    const production = await registry.resolveAlias(MODEL, 'production');
    expect(production).toMatchObject({ version: 1, kind: 'rollback', actor: 'quality-monitor' });
    expect(production!.reason).toMatch(/^version 2 live auc 0\.\d+ \(300 outcomes\) vs version 1 before it 0\.9\d+/);
    expect(w.recorded.alerts[0]!.subject).toBe('Quality regression in churn: rolled back from version 2 to 1');
  });

  it('does not roll back again when a retried check finds production already rolled back', async () => {
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await promoteNewVersion(w.artifacts, ago(3 * DAY_MS));
    await served(
      w,
      traffic({ version: 1, count: 300, from: ago(6 * DAY_MS), to: ago(3 * DAY_MS + HOUR_MS), skill: 1, seed: 9 }),
    );
    const second = traffic({ version: 2, count: 300, from: ago(3 * DAY_MS), to: ago(3 * HOUR_MS), skill: 0, seed: 10 });
    await writePredictions(w.monitoring, second.predictions);
    await postOutcomes(w.monitoring, [...second.outcomes.entries()], ago(2 * HOUR_MS));
    const model = qualityModel({ rollbackOnRegression: true });
    await runQualityCheck(scheduledAt(NOW), w.deps(model));
    // when the same scheduled event is delivered again
    const retried = await runQualityCheck(scheduledAt(NOW), w.deps(model));
    // then production stays on version 1 and no second rollback is made
    expect(retried.version).toBe(1);
    expect(retried.rollback.status).toBe('not-needed');
    expect((await new ModelRegistry({ store: w.artifacts }).aliasHistory(MODEL, 'production')).length).toBe(3);
  });

  it('reports a lost join race and stops, writing no report', async () => {
    // given another join commits while this one runs
    const w = world();
    await promoteNewVersion(w.artifacts, ago(7 * DAY_MS));
    await served(w, traffic({ version: 1, count: 100, from: ago(DAY_MS), to: ago(3 * HOUR_MS), skill: 1, seed: 11 }));
    const faulty = new FaultyStore(w.monitoring);
    faulty.onFirstWrite(joinStateKey(MODEL), async () => {
      await runQualityCheck(scheduledAt(NOW), w.deps());
    });
    const reportsBefore = () => w.monitoring.keys().filter((key) => key.endsWith('report.json')).length;
    // when
    const summary = await runQualityCheck(scheduledAt(new Date(NOW.getTime() + 1000)), w.deps(qualityModel(), faulty));
    // then
    expect(summary).toMatchObject({ status: 'join-superseded', join: { status: 'superseded' }, reportUri: null });
    expect(reportsBefore()).toBe(1);
  });
});
