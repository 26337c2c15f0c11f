import { serializeArtifact } from '../../../core/artifact/format';
import { defaultsFor } from '../../../core/config/parse';
import type { ModelConfig, ModelInput } from '../../../core/config/schema';
import type { Cell, DataTable } from '../../../core/data/table';
import { generateChurn } from '../../../core/datasets/churn';
import { summarizeSchema } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import type { ObjectStore } from '../../../core/storage/object-store';
import { trainModel } from '../../../core/train/train';
import { captureKey } from '../../../core/workflow/layout';
import type { DriftAlert } from '../../../lambdas/drift-monitor/alert';
import type { DriftMetric } from '../../../lambdas/drift-monitor/metrics';
import type { CaptureRecord } from '../../../lambdas/inference/capture';
import { type MonitorRecorders, monitorRecorders } from '../../support/monitor-ports';

export const MODEL = 'churn';
/** The end of every test window: a scheduled run at noon. */
export const NOW = new Date('2026-11-29T12:00:00.000Z');
export const HOUR_MS = 3_600_000;
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:churn-retraining';

/** The churn model as a user configures it (linear: it trains in a fraction of a second). */
export function driftModel(overrides: Partial<ModelInput> = {}): ModelConfig {
  return defaultsFor({ name: MODEL, target: 'churned', positiveLabel: 'yes', learner: 'linear', ...overrides });
}

let artifactText: string | undefined;

/** A real model trained by the core on 2,000 rows of churn batch v1; its profile is the drift reference. */
export function referenceArtifact(): string {
  artifactText ??= serializeArtifact(
    trainModel(generateChurn({ rows: 2000, seed: 1, batch: 'v1' }), {
      target: 'churned',
      positiveLabel: 'yes',
      learner: 'linear',
      dataSha256: 'a'.repeat(64),
      createdAt: '2026-11-28T00:00:00.000Z',
    }),
  );
  return artifactText;
}

/** Registers the reference model and makes it production, as the retraining workflow would. */
export async function publishProduction(artifacts: ObjectStore): Promise<number> {
  const registry = new ModelRegistry({ store: artifacts });
  const text = referenceArtifact();
  const artifact = JSON.parse(text);
  const version = await registry.register({
    model: MODEL,
    artifact: text,
    approval: 'approved',
    lineage: {
      runId: 'run-1',
      dataSha256: 'a'.repeat(64),
      dataKey: `${MODEL}/v1.csv`,
      codeVersion: 'test',
      parameters: {},
      metrics: {},
      schema: summarizeSchema(artifact.schema),
    },
  });
  await registry.promote(MODEL, version.version);
  return version.version;
}

/** Inference requests as clients send them: the batch's rows without the label. */
export function trafficRows(batch: 'v1' | 'v2', rows: number, seed: number): Record<string, Cell>[] {
  const table: DataTable = generateChurn({ rows, seed, batch });
  return Array.from({ length: table.rowCount }, (_, row) => {
    const record: Record<string, Cell> = {};
    table.columnNames.forEach((name, column) => {
      if (name !== 'churned') record[name] = table.columns[column]![row]!;
    });
    return record;
  });
}

export interface CaptureLayout {
  /** The requests are spread evenly over the `hours` before `end`. */
  readonly end: Date;
  readonly hours: number;
  /** @default 10 */
  readonly rowsPerRequest?: number;
}

/**
 * Writes the rows as the inference function's capture does: one JSON line per request, one
 * object per hour partition (capture/<model>/dt=.../hour=HH/<id>.jsonl).
 */
export async function writeCaptures(
  store: ObjectStore,
  rows: Record<string, Cell>[],
  layout: CaptureLayout,
): Promise<string[]> {
  const perRequest = layout.rowsPerRequest ?? 10;
  const requests = Math.ceil(rows.length / perRequest);
  const span = layout.hours * HOUR_MS;
  const byKey = new Map<string, CaptureRecord[]>();
  for (let index = 0; index < requests; index++) {
    // Strictly inside the window: the first request a little after its start, the last before its end.
    const time = new Date(layout.end.getTime() - span + ((index + 0.5) * span) / requests);
    const record: CaptureRecord = {
      requestId: `req-${index}`,
      time: time.toISOString(),
      model: MODEL,
      version: 1,
      instances: rows.slice(index * perRequest, (index + 1) * perRequest),
      predictions: [],
      warnings: [],
    };
    const key = captureKey(MODEL, time, `${time.toISOString().slice(0, 13).replace(/[-:T]/g, '')}-test-000000`);
    const group = byKey.get(key);
    if (group) group.push(record);
    else byKey.set(key, [record]);
  }
  for (const [key, records] of byKey) {
    await store.put(key, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
  }
  return [...byKey.keys()];
}

/** Ports that record what the check asked of SNS, Step Functions and CloudWatch. */
export type Recorders = MonitorRecorders<DriftAlert, DriftMetric>;

export const recorders = (options: { failStart?: () => boolean } = {}): Recorders =>
  monitorRecorders<DriftAlert, DriftMetric>(options);
