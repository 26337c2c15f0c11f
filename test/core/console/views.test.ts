import {
  driftTrend,
  freshness,
  historyPage,
  moveInForceAt,
  parseAliasHistoryKey,
  runTimeline,
  summarizeRun,
} from '../../../core/console/views';
import { aliasHistoryKey } from '../../../core/registry/keys';
import type { RunRecord } from '../../../core/runs/run-record';

const historyKey = (sequence: number, movedAt: string) =>
  parseAliasHistoryKey(aliasHistoryKey('churn', 'production', sequence, movedAt))!;

describe('alias history keys', () => {
  it('reads the sequence and the time back from the key the registry writes', () => {
    expect(historyKey(12, '2026-03-04T05:06:07.089Z')).toMatchObject({
      sequence: 12,
      movedAt: '2026-03-04T05:06:07.089Z',
    });
    expect(parseAliasHistoryKey('registry/churn/aliases/production.json')).toBeNull();
  });

  it('finds the move in force at a time from the keys alone', () => {
    // given three moves
    const keys = [
      historyKey(1, '2026-01-01T00:00:00.000Z'),
      historyKey(2, '2026-01-02T00:00:00.000Z'),
      historyKey(3, '2026-01-03T00:00:00.000Z'),
    ];
    // then the last move at or before each time is in force
    expect(moveInForceAt(keys, new Date('2025-12-31T00:00:00Z'))).toBeNull();
    expect(moveInForceAt(keys, new Date('2026-01-02T00:00:00Z'))?.sequence).toBe(2);
    expect(moveInForceAt(keys, new Date('2026-01-02T23:59:59Z'))?.sequence).toBe(2);
    expect(moveInForceAt(keys, new Date('2027-01-01T00:00:00Z'))?.sequence).toBe(3);
  });

  it('pages moves newest first', () => {
    const keys = [1, 2, 3, 4, 5].map((n) => historyKey(n, `2026-01-0${n}T00:00:00.000Z`));
    const first = historyPage(keys, { size: 2 });
    expect(first.items.map((k) => k.sequence)).toEqual([5, 4]);
    const last = historyPage(keys, { size: 3, before: Number(first.next) });
    expect(last.items.map((k) => k.sequence)).toEqual([3, 2, 1]);
    expect(last.next).toBeNull();
  });
});

const record: RunRecord = {
  runId: 'run-1',
  model: 'churn',
  trigger: { kind: 'upload', objects: ['churn/a.csv'] },
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:01:40.000Z',
  parameters: {},
  metrics: {},
  registeredVersion: null,
  timings: {
    train: { startedAt: '2026-01-01T00:00:10.000Z', endedAt: '2026-01-01T00:01:30.000Z', durationMs: 80_000 },
    validate: { startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:10.000Z' },
    evaluate: { startedAt: '2026-01-01T00:01:30.000Z' },
  },
  schemaChanges: {
    newColumns: [{ name: 'video_minutes', presentShare: 1 }],
    missingColumns: ['fax'],
    typeChanges: [{ name: 'zip', from: 'numeric', to: 'categorical' }],
  },
  gate: {
    metric: 'auc',
    candidate: 0.81,
    champion: 0.84,
    championVersion: 3,
    requiredGain: 0.005,
    decision: 'reject',
    reason: 'no gain',
  },
  outcome: 'rejected',
};

describe('runs', () => {
  it('orders steps by start and places them on one axis, durations from the timings or their ends', () => {
    expect(runTimeline(record)).toEqual([
      { step: 'validate', startedAt: '2026-01-01T00:00:00.000Z', offsetMs: 0, durationMs: 10_000 },
      { step: 'train', startedAt: '2026-01-01T00:00:10.000Z', offsetMs: 10_000, durationMs: 80_000 },
      { step: 'evaluate', startedAt: '2026-01-01T00:01:30.000Z', offsetMs: 90_000, durationMs: null },
    ]);
  });

  it('summarizes a run with its gate scores and schema changes in one line', () => {
    expect(summarizeRun(record)).toMatchObject({
      trigger: 'upload',
      outcome: 'rejected',
      gate: { decision: 'reject', metric: 'auc', candidate: 0.81, champion: 0.84 },
      schemaChanges: '+video_minutes -fax zip:numeric->categorical',
      durationMs: 100_000,
      failure: null,
    });
  });
});

describe('drift trend', () => {
  it('aligns each column on the report times, oldest first, with gaps where a column was absent', () => {
    // given two reports out of order, the newer without column b
    const trend = driftTrend([
      {
        reportId: 'r2',
        generatedAt: '2026-01-02T00:00:00Z',
        driftShare: 0.5,
        columns: [{ name: 'a', score: 0.01, drift: true, test: 'ks' }],
      },
      {
        reportId: 'r1',
        generatedAt: '2026-01-01T00:00:00Z',
        driftShare: 0,
        columns: [
          { name: 'a', score: 0.4, drift: false, test: 'ks' },
          { name: 'b', score: 0.02, drift: false, test: 'jensenshannon' },
        ],
      },
    ]);
    // then
    expect(trend.times).toEqual([Date.parse('2026-01-01T00:00:00Z') / 1000, Date.parse('2026-01-02T00:00:00Z') / 1000]);
    expect(trend.driftShare).toEqual([0, 0.5]);
    expect(trend.columns).toEqual([
      { name: 'a', test: 'ks', scores: [0.4, 0.01], drifted: 1 },
      { name: 'b', test: 'jensenshannon', scores: [0.02, null], drifted: 0 },
    ]);
  });
});

describe('freshness', () => {
  it('gives the newest upload time and its age in hours', () => {
    expect(freshness(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T06:00:00Z'))).toEqual({
      at: '2026-01-01T00:00:00.000Z',
      ageHours: 6,
    });
    expect(freshness(null, new Date())).toEqual({ at: null, ageHours: null });
  });
});
