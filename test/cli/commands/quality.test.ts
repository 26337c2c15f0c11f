import { describeRun, qualitySummaryCommand } from '../../../cli/commands/quality';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { runQualityCheck } from '../../../lambdas/quality-monitor/check';
import {
  HOUR_MS,
  MODEL,
  NOW,
  postOutcomes,
  promoteNewVersion,
  qualityModel,
  recorders,
  traffic,
  writePredictions,
} from '../../lambdas/quality-monitor/fixtures';

const DAY_MS = 24 * HOUR_MS;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** A monitoring zone after one real quality check of 120 predictions, all with outcomes. */
async function checked(skill: number) {
  const artifacts = new MemoryObjectStore('artifacts');
  const monitoring = new MemoryObjectStore('monitoring');
  await promoteNewVersion(artifacts, ago(7 * DAY_MS));
  const scored = traffic({ version: 1, count: 120, from: ago(2 * DAY_MS), to: ago(3 * HOUR_MS), skill, seed: 21 });
  await writePredictions(monitoring, scored.predictions);
  await postOutcomes(monitoring, [...scored.outcomes.entries()], ago(2 * HOUR_MS));
  const summary = await runQualityCheck(
    { trigger: 'schedule', at: NOW, force: false },
    {
      model: qualityModel(),
      artifacts,
      monitoring,
      raw: new MemoryObjectStore('raw'),
      joinSettleSeconds: 60,
      ...recorders().ports,
    },
  );
  return { monitoring, summary };
}

describe('mlops quality <model>', () => {
  it('prints version, labeled, auc, coverage and delay of the latest report, and the same as small JSON', async () => {
    // given
    const { monitoring, summary } = await checked(1);
    // when
    const result = await qualitySummaryCommand(monitoring, MODEL);
    // then
    expect(Object.keys(result.json).sort()).toEqual(
      [
        'alerted',
        'auc',
        'coverage',
        'generatedAt',
        'html',
        'labelDelaySeconds',
        'labeled',
        'model',
        'report',
        'retrain',
        'rollback',
        'status',
        'version',
        'window',
      ].sort(),
    );
    expect(result.json).toMatchObject({ model: 'churn', version: 1, status: 'ok', labeled: 120, coverage: 1 });
    expect(result.json.auc).toBe(summary.auc);
    const lines = result.text.split('\n');
    expect(lines[0]).toMatch(/^churn v1: ok; auc 0\.\d+ on 120 labeled predictions of 2026-11-22T12:00:00.000Z to /);
    expect(lines[1]).toMatch(/^ {2}coverage 100\.0%, label delay p50 \d+\.\d h$/);
    expect(lines[3]).toBe('  report: s3://monitoring/quality/churn/20261129T120000Z/report.html');
  });

  it('says how to get a report when the model has none yet', async () => {
    await expect(qualitySummaryCommand(new MemoryObjectStore('monitoring'), MODEL)).rejects.toThrow(
      /no quality report for churn yet .*run 'mlops quality run churn'/,
    );
  });
});

describe('mlops quality run <model>', () => {
  it("describes the monitor's summary: the verdict, the join, every reason and each action", async () => {
    const { summary } = await checked(0);
    const text = describeRun(summary as unknown as Record<string, unknown>);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^churn v1: degraded; auc 0\.\d+ on 120 labeled predictions$/);
    expect(lines[1]).toBe('  join: joined (120 joined, 0 duplicates, 0 waiting for their prediction)');
    expect(lines[2]).toMatch(/^ {2}- live auc .* > quality\.maxAucDrop 0\.05 \+ sampling noise 0\.\d+$/);
    expect(lines[3]).toBe('  alert sent: yes; retrain: started; rollback: not-needed');
  });

  it('says auc n/a, not rmse, for a binary model whose outcomes cannot give an AUC yet', async () => {
    const { summary } = await checked(0);
    const early = { ...summary, status: 'not-enough-labels', labeled: 1, auc: null, rmse: null, reasons: [] };
    expect(describeRun(early as unknown as Record<string, unknown>).split('\n')[0]).toBe(
      'churn v1: not-enough-labels; auc n/a on 1 labeled predictions',
    );
  });
});
