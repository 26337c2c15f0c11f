import { createRandom } from '../../../core/datasets/random';
import { computeQuality, type QualityTarget } from '../../../core/ground-truth/quality';
import type { JoinedRow } from '../../../core/ground-truth/records';
import { type QualityReport, qualityOverTime } from '../../../core/ground-truth/report';

export const END = new Date('2026-11-29T12:00:00.000Z');
export const START = new Date(END.getTime() - 7 * 24 * 3_600_000);
export const EVIL = '<script>alert(1)</script>';
const TARGET: QualityTarget = { task: 'binary', positiveLabel: 'yes', negativeLabel: 'no' };
export const WEEK_TARGET = TARGET;

/** A week of joined rows: version 1 for four days (good), then version 2 (worse). */
export function weekOfRows(): JoinedRow[] {
  const random = createRandom(5);
  const rows: JoinedRow[] = [];
  for (let i = 0; i < 1400; i++) {
    const time = new Date(START.getTime() + (i + 0.5) * ((END.getTime() - START.getTime()) / 1400));
    const version = i < 800 ? 1 : 2;
    const score = random.next();
    const informed = 1 / (1 + Math.exp(-(version === 1 ? 10 : 2) * (score - 0.5)));
    rows.push({
      id: `p${i}`,
      version,
      time: time.toISOString(),
      score,
      actual: random.next() < informed ? 'yes' : 'no',
      receivedAt: new Date(time.getTime() + 3 * 3_600_000).toISOString(),
    });
  }
  return rows;
}

export function weekReport(rows: JoinedRow[] = weekOfRows()): QualityReport {
  const versions = computeQuality(rows, { target: TARGET });
  return {
    format: 'mlops-quality-report',
    formatVersion: 1,
    model: 'churn',
    generatedAt: END.toISOString(),
    trigger: 'schedule',
    task: 'binary',
    status: 'regressed',
    window: { start: START.toISOString(), end: END.toISOString(), hours: 168 },
    production: {
      version: 2,
      validationMetric: 0.84,
      movedBy: 'promote',
      movedAt: rows[800]!.time,
      previousVersion: 1,
    },
    versions,
    overTime: qualityOverTime(rows, { target: TARGET, start: START, end: END, bucketHours: 24 }),
    decisions: [
      { check: 'min-labeled', breached: false, metric: 'labeled', value: 600, limit: 200, message: 'enough' },
      { check: 'regression', breached: true, metric: 'auc', value: 0.6, limit: 0.9, message: `worse ${EVIL}` },
    ],
    actions: { alerted: true, retrain: { status: 'not-needed' }, rollback: { status: 'disabled' } },
    join: { status: 'joined', runId: 'run-1', counts: { joined: 1400, duplicates: 3 }, pending: 2 },
    rows: { joined: rows.length, superseded: 0, badLines: 0 },
    notes: [`an upload named ${EVIL}.csv was rejected`],
  };
}
