import { defaultsFor } from '../../../core/config/parse';
import type { ModelConfig, ModelInput } from '../../../core/config/schema';
import { createRandom } from '../../../core/datasets/random';
import { toJsonLines } from '../../../core/ground-truth/join';
import { actualsBatchKey, feedbackUploadPrefix, predictionBatchKey } from '../../../core/ground-truth/layout';
import { newPredictionId, type PredictionRecord } from '../../../core/ground-truth/records';
import { summarizeSchema } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import type { ObjectStore } from '../../../core/storage/object-store';
import type { QualityAlert } from '../../../lambdas/quality-monitor/alert';
import type { QualityMetric } from '../../../lambdas/quality-monitor/metrics';
import { type MonitorRecorders, monitorRecorders } from '../../support/monitor-ports';
import { MODEL, referenceArtifact } from '../drift-monitor/fixtures';

export { MODEL };
/** The end of every test window: a scheduled run at noon. */
export const NOW = new Date('2026-11-29T12:00:00.000Z');
export const HOUR_MS = 3_600_000;

/** The churn model with a small minLabeled, so tests stay small. */
export function qualityModel(quality: ModelInput['quality'] = {}): ModelConfig {
  return defaultsFor({
    name: MODEL,
    target: 'churned',
    positiveLabel: 'yes',
    learner: 'linear',
    quality: { minLabeled: 50, ...quality },
  });
}

/** Registers the reference model as version n and points production at it, as the workflow would. */
export async function promoteNewVersion(artifacts: ObjectStore, at: Date): Promise<number> {
  const registry = new ModelRegistry({ store: artifacts, clock: () => at });
  const text = referenceArtifact();
  const artifact = JSON.parse(text);
  const { version } = await registry.register({
    model: MODEL,
    artifact: text,
    approval: 'approved',
    lineage: {
      runId: `run-${at.getTime()}`,
      dataSha256: 'a'.repeat(64),
      dataKey: `${MODEL}/v1.csv`,
      codeVersion: 'test',
      parameters: {},
      metrics: artifact.metrics.validation,
      schema: summarizeSchema(artifact.schema),
    },
  });
  await registry.promote(MODEL, version);
  return version;
}

/** The validation AUC the reference artifact carries: what the drop check compares with. */
export function validationAuc(): number {
  return JSON.parse(referenceArtifact()).metrics.validation.auc;
}

let idCounter = 0;
function id(at: Date): string {
  const randomness = new Uint8Array(10);
  new DataView(randomness.buffer).setUint32(6, ++idCounter);
  return newPredictionId(at, randomness);
}

export interface Traffic {
  readonly predictions: PredictionRecord[];
  /** The outcome of each prediction, as a caller reports it. */
  readonly outcomes: Map<string, 'yes' | 'no'>;
}

/**
 * `count` predictions of `version` spread evenly over [from, to). `skill` 1: the outcome follows
 * the score (a good model); 0: the outcome is a coin flip whatever the score (a useless one).
 */
export function traffic(options: {
  version: number;
  count: number;
  from: Date;
  to: Date;
  skill: number;
  seed: number;
}): Traffic {
  const random = createRandom(options.seed);
  const span = options.to.getTime() - options.from.getTime();
  const predictions: PredictionRecord[] = [];
  const outcomes = new Map<string, 'yes' | 'no'>();
  for (let i = 0; i < options.count; i++) {
    const time = new Date(options.from.getTime() + ((i + 0.5) * span) / options.count);
    const score = random.next();
    const informed = 1 / (1 + Math.exp(-12 * (score - 0.5)));
    const positive = random.next() < options.skill ? random.next() < informed : random.next() < 0.3;
    const prediction: PredictionRecord = {
      id: id(time),
      model: MODEL,
      version: options.version,
      time: time.toISOString(),
      score,
      label: score >= 0.5 ? 'yes' : 'no',
    };
    predictions.push(prediction);
    outcomes.set(prediction.id, positive ? 'yes' : 'no');
  }
  return { predictions, outcomes };
}

/** Prediction batches as the scorers write them: one per hour of predictions, named when the hour ends. */
export async function writePredictions(
  monitoring: ObjectStore,
  predictions: readonly PredictionRecord[],
): Promise<void> {
  const byHour = new Map<number, PredictionRecord[]>();
  for (const prediction of predictions) {
    const hour = Math.floor(Date.parse(prediction.time) / HOUR_MS);
    byHour.set(hour, [...(byHour.get(hour) ?? []), prediction]);
  }
  for (const [hour, records] of byHour) {
    await monitoring.put(predictionBatchKey(MODEL, id(new Date((hour + 1) * HOUR_MS - 1000))), toJsonLines(records));
  }
}

/** Outcomes posted to /feedback: one batch, received at `receivedAt`. */
export async function postOutcomes(
  monitoring: ObjectStore,
  outcomes: ReadonlyArray<[string, string]>,
  receivedAt: Date,
): Promise<void> {
  const records = outcomes.map(([predictionId, label]) => ({
    id: predictionId,
    label,
    receivedAt: receivedAt.toISOString(),
  }));
  await monitoring.put(actualsBatchKey(MODEL, id(receivedAt)), toJsonLines(records));
}

/** An uploaded CSV of outcomes under feedback/<model>/ in the raw zone. */
export async function uploadOutcomes(
  raw: ObjectStore,
  name: string,
  outcomes: ReadonlyArray<[string, string]>,
): Promise<void> {
  const lines = ['id,label', ...outcomes.map(([predictionId, label]) => `${predictionId},${label}`)];
  await raw.put(`${feedbackUploadPrefix(MODEL)}${name}`, `${lines.join('\n')}\n`);
}

export type Recorders = MonitorRecorders<QualityAlert, QualityMetric>;

export const recorders = (): Recorders => monitorRecorders<QualityAlert, QualityMetric>();
