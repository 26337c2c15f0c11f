import { runTrainer } from '../../../containers/trainer/trainer';
import { defaultsFor } from '../../../core/config/parse';
import type { ModelConfig, ModelInput } from '../../../core/config/schema';
import { churnCsv } from '../../../core/datasets/churn';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import type { ExecutionInput, ValidationResult } from '../../../core/workflow/contract';
import { TRAINER_ENV } from '../../../core/workflow/contract';
import { candidateArtifactKey } from '../../../core/workflow/layout';
import { validateStep } from '../../../lambdas/validate-data/validate';

export const MODEL = 'churn';
export const BUCKETS = { raw: 'raw', curated: 'curated', artifacts: 'artifacts' } as const;

/** The churn model as a user configures it; linear only, so training takes milliseconds. */
export function churnModel(overrides: Partial<ModelInput> = {}): ModelConfig {
  return defaultsFor({ name: MODEL, target: 'churned', positiveLabel: 'yes', learner: 'linear', ...overrides });
}

export function churnData(rows = 600, seed = 11, batch: 'v1' | 'v2' = 'v1'): string {
  return churnCsv({ rows, seed, batch });
}

export function uploadInput(dataKey: string): ExecutionInput {
  return { model: MODEL, trigger: { kind: 'upload', objects: [dataKey], reason: '1 upload(s) under churn/' }, dataKey };
}

export interface Zones {
  readonly raw: ObjectStore;
  readonly curated: ObjectStore;
  readonly artifacts: ObjectStore;
}

export function memoryZones(clock?: () => Date): Zones {
  return {
    raw: new MemoryObjectStore(BUCKETS.raw, clock),
    curated: new MemoryObjectStore(BUCKETS.curated, clock),
    artifacts: new MemoryObjectStore(BUCKETS.artifacts, clock),
  };
}

/** A clock that advances one second per reading. */
export function steppingClock(start = Date.parse('2026-11-29T10:00:00Z')): () => Date {
  let now = start;
  return () => {
    const current = new Date(now);
    now += 1000;
    return current;
  };
}

/** Run ids in order: run-1, run-2, ... */
export function sequentialRunIds(): (now: Date) => string {
  let next = 0;
  return () => `run-${++next}`;
}

/**
 * Trains as the Batch job would: the trainer container's entry with the environment the state
 * machine and the job definition give it, reading the snapshot and writing the run's outputs.
 */
export async function trainAsContainer(
  zones: Zones,
  validation: ValidationResult,
  params: Record<string, unknown> = { learner: 'linear' },
  target: { readonly name: string; readonly positiveLabel?: string } = { name: 'churned', positiveLabel: 'yes' },
): Promise<{ exitCode: number; log: string[] }> {
  const log: string[] = [];
  const candidate = candidateArtifactKey(validation.model, validation.runId);
  const env = {
    [TRAINER_ENV.model]: validation.model,
    [TRAINER_ENV.runId]: validation.runId,
    [TRAINER_ENV.input]: `s3://${zones.curated.bucket}/${validation.snapshotKey}`,
    [TRAINER_ENV.output]: `s3://${zones.artifacts.bucket}/${candidate.slice(0, candidate.lastIndexOf('/') + 1)}`,
    [TRAINER_ENV.target]: target.name,
    ...(target.positiveLabel === undefined ? {} : { [TRAINER_ENV.positiveLabel]: target.positiveLabel }),
    [TRAINER_ENV.params]: JSON.stringify(params),
  };
  const byBucket = new Map([zones.raw, zones.curated, zones.artifacts].map((store) => [store.bucket, store]));
  const exitCode = await runTrainer(env, {
    store: (bucket) => {
      const store = byBucket.get(bucket);
      if (!store) throw new Error(`test trainer has no bucket ${bucket}`);
      return store;
    },
    log: (line) => log.push(line),
  });
  return { exitCode, log };
}

export interface StepDeps extends Zones {
  readonly model: ModelConfig;
  readonly clock: () => Date;
  readonly newRunId: (now: Date) => string;
}

export function memoryStepDeps(model = churnModel()): StepDeps {
  return { model, ...memoryZones(), clock: steppingClock(), newRunId: sequentialRunIds() };
}

/** Feature sets that make candidates of known strength on the churn data (linear learner). */
export const WEAK_FEATURES = ['support_contacts', 'plan'];
export const STRONG_FEATURES = ['days_since_last_login', 'tenure_months'];
export const USELESS_FEATURES = ['region'];

/** Uploads data, validates it and trains a candidate on it, as the state machine's first two steps do. */
export async function validateAndTrain(
  deps: StepDeps,
  dataKey: string,
  csv: string,
  features?: readonly string[],
): Promise<ValidationResult> {
  await deps.raw.put(dataKey, csv);
  const validation = await validateStep(uploadInput(dataKey), deps);
  const trained = await trainAsContainer(
    deps,
    validation,
    { learner: 'linear', ...(features ? { features } : {}) },
    { name: deps.model.target, positiveLabel: deps.model.positiveLabel },
  );
  if (trained.exitCode !== 0) throw new Error(`trainer exited ${trained.exitCode}: ${trained.log.join('\n')}`);
  return validation;
}
