import type { ModelArtifact } from '../artifact/format';
import { type DataTable, takeRows } from '../data/table';
import { encodeTarget } from '../schema/target';
import { Scorer } from '../score/scorer';
import { splitRows } from '../train/split';
import { GATE_METRICS, type GateMetric } from './gate-metrics';

export interface HeldOutScores {
  readonly metric: GateMetric;
  readonly candidate: number;
  readonly champion: number | null;
  readonly rows: number;
}

/**
 * Scores champion and candidate by `metric` on the same rows: the validation split of the new
 * data, which the candidate never trained on. The split is re-derived from the candidate's own
 * seed and fraction, so it is exactly the one training held out; an imported candidate, trained
 * elsewhere, is given the split a trained candidate of the model would have (`split`).
 */
export function scoreOnHeldOut(
  table: DataTable,
  candidate: ModelArtifact,
  champion: ModelArtifact | null,
  metric: GateMetric,
  split: { readonly seed: number; readonly validationFraction: number } = candidate.params,
): HeldOutScores {
  const { target } = candidate;
  const rule = GATE_METRICS[metric];
  if (rule.task !== target.task) {
    throw new Error(
      `gate metric "${metric}" measures ${rule.task} models, but the candidate is a ${target.task} model; pick a ${target.task} metric`,
    );
  }
  const encoded = encodeTarget(table.columns[table.columnNames.indexOf(target.name)], {
    target: target.name,
    task: target.task,
    positiveLabel: target.positiveLabel,
  });
  const rows = splitRows(encoded.values, {
    seed: split.seed,
    validationFraction: split.validationFraction,
    stratify: target.task === 'binary',
  });
  const heldOut = takeRows(table, rows.validation);
  const labels = Float64Array.from(rows.validation, (row) => encoded.values[row]);
  const measure = (artifact: ModelArtifact) => {
    const { scores } = new Scorer(artifact).scoreTable(heldOut);
    // Each model at its own decision threshold, as it serves (used by accuracy and f1 only).
    return rule.measure(scores, labels, artifact.target.threshold ?? 0.5);
  };
  return {
    metric,
    candidate: measure(candidate),
    champion: champion ? measure(champion) : null,
    rows: heldOut.rowCount,
  };
}
