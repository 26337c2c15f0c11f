import * as z from 'zod';
import { ArtifactError, type ModelArtifact, parseArtifact } from '../../core/artifact/format';
import { artifactMetrics, artifactParameters } from '../../core/artifact/registry-fields';
import type { ModelConfig } from '../../core/config/schema';
import { readTableBytes, sha256Hex } from '../../core/data/read';
import { DataError } from '../../core/data/table';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import { readRunRecord, stepTiming, updateRunRecord } from '../../core/runs/run-record';
import type { ObjectStore } from '../../core/storage/object-store';
import {
  type AdoptionResult,
  type EvaluationResult,
  TRAINER_OUTPUTS,
  trainingOutputSchema,
  validationResultSchema,
} from '../../core/workflow/contract';
import { decideGate, type GateRule } from '../../core/workflow/gate';
import { GATE_METRICS, gateMetricsFor } from '../../core/workflow/gate-metrics';
import { scoreOnHeldOut } from '../../core/workflow/held-out';
import { configuredHeldOutSplit } from '../../core/workflow/imported-candidate';
import { candidateArtifactKey, runRecordKey } from '../../core/workflow/layout';
import { trainerOutputKey } from '../../core/workflow/run-ids';
import { assertSameModel, MissingObjectError, WorkflowConfigError } from '../shared/step-errors';

/**
 * The evaluate step reads the state after training: the execution input plus `$.validation` and
 * `$.training` (a Batch job's id, or what the adopt step found out about an imported artifact).
 */
export const evaluateInputSchema = z.object({
  model: z.string(),
  validation: validationResultSchema,
  training: trainingOutputSchema.optional(),
});
export type EvaluateInput = z.infer<typeof evaluateInputSchema>;

export interface EvaluateDeps {
  readonly model: ModelConfig;
  /** The run's snapshot. */
  readonly curated: ObjectStore;
  /** The candidate (runs/), the champion (registry/) and the run record. */
  readonly artifacts: ObjectStore;
  /** @default - the system clock */
  readonly clock?: () => Date;
}

/**
 * The gate rule from the model's config. The config accepts only metrics of the model's problem
 * type from core/workflow/gate-metrics.ts, and the held-out comparison measures every one of them.
 */
export function gateRuleFor(model: ModelConfig): GateRule {
  const { task } = GATE_METRICS[model.gate.metric];
  if (task !== model.problemType) {
    // Only a config built in code without parseConfig gets here; fail before loading any data.
    throw new WorkflowConfigError(
      `gate.metric "${model.gate.metric}" of model ${model.name} measures ${task} models, but ${model.name} is a ` +
        `${model.problemType} model; set gate.metric to one of ${gateMetricsFor(model.problemType).join(', ')} in mlops.config`,
    );
  }
  return { metric: model.gate.metric, minGain: model.gate.minGain, floor: model.gate.floor ?? undefined };
}

/**
 * Scores the candidate the trainer wrote and the current production model on the same held-out
 * rows of the run's snapshot, applies the model's gate, and records both scores and the decision.
 */
export async function evaluateStep(input: EvaluateInput, deps: EvaluateDeps): Promise<EvaluationResult> {
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock();
  const { model } = deps;
  const { validation } = input;
  assertSameModel(input.model, model.name, 'evaluate-model');
  const rule = gateRuleFor(model);

  const record = await readRunRecord(deps.artifacts, model.name, validation.runId);
  if (!record) {
    throw new MissingObjectError(
      `no run record at s3://${deps.artifacts.bucket}/${runRecordKey(model.name, validation.runId)}; the validate step writes it`,
    );
  }
  const candidateKey = candidateArtifactKey(model.name, validation.runId);
  const imported = input.training?.imported;
  const candidate = await loadCandidate(deps.artifacts, candidateKey, validation.runId, model.name, imported);
  // An imported candidate was trained elsewhere, on data the platform never saw; the adopt step
  // checked it instead, and its bytes were matched to the upload's hash when it was loaded.
  if (!imported && candidate.data.sha256 !== validation.dataSha256) {
    throw new ArtifactError(
      `candidate s3://${deps.artifacts.bucket}/${candidateKey} was trained on data ${candidate.data.sha256}, ` +
        `but run ${validation.runId} validated ${validation.dataSha256}; the trainer must read the run's training input (${validation.trainingInputKey})`,
    );
  }

  const snapshot = await deps.curated.get(validation.snapshotKey);
  if (!snapshot) {
    throw new MissingObjectError(
      `snapshot s3://${deps.curated.bucket}/${validation.snapshotKey} of run ${validation.runId} is gone; start a new run`,
    );
  }
  if (sha256Hex(snapshot.body) !== validation.snapshotSha256) {
    throw new DataError(
      `snapshot s3://${deps.curated.bucket}/${validation.snapshotKey} no longer has SHA-256 ${validation.snapshotSha256}; snapshots are immutable, start a new run`,
    );
  }
  const table = await readTableBytes(snapshot.body, validation.snapshotKey, { numbers: true });

  const champion = await loadChampion(new ModelRegistry({ store: deps.artifacts }), model.name);
  const split = imported ? configuredHeldOutSplit(model) : candidate.params;
  const scores = scoreOnHeldOut(table, candidate, champion?.artifact ?? null, rule.metric, split);
  const gate = decideGate(rule, scores.candidate, scores.champion);
  const result: EvaluationResult = {
    decision: gate.decision,
    metric: scores.metric,
    candidateScore: scores.candidate,
    championScore: scores.champion,
    championVersion: champion?.version ?? null,
    requiredGain: gate.requiredGain,
    reason: `${gate.reason} (${scores.rows} held-out rows)`,
    candidateArtifactKey: candidateKey,
  };

  const validateEnded = record.timings.validate?.endedAt;
  await updateRunRecord(deps.artifacts, model.name, validation.runId, {
    parameters: artifactParameters(candidate),
    // An imported artifact's own metrics were measured by someone else on other rows: the run
    // records what the gate measured.
    metrics: imported ? { [result.metric]: result.candidateScore } : artifactMetrics(candidate),
    gate: {
      metric: result.metric,
      candidate: result.candidateScore,
      champion: result.championScore,
      championVersion: result.championVersion,
      requiredGain: result.requiredGain,
      decision: result.decision,
      reason: result.reason,
    },
    timings: {
      // From the end of validation to the start of evaluation: Batch queueing plus training.
      ...(validateEnded && !imported ? { train: stepTiming(new Date(validateEnded), startedAt) } : {}),
      evaluate: stepTiming(startedAt, clock()),
    },
  });
  return result;
}

async function loadCandidate(
  store: ObjectStore,
  key: string,
  runId: string,
  model: string,
  imported: AdoptionResult | undefined,
): Promise<ModelArtifact> {
  const object = await store.get(key);
  if (!object) {
    const errorFile = trainerOutputKey(model, runId, TRAINER_OUTPUTS.error);
    const error = await store.get(errorFile);
    const detail = error ? `; the trainer reported: ${new TextDecoder().decode(error.body).trim()}` : '';
    throw new MissingObjectError(
      `the trainer wrote no candidate at s3://${store.bucket}/${key} for run ${runId}${detail}`,
    );
  }
  if (imported && sha256Hex(object.body) !== imported.artifactSha256) {
    throw new ArtifactError(
      `candidate s3://${store.bucket}/${key} is not the artifact run ${runId} adopted (SHA-256 ${imported.artifactSha256}); start a new run`,
    );
  }
  return parseArtifact(new TextDecoder().decode(object.body), `candidate s3://${store.bucket}/${key}`);
}

async function loadChampion(
  registry: ModelRegistry,
  model: string,
): Promise<{ version: number; artifact: ModelArtifact } | null> {
  const production = await registry.loadAliased(model, PRODUCTION_ALIAS);
  return production && { version: production.version, artifact: production.artifact };
}
