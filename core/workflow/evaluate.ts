import type { ModelArtifact } from '../artifact/format';
import { type DataTable, takeRows } from '../data/table';
import { auc, rmse } from '../metrics';
import { encodeTarget } from '../schema/target';
import { Scorer } from '../score/scorer';
import { splitRows } from '../train/split';

export interface HeldOutScores {
  readonly metric: 'auc' | 'rmse';
  readonly candidate: number;
  readonly champion: number | null;
  readonly rows: number;
}

/**
 * Scores champion and candidate on the same rows: the validation split of the new data, which
 * the candidate never trained on. The split is re-derived from the candidate's own seed and
 * fraction, so it is exactly the one training held out.
 */
export function scoreOnHeldOut(
  table: DataTable,
  candidate: ModelArtifact,
  champion: ModelArtifact | null,
): HeldOutScores {
  const { target } = candidate;
  const encoded = encodeTarget(table.columns[table.columnNames.indexOf(target.name)], {
    target: target.name,
    task: target.task,
    positiveLabel: target.positiveLabel,
  });
  const split = splitRows(encoded.values, {
    seed: candidate.params.seed,
    validationFraction: candidate.params.validationFraction,
    stratify: target.task === 'binary',
  });
  const heldOut = takeRows(table, split.validation);
  const labels = Float64Array.from(split.validation, (row) => encoded.values[row]);
  const metric = target.task === 'binary' ? 'auc' : 'rmse';
  const measure = (artifact: ModelArtifact) => {
    const { scores } = new Scorer(artifact).scoreTable(heldOut);
    return metric === 'auc' ? auc(scores, labels) : rmse(scores, labels);
  };
  return {
    metric,
    candidate: measure(candidate),
    champion: champion ? measure(champion) : null,
    rows: heldOut.rowCount,
  };
}
