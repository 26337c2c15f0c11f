import * as z from 'zod';
import { ArtifactError, parseArtifact } from '../../core/artifact/format';
import type { ModelConfig } from '../../core/config/schema';
import { readTableBytes, sha256Hex } from '../../core/data/read';
import { readRunRecord, stepTiming, updateRunRecord } from '../../core/runs/run-record';
import { Scorer } from '../../core/score/scorer';
import { isPreconditionFailed, type ObjectStore } from '../../core/storage/object-store';
import { ObjectTooLargeError, readCapped } from '../../core/storage/read-capped';
import { type AdoptionResult, validationResultSchema } from '../../core/workflow/contract';
import { checkImportedCandidate, importedOrigin } from '../../core/workflow/imported-candidate';
import { candidateArtifactKey, importsPrefix, runRecordKey } from '../../core/workflow/layout';
import { assertSameModel, MissingObjectError, StepInputError } from '../shared/step-errors';

/** The adopt step reads the state after validation: the execution input (with its candidateKey) and `$.validation`. */
export const adoptInputSchema = z.object({
  model: z.string(),
  candidateKey: z.string().min(1),
  validation: validationResultSchema,
});
export type AdoptInput = z.infer<typeof adoptInputSchema>;

/** Larger than any tree model we expect (100 trees of depth 6 are about 1 MB) and far below the function's memory. */
export const MAX_IMPORTED_ARTIFACT_BYTES = 256 * 1024 * 1024;

export interface AdoptDeps {
  readonly model: ModelConfig;
  /** The run's snapshot (its columns). */
  readonly curated: ObjectStore;
  /** The imported artifact (imports/), the run's candidate key and the run record (runs/). */
  readonly artifacts: ObjectStore;
  /** @default - the system clock */
  readonly clock?: () => Date;
}

/**
 * Adopts an externally produced artifact as the run's training output, in place of the training
 * job: checks that it parses, predicts the model's target as the model does, and reads only
 * columns the validated data has; then copies its bytes unchanged to the run's candidate key, where
 * Evaluate and Register find a trained candidate. Throws ArtifactError (one line, with the fix)
 * for a bad artifact; the failure path records it and production is untouched.
 *
 * Idempotent: a retry finds its own copy (same bytes) at the candidate key.
 */
export async function adoptStep(input: AdoptInput, deps: AdoptDeps): Promise<{ imported: AdoptionResult }> {
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock();
  const { model } = deps;
  const { validation, candidateKey } = input;
  assertSameModel(input.model, model.name, 'adopt-artifact');
  if (!candidateKey.startsWith(importsPrefix(model.name))) {
    throw new StepInputError(
      `candidateKey ${candidateKey} is not under ${importsPrefix(model.name)}: model ${model.name} adopts only artifacts uploaded for it (mlops register ${model.name} --artifact <dir>)`,
    );
  }
  const record = await readRunRecord(deps.artifacts, model.name, validation.runId);
  if (!record) {
    throw new MissingObjectError(
      `no run record at s3://${deps.artifacts.bucket}/${runRecordKey(model.name, validation.runId)}; the validate step writes it`,
    );
  }

  const location = `imported artifact s3://${deps.artifacts.bucket}/${candidateKey}`;
  const bytes = await readImported(deps.artifacts, candidateKey, location);
  const text = new TextDecoder().decode(bytes.body);
  const artifact = parseArtifact(text, location);
  try {
    new Scorer(artifact);
  } catch (error) {
    throw new ArtifactError(`${location} cannot be loaded for scoring: ${(error as Error).message}`);
  }
  const snapshot = await deps.curated.get(validation.snapshotKey);
  if (!snapshot) {
    throw new MissingObjectError(
      `snapshot s3://${deps.curated.bucket}/${validation.snapshotKey} of run ${validation.runId} is gone; start a new run`,
    );
  }
  const table = await readTableBytes(snapshot.body, validation.snapshotKey);
  checkImportedCandidate(artifact, model, { key: validation.dataKey, columns: table.columnNames }, location);

  const origin = importedOrigin(artifact);
  const imported: AdoptionResult = {
    importKey: candidateKey,
    artifactSha256: bytes.sha256,
    ...origin,
    modelKind: artifact.model.kind,
  };
  await putCandidate(deps.artifacts, candidateArtifactKey(model.name, validation.runId), bytes.body, bytes.sha256);
  await updateRunRecord(deps.artifacts, model.name, validation.runId, {
    imported,
    timings: { adopt: stepTiming(startedAt, clock()) },
  });
  return { imported };
}

async function readImported(artifacts: ObjectStore, key: string, location: string) {
  const missing = () =>
    new MissingObjectError(`no ${location}; upload it with mlops register, which starts the run with its key`);
  const head = await artifacts.head(key);
  if (!head) throw missing();
  const tooLarge = () =>
    new ArtifactError(`${location} is over ${MAX_IMPORTED_ARTIFACT_BYTES} bytes, more than any model artifact needs`);
  if (head.size > MAX_IMPORTED_ARTIFACT_BYTES) throw tooLarge();
  try {
    const read = await readCapped(artifacts, key, MAX_IMPORTED_ARTIFACT_BYTES);
    if (!read) throw missing();
    return read;
  } catch (error) {
    if (error instanceof ObjectTooLargeError) throw tooLarge();
    throw error;
  }
}

/** Write-once, like a trainer's output: an object already there must be this run's own earlier copy. */
async function putCandidate(artifacts: ObjectStore, key: string, body: Uint8Array, sha256: string): Promise<void> {
  try {
    await artifacts.put(key, body, { ifNoneMatch: '*', contentType: 'application/json' });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    const existing = await artifacts.get(key);
    if (!existing || sha256Hex(existing.body) !== sha256) {
      throw new StepInputError(
        `s3://${artifacts.bucket}/${key} already holds another candidate; each run adopts one artifact, start a new run`,
      );
    }
  }
}
