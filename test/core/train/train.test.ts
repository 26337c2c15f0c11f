import {
  ARTIFACT_FORMAT_VERSION,
  ArtifactError,
  parseArtifact,
  serializeArtifact,
} from '../../../core/artifact/format';
import { parseCsv } from '../../../core/data/csv';
import { DataError, type DataTable, takeRows } from '../../../core/data/table';
import { churnCsv, generateChurn } from '../../../core/datasets/churn';
import { auc, logLoss } from '../../../core/metrics';
import { encodeTarget } from '../../../core/schema/target';
import { InputError, Scorer } from '../../../core/score/scorer';
import { GBDT_GRID } from '../../../core/train/search';
import { splitRows } from '../../../core/train/split';
import { trainModel } from '../../../core/train/train';

const churn = generateChurn({ rows: 3000, seed: 7, batch: 'v1' });
const options = { target: 'churned', positiveLabel: 'yes', dataSha256: 'sha', createdAt: '2026-01-01T00:00:00.000Z' };
const artifact = trainModel(churn, { ...options, learnerParams: { gbdt: { nEstimators: 60 } } });

function record(table: DataTable, row: number) {
  return Object.fromEntries(table.columnNames.map((name, c) => [name, table.columns[c][row]]));
}

describe('trainModel', () => {
  it('produces an artifact that loads and carries schema, metrics, lineage and profile', () => {
    const loaded = parseArtifact(serializeArtifact(artifact));
    expect(loaded.formatVersion).toBe(ARTIFACT_FORMAT_VERSION);
    expect(loaded.target).toMatchObject({ name: 'churned', task: 'binary', positiveLabel: 'yes', negativeLabel: 'no' });
    expect(loaded.schema.columns.find((c) => c.name === 'customer_id')).toMatchObject({ role: 'excluded' });
    expect(loaded.data).toMatchObject({ sha256: 'sha', rows: 3000, columns: 14 });
    expect(loaded.data.trainRows + loaded.data.validationRows).toBe(3000);
    expect(loaded.metrics.candidates.map((c) => c.learner)).toEqual(['gbdt', 'linear']);
    expect(loaded.metrics.validation).toHaveProperty('auc');
    expect(loaded.profile).toBeTruthy();
  });

  it('scores the validation rows through the saved artifact exactly as training scored them', () => {
    // Given the artifact after a JSON round trip, and the validation split re-derived from its seed
    const scorer = Scorer.fromJson(serializeArtifact(artifact));
    const target = encodeTarget(churn.columns[churn.columnNames.indexOf('churned')], {
      target: 'churned',
      positiveLabel: 'yes',
    });
    const split = splitRows(target.values, {
      seed: artifact.params.seed,
      validationFraction: artifact.params.validationFraction,
      stratify: true,
    });
    const labels = Float64Array.from(split.validation, (row) => target.values[row]);
    // When each validation row is scored one record at a time, as the endpoint does
    const scores = Float64Array.from(split.validation, (row) => scorer.scoreRecord(record(churn, row)).score);
    // Then the metrics training recorded are reproduced to the last bit
    const validation = artifact.metrics.validation as { auc: number; logLoss: number };
    expect(auc(scores, labels)).toBe(validation.auc);
    expect(logLoss(scores, labels)).toBe(validation.logLoss);
    // And the table path (batch scoring) agrees with the record path row by row
    const fromTable = scorer.scoreTable(takeRows(churn, split.validation)).scores;
    expect(Array.from(fromTable)).toEqual(Array.from(scores));
  });

  it('gives a byte-identical artifact for the same data and seed', () => {
    const again = trainModel(churn, { ...options, learnerParams: { gbdt: { nEstimators: 60 } } });
    expect(serializeArtifact(again)).toBe(serializeArtifact(artifact));
  });

  it('trains regression targets and reports RMSE', () => {
    const table = parseCsv(
      ['x,y', ...Array.from({ length: 200 }, (_, i) => `${i % 20},${(i % 20) * 2 + (i % 3)}`)].join('\n'),
    );
    const model = trainModel(table, { target: 'y', task: 'regression', dataSha256: 's', learner: 'linear' });
    expect(model.target.task).toBe('regression');
    expect((model.metrics.validation as { rmse: number }).rmse).toBeLessThan(1.5);
  });

  it('refuses too few rows, naming the count and the minimum', () => {
    const small = takeRows(churn, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => trainModel(small, { ...options, source: 'tiny.csv' })).toThrow(
      new DataError('tiny.csv has 10 usable row(s); training needs at least 30'),
    );
  });

  it('refuses a header-only file', () => {
    expect(() => trainModel(parseCsv('a,churned\n'), { ...options, source: 'h.csv' })).toThrow(
      'h.csv has a header but no data rows',
    );
  });
});

describe('artifact loading', () => {
  it('names an unknown format version and the fix', () => {
    const future = serializeArtifact(artifact).replace(
      `"formatVersion":${ARTIFACT_FORMAT_VERSION}`,
      '"formatVersion":99',
    );
    expect(() => parseArtifact(future, 'model.json')).toThrow(
      new ArtifactError(
        'model.json has format version 99, but this code reads version 1; retrain the model or use a matching release of mlops',
      ),
    );
  });

  it('names the invalid field', () => {
    const broken = JSON.parse(serializeArtifact(artifact));
    broken.target.task = 'multiclass';
    expect(() => parseArtifact(JSON.stringify(broken), 'model.json')).toThrow(/model.json is invalid at target.task/);
  });

  it('rejects text that is not an artifact', () => {
    expect(() => parseArtifact('{"hello":1}', 'x.json')).toThrow('x.json is not a model artifact');
    expect(() => parseArtifact('nope', 'x.json')).toThrow('x.json is not valid JSON');
  });
});

describe('Scorer input checks', () => {
  const scorer = new Scorer(artifact);
  const good = record(churn, 0);

  it('warns about unknown and missing features by default', () => {
    const { age: _age, ...withoutAge } = good;
    const warnings = scorer.checkRecords([{ ...withoutAge, time_spent_on_video_tutorials: 3 }]);
    expect(warnings).toEqual([
      'unknown feature "time_spent_on_video_tutorials" ignored in 1 instance(s)',
      'feature "age" missing in 1 instance(s); imputed as in training',
    ]);
  });

  it('rejects unknown or missing features when the policy says so', () => {
    expect(() => scorer.checkRecords([{ ...good, extra: 1 }], { unknownFeatures: 'reject' })).toThrow(InputError);
    expect(() => scorer.checkRecords([{ ...good, age: null }], { missingFeatures: 'reject' })).toThrow(
      'instances[0].age is missing',
    );
  });

  it('names the field with a wrong type', () => {
    expect(() => scorer.checkRecords([good, { ...good, tenure_months: 'long' }])).toThrow(
      'instances[1].tenure_months must be a number, got "long"',
    );
  });
});

describe('refit and selection', () => {
  const small = generateChurn({ rows: 800, seed: 11, batch: 'v1' });
  const labels = encodeTarget(small.columns[small.columnNames.indexOf('churned')], {
    target: 'churned',
    positiveLabel: 'yes',
  }).values;
  /** The rows the gate scores on, re-derived as core/workflow/held-out.ts does. */
  const gateRows = splitRows(labels, { seed: 42, validationFraction: 0.2, stratify: true }).validation;
  const base = { ...options, learner: 'gbdt' as const, learnerParams: { gbdt: { nEstimators: 40 } } };
  const kept = trainModel(small, base);

  /** The same table with every numeric feature of the gate's held-out rows shifted far out (types kept). */
  function withHeldOutFeaturesChanged(table: DataTable): DataTable {
    const columns = table.columns.map((column, c) => {
      if (table.columnNames[c] === 'churned') return column;
      const copy = [...column];
      for (const row of gateRows) {
        const value = Number(column[row]);
        if (column[row] !== null && column[row] !== '' && Number.isFinite(value)) copy[row] = String(value + 1000);
      }
      return copy;
    });
    return { ...table, columns } as DataTable;
  }

  it('never trains on the rows the gate holds out: changing their features leaves model and pipeline alike', () => {
    const changed = trainModel(withHeldOutFeaturesChanged(small), base);
    expect(kept.data.refitRows).toBe(small.rowCount - gateRows.length);
    expect(JSON.stringify(changed.model) === JSON.stringify(kept.model)).toBe(true);
    expect(JSON.stringify(changed.pipeline) === JSON.stringify(kept.pipeline)).toBe(true);
  });

  it('refits on the hold-out too when asked, and labels the held-out metrics as from a model without it', () => {
    const refit = trainModel(small, { ...base, refitIncludesHoldOut: true });
    const changed = trainModel(withHeldOutFeaturesChanged(small), { ...base, refitIncludesHoldOut: true });
    expect(refit.data.refitRows).toBe(small.rowCount);
    expect(refit.metrics.heldOutModel).toBe('same-settings-without-hold-out');
    expect(kept.metrics.heldOutModel).toBe('kept-model');
    expect(JSON.stringify(changed.model) === JSON.stringify(refit.model)).toBe(false);
  });

  it('refits GBDT with the folds early-stopped tree count scaled by the rows ratio', () => {
    const selection = kept.metrics.selection!;
    const chosen = selection.evaluated[selection.chosen];
    const foldTrees = chosen.iterations.reduce((a, b) => a + b, 0) / chosen.iterations.length;
    const trees = (kept.model.json as { trees: unknown[] }).trees.length;
    // k-fold trains on 4/5 of the refit rows, so the refit grows about 5/4 as many trees.
    expect(Math.abs(trees - foldTrees * 1.25)).toBeLessThanOrEqual(1.5);
    expect(trees).not.toBe(Math.round(foldTrees));
  });

  it('selects by 5-fold cross-validation over 3 shuffles below 1,000 rows and records each fold score', () => {
    const selection = kept.metrics.selection!;
    expect(selection).toMatchObject({
      method: 'k-fold',
      folds: 15,
      repeats: 3,
      rows: kept.data.refitRows,
      truncated: false,
    });
    for (const candidate of selection.evaluated) {
      expect(candidate.foldValues).toHaveLength(15);
      const mean = candidate.foldValues.reduce((a, b) => a + b, 0) / 15;
      expect(candidate.value).toBeCloseTo(mean, 12);
    }
  });

  it('uses one 5-fold partition from 1,000 to 5,000 selection rows', () => {
    expect(artifact.data.refitRows).toBeGreaterThanOrEqual(1_000);
    expect(artifact.metrics.selection).toMatchObject({ method: 'k-fold', folds: 5, repeats: 1 });
  });

  it('searches linear L2 strengths and gives the same bytes for the same data, seed and a generous budget', () => {
    const run = () => serializeArtifact(trainModel(small, { ...options, learner: 'linear', timeBudgetSeconds: 1e6 }));
    const first = run();
    expect(run()).toBe(first);
    const l2s = parseArtifact(first).metrics.selection!.evaluated.map((c) => c.settings.l2);
    expect(l2s).toEqual([1e-4, 1e-3, 1e-2, 1e-5, 1e-1, 1]);
  });

  it('searches the GBDT grid, subsampled settings included, and gives the same bytes for the same data and seed', () => {
    // Given the whole GBDT grid under a generous budget, trained twice on a few hundred rows
    const rows = takeRows(
      small,
      Array.from({ length: 300 }, (_, i) => i),
    );
    const run = () => serializeArtifact(trainModel(rows, { ...options, learner: 'gbdt', timeBudgetSeconds: 1e6 }));
    const first = run();
    // Then the artifacts are byte-identical and every grid setting was evaluated
    expect(run()).toBe(first);
    const evaluated = parseArtifact(first).metrics.selection!.evaluated.map((c) => c.settings);
    expect(evaluated).toEqual(GBDT_GRID);
    expect(evaluated.some((settings) => Number(settings.subsample) < 1)).toBe(true);
  });

  it('records which candidates a short budget let it evaluate', () => {
    let t = 0;
    const truncated = trainModel(small, {
      ...options,
      learner: 'linear',
      timeBudgetSeconds: 2.5,
      now: () => t++ * 1000,
    });
    expect(truncated.metrics.selection).toMatchObject({ truncated: true });
    expect(truncated.metrics.selection!.evaluated.length).toBeLessThan(6);
    expect(truncated.params.timeBudgetSeconds).toBe(2.5);
  });
});

describe('holdout selection (5,000 selection rows and more)', () => {
  const large = generateChurn({ rows: 6500, seed: 5, batch: 'v1' });
  const gbdt = { ...options, learner: 'gbdt' as const, learnerParams: { gbdt: { nEstimators: 30 } } };
  /** Fits started, counted from progress events (each fit reports its first iteration once). */
  let fits = 0;
  const countFits = (event: { iteration: number }) => {
    if (event.iteration === 1) fits++;
  };
  const local = trainModel(large, { ...gbdt, refitIncludesHoldOut: true, onProgress: countFits });
  const localFits = fits;
  const chosenOf = (a: typeof local) => a.metrics.selection!.evaluated[a.metrics.selection!.chosen];

  it('measures a local refit on the hold-out with the selection fit of the same split, not a third fit', () => {
    expect(local.metrics.selection!.method).toBe('holdout');
    expect(local.metrics.heldOutModel).toBe('same-settings-without-hold-out');
    expect(local.data.refitRows).toBe(large.rowCount);
    // The selection split of every row is the gate's split, so the chosen candidate's score is
    // the held-out AUC itself.
    expect((local.metrics.validation as { auc: number }).auc).toBe(chosenOf(local).value);
    expect(localFits).toBe(2);
  });

  it('keeps the selection fit without a refit: trained on the training split only, measured on the hold-out', () => {
    const notes: string[] = [];
    fits = 0;
    const single = trainModel(large, {
      ...gbdt,
      refitIncludesHoldOut: true,
      refit: false,
      onNote: (n) => notes.push(n),
      onProgress: countFits,
    });
    expect(fits).toBe(1);
    expect(single.params.refit).toBe(false);
    expect(single.metrics.heldOutModel).toBe('kept-model');
    expect(single.data.refitRows).toBe(single.data.trainRows);
    expect((single.model.json as { trees: unknown[] }).trees).toHaveLength(chosenOf(single).iterations[0]);
    expect(single.metrics.validation).toEqual(local.metrics.validation);
    expect(JSON.stringify(single.model) === JSON.stringify(local.model)).toBe(false);
    expect(notes.filter((n) => n.startsWith('refit anyway'))).toEqual([]);
  });
});

describe('refit switched off below 5,000 rows', () => {
  it('refits anyway after k-fold selection, and says so', () => {
    const small = generateChurn({ rows: 600, seed: 3, batch: 'v1' });
    const notes: string[] = [];
    const artifact = trainModel(small, {
      ...options,
      learner: 'linear',
      timeBudgetSeconds: 0,
      refit: false,
      onNote: (n) => notes.push(n),
    });
    expect(artifact.metrics.selection!.method).toBe('k-fold');
    expect(artifact.params.refit).toBe(true);
    expect(artifact.data.refitRows).toBe(artifact.data.trainRows);
    expect(notes).toContain('refit anyway: k-fold selection keeps no single model to use instead');
  });
});

describe('reading numbers', () => {
  it('gives byte-identical artifacts whether the CSV was read as text or with canonical decimals as numbers', () => {
    const csv = churnCsv({ rows: 1500, seed: 21, batch: 'v2' });
    const train = (numbers: boolean) =>
      serializeArtifact(
        trainModel(parseCsv(csv, { numbers }), {
          ...options,
          timeBudgetSeconds: 0,
          learnerParams: { gbdt: { nEstimators: 20 } },
        }),
      );
    const withNumbers = parseCsv(csv, { numbers: true });
    expect(withNumbers.columns.some((column) => typeof column[0] === 'number')).toBe(true);
    expect(train(true)).toBe(train(false));
  });
});
