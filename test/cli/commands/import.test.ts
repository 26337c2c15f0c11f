import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArtifact } from '../../../core/artifact/format';
import { buildCli } from '../../../lib/bundles';

const BIN = join(__dirname, '../../../bin/mlops.js');
const FIXTURES = join(__dirname, '../../core/import/fixtures');
const fixture = (name: string) => join(FIXTURES, name);

/** Runs the built CLI as a user would. */
function mlops(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('mlops import (the built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-import-'));
  beforeAll(() => {
    buildCli();
  });

  test('imports an XGBoost model with a sample and its predictions, and predict reads the artifact unchanged', () => {
    // given python3-xgboost's model, the held-back sample and python's own predictions on it
    const out = join(dir, 'xgb');
    const run = mlops(
      'import',
      '--framework',
      'xgboost',
      '--model',
      fixture('xgb-categorical.json'),
      '--data',
      fixture('xgb-categorical-sample.csv'),
      '--expected',
      fixture('xgb-categorical-expected.txt'),
      '--out',
      out,
      '--json',
    );
    // then the summary is one small line, and parity was measured on every row
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      artifact: join(out, 'model.json'),
      framework: 'xgboost',
      task: 'binary',
      objective: 'binary:logistic',
      trees: 20,
      features: ['age', 'income', 'visits', 'score', 'color'],
      featureNamesFrom: 'model',
      parity: { status: 'measured', rows: 250, maxAbsDifference: 0 },
    });
    expect(parseArtifact(readFileSync(join(out, 'model.json'), 'utf8')).imported?.parity.rows).toBe(250);
    // and `mlops predict` scores the sample with it as python did
    const scored = join(dir, 'scored.csv');
    const predict = mlops('predict', '--model', out, '--data', fixture('xgb-categorical-sample.csv'), '--out', scored);
    expect(predict.code).toBe(0);
    const lines = readFileSync(scored, 'utf8').trim().split('\n');
    // The sample has a feature named score too; predict appends its own score column last but one.
    const scoreAt = lines[0].split(',').lastIndexOf('score');
    const expected = readFileSync(fixture('xgb-categorical-expected.txt'), 'utf8').trim().split('\n').map(Number);
    const scores = lines.slice(1).map((line) => Number(line.split(',')[scoreAt]));
    expect(scores).toHaveLength(250);
    expect(Math.max(...scores.map((score, i) => Math.abs(score - expected[i])))).toBeLessThanOrEqual(1e-6);
  });

  test('imports a model whose categorical features hold labels through --categories, and predict takes the labels', () => {
    // given a model trained on pandas categorical columns of text labels, the categories file written
    // from its training frame, and a held-back sample of labels (one plan never trained on)
    const out = join(dir, 'labels');
    const run = mlops(
      'import',
      '--framework',
      'xgboost',
      '--model',
      fixture('xgb-labels.json'),
      '--data',
      fixture('xgb-labels-sample.csv'),
      '--target',
      'label',
      '--categories',
      fixture('xgb-labels-categories.json'),
      '--expected',
      fixture('xgb-labels-expected.txt'),
      '--out',
      out,
      '--json',
    );
    // then parity is exact through the label -> code mapping
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out).parity).toEqual({ status: 'measured', rows: 300, maxAbsDifference: 0 });
    // and `mlops predict` scores the labelled rows as python did
    const scored = join(dir, 'labels-scored.csv');
    const predict = mlops('predict', '--model', out, '--data', fixture('xgb-labels-sample.csv'), '--out', scored);
    expect(predict.code).toBe(0);
    const lines = readFileSync(scored, 'utf8').trim().split('\n');
    const scoreAt = lines[0].split(',').lastIndexOf('score');
    const expected = readFileSync(fixture('xgb-labels-expected.txt'), 'utf8').trim().split('\n').map(Number);
    const scores = lines.slice(1).map((line) => Number(line.split(',')[scoreAt]));
    expect(scores).toHaveLength(300);
    expect(Math.max(...scores.map((score, i) => Math.abs(score - expected[i])))).toBeLessThanOrEqual(1e-6);
  });

  test('a reversed categories file fails the parity check with exit code 2 and writes nothing', () => {
    const out = join(dir, 'labels-reversed');
    const run = mlops(
      'import',
      '--framework',
      'xgboost',
      '--model',
      fixture('xgb-labels.json'),
      '--data',
      fixture('xgb-labels-sample.csv'),
      '--categories',
      fixture('xgb-labels-categories-reversed.json'),
      '--expected',
      fixture('xgb-labels-expected.txt'),
      '--out',
      out,
    );
    expect(run.code).toBe(2);
    expect(run.err).toContain(
      'parity check failed: our predictions differ from --expected xgb-labels-expected.txt by up to 0.6',
    );
    expect(run.err).toContain('the category order is the likely cause');
    expect(existsSync(out)).toBe(false);
  });

  test('imports a LightGBM model without a sample, saying parity is unmeasured', () => {
    const out = join(dir, 'lgb');
    const run = mlops('import', '--framework', 'lightgbm', '--model', fixture('lgb-regression.txt'), '--out', out);
    expect(run.code).toBe(0);
    expect(run.out).toBe(`${join(out, 'model.json')}\n`);
    expect(run.err).toContain('imported lightgbm regression: 3 trees, 2 features');
    expect(run.err).toContain('parity: unmeasured (none: no --data sample to compare on)');
  });

  test.each([
    [
      'the wrong framework for the file',
      ['--framework', 'xgboost', '--model', fixture('lgb-regression.txt')],
      'lgb-regression.txt looks like a LightGBM text model, not XGBoost; use --framework lightgbm',
    ],
    [
      'a corrupt file',
      ['--framework', 'xgboost', '--model', fixture('xgb-binary-sample.csv')],
      'xgb-binary-sample.csv is neither XGBoost JSON nor UBJSON',
    ],
    [
      'a feature count mismatch',
      ['--framework', 'xgboost', '--model', fixture('xgb-regression.json'), '--data', fixture('xgb-binary-sample.csv')],
      'feature count mismatch: the model reads 4 unnamed features, but --data xgb-binary-sample.csv has 5 column(s)',
    ],
    [
      'a sample lacking model features',
      ['--framework', 'lightgbm', '--model', fixture('lgb-regression.txt'), '--data', fixture('xgb-binary-sample.csv')],
      "--data xgb-binary-sample.csv lacks the model's feature column(s): temp, rooms",
    ],
    ['an unknown framework', ['--framework', 'catboost', '--model', fixture('lgb-regression.txt')], 'catboost'],
    ['a missing model file', ['--framework', 'xgboost', '--model', join(dir, 'none.json')], '--model: file not found'],
  ])('rejects %s with exit code 2 and writes nothing', (_, args, message) => {
    const out = join(dir, `bad-${args[1]}-${args.length}-${message.length}`);
    const run = mlops('import', ...args, '--out', out);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
    expect(run.out).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  test('rejects an unsupported objective by name', () => {
    const run = mlops(
      'import',
      '--framework',
      'lightgbm',
      '--model',
      fixture('lgb-poisson.txt'),
      '--out',
      join(dir, 'p'),
    );
    expect(run.code).toBe(2);
    expect(run.err).toContain(
      'lgb-poisson.txt: objective "poisson" is not supported; supported objectives: binary, regression',
    );
  });
});
