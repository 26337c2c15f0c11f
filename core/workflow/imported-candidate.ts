import { ArtifactError, type ModelArtifact } from '../artifact/format';
import { trainerParamsFor } from '../config/runtime-env';
import type { ModelConfig } from '../config/schema';
import { DEFAULT_SEED, DEFAULT_VALIDATION_FRACTION } from '../train/train';
import { NAMES_IN_STATE } from './contract';

/**
 * The rules an externally produced artifact (an imported XGBoost or LightGBM model, or any artifact
 * made outside the workflow) must meet before the gate may compare it with the champion. Pure: the
 * adopt step (lambdas/adopt-artifact) and `mlops register` apply them.
 */

/** The lineage's source when the artifact does not name the framework that produced it. */
export const EXTERNAL_ARTIFACT = 'external artifact';

export interface ImportedOrigin {
  /** The framework (`xgboost`, `lightgbm`), or EXTERNAL_ARTIFACT. */
  readonly source: string;
  /** SHA-256 of the source framework's model file. */
  readonly sourceFileSha256?: string;
  /** The source model file's name. */
  readonly sourceFile?: string;
}

/**
 * Where an artifact came from, as `mlops import` records it (`imported`: framework, model file and
 * its SHA-256); any other artifact, one made by `mlops train` included, is an external artifact.
 */
export function importedOrigin(artifact: Pick<ModelArtifact, 'imported'>): ImportedOrigin {
  const { imported } = artifact;
  if (!imported) return { source: EXTERNAL_ARTIFACT };
  return { source: imported.framework, sourceFileSha256: imported.modelSha256, sourceFile: imported.modelFile };
}

/** The input columns the artifact scores from (its schema's features, before its pipeline encodes them). */
export function artifactFeatures(artifact: ModelArtifact): string[] {
  return artifact.schema.columns.filter((column) => column.role === 'feature').map((column) => column.name);
}

/**
 * Checks that the artifact predicts what the model predicts (target column, task, positive class)
 * and that the run's validated data holds every feature it reads, so the gate measures it on real
 * values rather than imputed ones. Throws ArtifactError with one line naming the difference and a fix.
 */
export function checkImportedCandidate(
  artifact: ModelArtifact,
  model: Pick<ModelConfig, 'name' | 'target' | 'positiveLabel' | 'problemType'>,
  data: { readonly key: string; readonly columns: readonly string[] },
  source = 'the imported artifact',
): void {
  const { target } = artifact;
  if (target.name !== model.target) {
    throw new ArtifactError(
      `${source} predicts "${target.name}", but model ${model.name} predicts "${model.target}"; ` +
        `import it with --target ${model.target}, or register it under the model it was made for`,
    );
  }
  if (target.task !== model.problemType) {
    throw new ArtifactError(
      `${source} is a ${target.task} model, but model ${model.name} is a ${model.problemType} model`,
    );
  }
  if (target.task === 'binary' && target.positiveLabel !== model.positiveLabel) {
    throw new ArtifactError(
      `${source} takes "${target.positiveLabel ?? '(none)'}" as the positive class of ${target.name}, ` +
        `but model ${model.name} takes "${model.positiveLabel}"; import it with the model's positive label`,
    );
  }
  const present = new Set(data.columns);
  const missing = artifactFeatures(artifact).filter((feature) => !present.has(feature));
  if (missing.length > 0) {
    const named = missing.slice(0, NAMES_IN_STATE).join(', ');
    const more = missing.length > NAMES_IN_STATE ? ` and ${missing.length - NAMES_IN_STATE} more` : '';
    throw new ArtifactError(
      `${source} reads ${missing.length} feature(s) the validated data ${data.key} does not have: ${named}${more}; ` +
        'upload data with those columns first, or import the model with feature names that match the data',
    );
  }
}

/**
 * The held-out split a trained candidate of this model is gated on (the config's seed and
 * validation share, as the trainer uses them). An imported artifact's own seed and fraction
 * describe how someone else trained it, so the gate does not take its split from them.
 */
export function configuredHeldOutSplit(model: ModelConfig): { seed: number; validationFraction: number } {
  const params = trainerParamsFor(model);
  return {
    seed: params.seed ?? DEFAULT_SEED,
    validationFraction: params.validationFraction ?? DEFAULT_VALIDATION_FRACTION,
  };
}
