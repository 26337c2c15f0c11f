import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../../core/data/csv';
import type { FeatureMatrix } from '../../../core/features/matrix';
import type { ImportedModel } from '../../../core/import/imported-model';
import { treesFromJson } from '../../../core/learners/trees';
import { cellToNumber } from '../../../core/schema/values';

export const FIXTURES = join(__dirname, 'fixtures');

export function fixtureBytes(name: string): Uint8Array {
  return readFileSync(join(FIXTURES, name));
}

/** The sample's columns in `names` order, missing cells as NaN (what the import pipeline sends). */
export function sampleMatrix(csvName: string, names: readonly string[]): FeatureMatrix {
  const table = parseCsv(readFileSync(join(FIXTURES, csvName)), { source: csvName });
  const columns = names.map((name) => {
    const column = table.columns[table.columnNames.indexOf(name)];
    if (!column) throw new Error(`${csvName} has no column ${name}`);
    return Float64Array.from(column, (cell) => (cell === null || cell === '' ? Number.NaN : cellToNumber(cell)));
  });
  return { features: names.map((name) => ({ name, kind: 'numeric' as const })), columns, rowCount: table.rowCount };
}

export function expectedPredictions(name: string): Float64Array {
  return Float64Array.from(readFileSync(join(FIXTURES, name), 'utf8').trim().split('\n'), Number);
}

export function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - b[i]));
  return largest;
}

/** Scores the sample with the imported model, features by the given sample column names. */
export function scoreSample(imported: ImportedModel, csvName: string, columnNames: readonly string[]): Float64Array {
  const matrix = sampleMatrix(csvName, columnNames);
  const model = treesFromJson(
    imported.model,
    imported.model.featureNames.map((name) => ({ name, kind: 'numeric' as const })),
  );
  return model.predictMatrix(matrix);
}
