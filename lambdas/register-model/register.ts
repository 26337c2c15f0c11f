import * as z from 'zod';
import { type ModelArtifact, parseArtifact } from '../../core/artifact/format';
import { artifactMetrics, artifactParameters } from '../../core/artifact/registry-fields';
import type { ModelConfig } from '../../core/config/schema';
import type { EventSink, RegistryEvent } from '../../core/registry/events';
import { type ModelVersion, PRODUCTION_ALIAS, summarizeSchema } from '../../core/registry/records';
import { ModelRegistry, RegistryError } from '../../core/registry/registry';
import { stepTiming, updateRunRecord } from '../../core/runs/run-record';
import type { ObjectStore } from '../../core/storage/object-store';
import {
  evaluationResultSchema,
  type RegistrationOutcome,
  type RegistrationResult,
  trainingOutputSchema,
  validationResultSchema,
} from '../../core/workflow/contract';
import { candidateArtifactKey } from '../../core/workflow/layout';
import { assertSameModel, MissingObjectError, StepInputError } from '../shared/step-errors';

/** The register step reads the state after the gate: `$.validation`, `$.training` (imported or not) and `$.evaluation`. */
export const registerInputSchema = z.object({
  model: z.string(),
  validation: validationResultSchema,
  training: trainingOutputSchema.optional(),
  evaluation: evaluationResultSchema,
});
export type RegisterInput = z.infer<typeof registerInputSchema>;

/** Who the registry records as the actor of the workflow's registrations and promotions. */
export const WORKFLOW_ACTOR = 'retraining-workflow';

export interface RegisterDeps {
  readonly model: ModelConfig;
  /** The registry and the run records. */
  readonly artifacts: ObjectStore;
  /** @default - events are dropped */
  readonly events?: EventSink;
  /** @default - the system clock */
  readonly clock?: () => Date;
}

/**
 * Registers the candidate as a new immutable version with full lineage, and moves `production`
 * to it only when the gate said promote. A rejected candidate stays registered with approval
 * `pending` and no alias, so `mlops promote` can still put it in service by hand.
 *
 * The promotion is a compare-and-swap on the champion the gate compared against: if production
 * moved since (another run, a rollback, a promotion by hand), the candidate was never compared
 * with the version now serving, so it is not promoted and the run is recorded as superseded.
 *
 * Idempotent by run id, so the state machine retries it: a retry finds the version this run
 * registered (lineage.runId) and its promotion in the alias history (runId), and only completes
 * what is missing (the promotion, the run record).
 */
export async function registerStep(input: RegisterInput, deps: RegisterDeps): Promise<RegistrationResult> {
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock();
  const { model } = deps;
  const { validation, evaluation } = input;
  const { runId } = validation;
  assertSameModel(input.model, model.name, 'register-model');
  const expectedKey = candidateArtifactKey(model.name, runId);
  if (evaluation.candidateArtifactKey !== expectedKey) {
    throw new StepInputError(
      `evaluation.candidateArtifactKey ${evaluation.candidateArtifactKey} is not run ${runId}'s candidate (${expectedKey})`,
    );
  }
  const registry = new ModelRegistry({ store: deps.artifacts, events: deps.events, clock });

  const version =
    (await versionOfRun(registry, model.name, runId)) ??
    (await registerCandidate(registry, deps.artifacts, input, evaluation.decision === 'promote'));

  const { outcome, note } = await promoteIfGated(registry, input, version.version);
  const productionVersion = (await registry.resolveAlias(model.name, PRODUCTION_ALIAS))?.version ?? null;

  await updateRunRecord(deps.artifacts, model.name, runId, {
    registeredVersion: version.version,
    promoted: outcome === 'promoted',
    outcome: outcome === 'promoted' ? 'succeeded' : outcome,
    endedAt: clock().toISOString(),
    ...(note
      ? {
          gate: {
            metric: evaluation.metric,
            candidate: evaluation.candidateScore,
            champion: evaluation.championScore,
            championVersion: evaluation.championVersion,
            requiredGain: evaluation.requiredGain,
            decision: evaluation.decision,
            reason: `${evaluation.reason}; not promoted: ${note}`,
          },
        }
      : {}),
    timings: { register: stepTiming(startedAt, clock()) },
  });
  return { version: version.version, promoted: outcome === 'promoted', productionVersion, outcome };
}

/** The gate's decision carried out, once: a retry finds this run's earlier promotion in the alias history. */
async function promoteIfGated(
  registry: ModelRegistry,
  input: RegisterInput,
  version: number,
): Promise<{ outcome: RegistrationOutcome; note?: string }> {
  const { validation, evaluation, model } = input;
  const history = await registry.aliasHistory(model, PRODUCTION_ALIAS);
  const promotedEarlier = history.some(
    (entry) => entry.kind === 'promote' && entry.runId === validation.runId && entry.version === version,
  );
  if (promotedEarlier) return { outcome: 'promoted' };
  if (evaluation.decision !== 'promote') return { outcome: 'rejected' };
  try {
    await registry.promote(model, version, PRODUCTION_ALIAS, {
      expectedVersion: evaluation.championVersion,
      runId: validation.runId,
      reason: `run ${validation.runId}: ${evaluation.reason}`,
      actor: WORKFLOW_ACTOR,
    });
    return { outcome: 'promoted' };
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    if (error.code === 'superseded') return { outcome: 'superseded', note: error.message };
    if (error.code === 'version-rejected') return { outcome: 'rejected', note: error.message };
    throw error;
  }
}

/** The version a previous attempt of this run registered, if any. */
async function versionOfRun(registry: ModelRegistry, model: string, runId: string): Promise<ModelVersion | null> {
  const versions = await registry.listVersions(model);
  return versions.find((version) => version.lineage.runId === runId) ?? null;
}

async function registerCandidate(
  registry: ModelRegistry,
  artifacts: ObjectStore,
  input: RegisterInput,
  gatePromotes: boolean,
): Promise<ModelVersion> {
  const { validation, evaluation } = input;
  const imported = input.training?.imported;
  const object = await artifacts.get(evaluation.candidateArtifactKey);
  if (!object) {
    throw new MissingObjectError(
      `candidate s3://${artifacts.bucket}/${evaluation.candidateArtifactKey} of run ${validation.runId} is gone; start a new run`,
    );
  }
  const artifact: ModelArtifact = parseArtifact(
    new TextDecoder().decode(object.body),
    `candidate s3://${artifacts.bucket}/${evaluation.candidateArtifactKey}`,
  );
  return registry.register({
    model: input.model,
    artifact: object.body,
    lineage: {
      runId: validation.runId,
      // An imported version was not trained on the run's data: its dataKey and snapshotKey are the
      // data the gate measured it on, and `imported` says where it came from.
      ...(imported
        ? {
            imported: {
              source: imported.source,
              ...(imported.sourceFileSha256 ? { sourceFileSha256: imported.sourceFileSha256 } : {}),
              ...(imported.sourceFile ? { sourceFile: imported.sourceFile } : {}),
              importKey: imported.importKey,
              modelKind: imported.modelKind,
            },
          }
        : { dataSha256: validation.dataSha256 }),
      dataKey: validation.dataKey,
      snapshotKey: validation.snapshotKey,
      ...(imported || validation.trainingInputKey === validation.snapshotKey
        ? {}
        : { manifestKey: validation.trainingInputKey }),
      codeVersion: artifact.codeVersion,
      parameters: artifactParameters(artifact),
      metrics: imported ? { [evaluation.metric]: evaluation.candidateScore } : artifactMetrics(artifact),
      schema: summarizeSchema(artifact.schema),
    },
    // The gate is the workflow's approval; a rejected candidate waits for a person.
    approval: gatePromotes ? 'approved' : 'pending',
    tags: { runId: validation.runId, gate: evaluation.decision, ...(imported ? { origin: 'imported' } : {}) },
    actor: WORKFLOW_ACTOR,
  });
}

/**
 * Registry events are notifications about objects already written (and serving also polls the
 * alias), so a failed publish must not fail the step: Step Functions would then record a failed
 * run for a version that exists, or a promotion that happened. Failures are reported instead.
 */
export class BestEffortEventSink implements EventSink {
  failures = 0;

  constructor(
    private readonly inner: EventSink,
    private readonly onFailure: (event: RegistryEvent, error: unknown) => void,
  ) {}

  async publish(event: RegistryEvent): Promise<void> {
    try {
      await this.inner.publish(event);
    } catch (error) {
      this.failures += 1;
      this.onFailure(event, error);
    }
  }
}
