import { randomBytes } from 'node:crypto';
import { candidateArtifactKey } from './layout';

/** Run ids become S3 key segments, Batch environment values and (from the trigger) execution names. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

/** A sortable, readable run id: the start time to the second, then 8 random hex digits. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** A trainer output (TRAINER_OUTPUTS) of a run: the files sit beside the candidate artifact. */
export function trainerOutputKey(model: string, runId: string, file: string): string {
  const artifactKey = candidateArtifactKey(model, runId);
  return `${artifactKey.slice(0, artifactKey.lastIndexOf('/') + 1)}${file}`;
}
