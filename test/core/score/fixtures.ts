import { type ModelArtifact, serializeArtifact } from '../../../core/artifact/format';
import { formatCsv, parseCsv } from '../../../core/data/csv';
import { tableFromRecords } from '../../../core/data/table';
import { buildImportedArtifact } from '../../../core/import/artifact';
import { parseXgboostModel } from '../../../core/import/xgboost';
import type { TextSink } from '../../../core/score/batch';
import { Scorer } from '../../../core/score/scorer';
import { trainModel } from '../../../core/train/train';
import { churnRecords, trainChurnArtifact } from '../../lambdas/inference/fixtures';
import { fixtureBytes } from '../import/parity-helpers';

export { churnRecords, MODEL, publish, trainChurnArtifact } from '../../lambdas/inference/fixtures';

/** The churn features without the target, as a CSV file's text. */
export function churnCsv(rows: number, seed = 11): string {
  const records = churnRecords(rows, seed).map(({ churned: _target, ...features }) => features);
  return formatCsv(tableFromRecords(records));
}

export const linearScorer = (): Scorer => Scorer.fromJson(serializeArtifact(trainChurnArtifact()));

/** A small gradient-boosted model: its batch path scores rows four at a time, so it is the stricter check. */
export function gbdtScorer(): Scorer {
  const table = tableFromRecords(churnRecords(400, 3));
  const artifact = trainModel(table, {
    target: 'churned',
    positiveLabel: 'yes',
    learner: 'gbdt',
    learnerParams: { gbdt: { nEstimators: 20, maxDepth: 3 } },
    seed: 42,
    dataSha256: 'b'.repeat(64),
    createdAt: '2026-11-29T10:00:00.000Z',
  });
  return Scorer.fromJson(serializeArtifact(artifact));
}

/**
 * python3-xgboost's binary model (features age, income, visits, score) imported with its sample:
 * a pipeline that keeps missing values as NaN for the trees' default directions.
 */
export function importedArtifact(): ModelArtifact {
  const file = 'xgb-binary-sample.csv';
  return buildImportedArtifact({
    imported: parseXgboostModel(fixtureBytes('xgb-binary.json'), 'xgb-binary.json'),
    modelFile: 'xgb-binary.json',
    modelSha256: 'model-sha',
    createdAt: '2026-12-07T10:00:00.000Z',
    sample: {
      table: parseCsv(fixtureBytes(file), { source: file, numbers: true }),
      sha256: 'sample-sha',
      source: file,
    },
  }).artifact;
}

export const importedScorer = (): Scorer => Scorer.fromJson(serializeArtifact(importedArtifact()));

/** Yields the text's bytes in pieces of `size` bytes (splitting multi-byte characters and CRLFs). */
export async function* bytesOf(text: string, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

export class MemorySink implements TextSink {
  text = '';
  async write(text: string): Promise<void> {
    this.text += text;
  }
}
