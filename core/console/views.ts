import type { RunRecord } from '../runs/run-record';

/**
 * The console's view models: pure shaping of registry, run and monitor records into what a page
 * shows. No I/O here (console-data.ts reads the stores), so each rule is unit-tested on its own.
 */

/** A page of a newest-first list and the cursor of the next (older) page; null on the last one. */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

/** An alias-history key's sequence and time, from the key alone (core/registry/keys.ts aliasHistoryKey). */
export interface AliasHistoryKey {
  readonly key: string;
  readonly sequence: number;
  readonly movedAt: string;
}

export function parseAliasHistoryKey(key: string): AliasHistoryKey | null {
  const match = /\/(\d{10})-(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z\.json$/.exec(key);
  if (!match) return null;
  const [, sequence, day, hours, minutes, seconds, millis = '000'] = match;
  return { key, sequence: Number(sequence), movedAt: `${day}T${hours}:${minutes}:${seconds}.${millis}Z` };
}

/**
 * "What was production at time T": the last move at or before T, found from the keys alone, so
 * only that one record is read. Null when the alias had not been set yet at T.
 */
export function moveInForceAt(keys: readonly AliasHistoryKey[], at: Date): AliasHistoryKey | null {
  let found: AliasHistoryKey | null = null;
  for (const key of keys) {
    if (Date.parse(key.movedAt) > at.getTime()) continue;
    if (!found || key.sequence > found.sequence) found = key;
  }
  return found;
}

/** One page of alias moves, newest first: those with a sequence below `before`. */
export function historyPage(
  keys: readonly AliasHistoryKey[],
  options: { size: number; before?: number },
): Page<AliasHistoryKey> {
  const sorted = [...keys].sort((a, b) => b.sequence - a.sequence);
  const older = options.before === undefined ? sorted : sorted.filter((key) => key.sequence < options.before!);
  const items = older.slice(0, options.size);
  return { items, next: older.length > options.size ? String(items.at(-1)!.sequence) : null };
}

export interface TimelineStep {
  readonly step: string;
  readonly startedAt: string;
  /** Milliseconds from the run's first step to this one's start. */
  readonly offsetMs: number;
  readonly durationMs: number | null;
}

/** The run's steps in the order they started, each placed on one time axis for the step timeline. */
export function runTimeline(record: Pick<RunRecord, 'timings' | 'startedAt'>): TimelineStep[] {
  const steps = Object.entries(record.timings)
    .map(([step, timing]) => ({ step, ...timing }))
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const origin = Math.min(Date.parse(record.startedAt), ...steps.map((step) => Date.parse(step.startedAt)));
  return steps.map((step) => ({
    step: step.step,
    startedAt: step.startedAt,
    offsetMs: Date.parse(step.startedAt) - origin,
    durationMs:
      step.durationMs ?? (step.endedAt ? Math.max(0, Date.parse(step.endedAt) - Date.parse(step.startedAt)) : null),
  }));
}

/** What the runs list shows of a run: enough to scan, the page of one run has the rest. */
export interface RunSummary {
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly trigger: string;
  readonly outcome: string;
  readonly registeredVersion: number | null;
  readonly gate: { decision: string; metric: string; candidate: number; champion: number | null } | null;
  readonly failure: { step: string; reason: string } | null;
  /** Schema changes in one line: "+new_col -gone_col col:int->string". */
  readonly schemaChanges: string | null;
  readonly durationMs: number | null;
}

export function summarizeRun(record: RunRecord): RunSummary {
  const changes = record.schemaChanges;
  const parts = changes
    ? [
        ...changes.newColumns.map((column) => `+${column.name}`),
        ...changes.missingColumns.map((name) => `-${name}`),
        ...changes.typeChanges.map((change) => `${change.name}:${change.from}->${change.to}`),
      ]
    : [];
  return {
    runId: record.runId,
    startedAt: record.startedAt,
    endedAt: record.endedAt ?? null,
    trigger: record.trigger.kind,
    outcome: record.outcome,
    registeredVersion: record.registeredVersion,
    gate: record.gate
      ? {
          decision: record.gate.decision,
          metric: record.gate.metric,
          candidate: record.gate.candidate,
          champion: record.gate.champion,
        }
      : null,
    failure: record.failure ?? null,
    schemaChanges: parts.length ? parts.join(' ') : null,
    durationMs: record.endedAt ? Date.parse(record.endedAt) - Date.parse(record.startedAt) : null,
  };
}

/** A drift report reduced to what the trend needs: its time and each tested column's score. */
export interface DriftPoint {
  readonly reportId: string;
  readonly generatedAt: string;
  readonly driftShare: number;
  readonly columns: ReadonlyArray<{ name: string; score: number | null; drift: boolean; test: string }>;
}

export interface DriftTrend {
  /** Report times, oldest first (seconds since the epoch, as the chart's x axis). */
  readonly times: number[];
  readonly driftShare: number[];
  /** Per column, one score per report (null where the column had no verdict or was absent). */
  readonly columns: ReadonlyArray<{ name: string; test: string; scores: Array<number | null>; drifted: number }>;
}

/** Per-column drift scores over time from reports in any order; columns keep their first-seen order. */
export function driftTrend(points: readonly DriftPoint[]): DriftTrend {
  const ordered = [...points].sort((a, b) => Date.parse(a.generatedAt) - Date.parse(b.generatedAt));
  const columns = new Map<string, { test: string; scores: Array<number | null>; drifted: number }>();
  ordered.forEach((point, index) => {
    for (const column of point.columns) {
      let series = columns.get(column.name);
      if (!series) {
        series = { test: column.test, scores: new Array<number | null>(ordered.length).fill(null), drifted: 0 };
        columns.set(column.name, series);
      }
      series.scores[index] = column.score;
      if (column.drift) series.drifted += 1;
    }
  });
  return {
    times: ordered.map((point) => Date.parse(point.generatedAt) / 1000),
    driftShare: ordered.map((point) => point.driftShare),
    columns: [...columns].map(([name, series]) => ({ name, ...series })),
  };
}

/** How long ago the newest upload arrived, in words a status column can hold. */
export function freshness(newest: Date | null, now: Date): { at: string | null; ageHours: number | null } {
  if (!newest) return { at: null, ageHours: null };
  return { at: newest.toISOString(), ageHours: Math.max(0, (now.getTime() - newest.getTime()) / 3_600_000) };
}
