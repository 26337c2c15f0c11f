import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../cli/main';
import { serializeArtifact } from '../../../core/artifact/format';
import { formatCsv, parseCsv } from '../../../core/data/csv';
import { tableFromRecords } from '../../../core/data/table';
import { trainModel } from '../../../core/train/train';
import { importedArtifact } from '../../core/score/fixtures';
import { churnRecords, trainChurnArtifact } from '../../lambdas/inference/fixtures';
import { captureIo } from '../../support/cli-io';

describe('mlops predict --explain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-predict-explain-'));
  const gbdt = join(dir, 'gbdt.json');
  const linear = join(dir, 'linear.json');
  const data = join(dir, 'rows.csv');
  const artifact = trainModel(tableFromRecords(churnRecords(500, 5)), {
    target: 'churned',
    positiveLabel: 'yes',
    learner: 'gbdt',
    learnerParams: { gbdt: { nEstimators: 20, maxDepth: 4 } },
    seed: 42,
    dataSha256: 'e'.repeat(64),
    createdAt: '2026-12-07T10:00:00.000Z',
  });
  writeFileSync(gbdt, serializeArtifact(artifact));
  writeFileSync(linear, serializeArtifact(trainChurnArtifact()));
  const rows = churnRecords(50, 8).map(({ churned: _target, ...features }) => features);
  writeFileSync(data, formatCsv(tableFromRecords(rows)));

  it('adds shap_<feature> per input feature and shap_base, adding up to the log-odds of the score', async () => {
    // When a GBDT artifact predicts with --explain
    const out = join(dir, 'explained.csv');
    const run = captureIo();
    expect(await main(['predict', '--model', gbdt, '--data', data, '--out', out, '--explain'], run.io)).toBe(0);
    // Then the output has the input, score, label, one shap_ column per input feature and shap_base
    const table = parseCsv(readFileSync(out, 'utf8'));
    expect(table.columnNames).toEqual([
      'age',
      'plan',
      'active',
      'score',
      'label',
      'shap_age',
      'shap_plan',
      'shap_active',
      'shap_base',
    ]);
    expect(table.rowCount).toBe(50);
    const column = (name: string) => table.columns[table.columnNames.indexOf(name)].map(Number);
    const score = column('score');
    const [age, plan, active, base] = ['shap_age', 'shap_plan', 'shap_active', 'shap_base'].map(column);
    for (let r = 0; r < table.rowCount; r++) {
      expect(base[r] + age[r] + plan[r] + active[r]).toBeCloseTo(Math.log(score[r] / (1 - score[r])), 9);
    }
    expect(run.err.join('')).toContain('explained in log-odds');
  });

  it('writes no shap_ columns without --explain', async () => {
    const out = join(dir, 'plain.csv');
    expect(await main(['predict', '--model', gbdt, '--data', data, '--out', out], captureIo().io)).toBe(0);
    expect(parseCsv(readFileSync(out, 'utf8')).columnNames).toEqual(['age', 'plan', 'active', 'score', 'label']);
  });

  it('refuses --explain on a linear model, saying why, and writes nothing', async () => {
    const out = join(dir, 'linear.csv');
    const run = captureIo();
    expect(await main(['predict', '--model', linear, '--data', data, '--out', out, '--explain'], run.io)).toBe(2);
    expect(run.err.join('')).toContain('--explain: explanations are computed for tree models only');
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('mlops predict: missing feature columns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-predict-missing-'));

  it('says an imported model gets an absent column as missing (default directions), a trained one imputes it', async () => {
    // Given an imported XGBoost artifact and a trained one, and files that lack a feature column of each
    const imported = join(dir, 'imported.json');
    const trained = join(dir, 'trained.json');
    writeFileSync(imported, serializeArtifact(importedArtifact()));
    writeFileSync(trained, serializeArtifact(trainChurnArtifact()));
    const withoutIncome = join(dir, 'no-income.csv');
    const withoutAge = join(dir, 'no-age.csv');
    writeFileSync(withoutIncome, 'age,visits,score\n30,2,0.5\n');
    writeFileSync(withoutAge, 'plan,active\nbasic,true\n');
    // When each is scored
    const importedRun = captureIo();
    const trainedRun = captureIo();
    const out = join(dir, 'out.csv');
    expect(await main(['predict', '--model', imported, '--data', withoutIncome, '--out', out], importedRun.io)).toBe(0);
    expect(await main(['predict', '--model', trained, '--data', withoutAge, '--out', out], trainedRun.io)).toBe(0);
    // Then each warning says what happened to the missing values
    expect(importedRun.err.join('')).toContain(
      'warning: feature columns missing, passed to the model as missing, so each tree takes its default direction: income\n',
    );
    expect(trainedRun.err.join('')).toContain('warning: feature columns missing, imputed as in training: age\n');
  });
});
