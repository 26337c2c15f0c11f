import type { ModelArtifact } from './format';

/**
 * What the registry keeps of an artifact beside its bytes: the evaluate step puts them in its
 * result and the register step in the version record, so both read them from here.
 */

/** What the trainer chose (seed, split, learner settings), with the learner it kept. */
export function artifactParameters(artifact: ModelArtifact): Record<string, unknown> {
  return { ...artifact.params, chosenLearner: artifact.model.kind };
}

/** The candidate's metrics on its validation split (the same rows the gate scored); JSON has no NaN. */
export function artifactMetrics(artifact: ModelArtifact): Record<string, number> {
  return Object.fromEntries(
    Object.entries(artifact.metrics.validation).filter((entry): entry is [string, number] => Number.isFinite(entry[1])),
  );
}
