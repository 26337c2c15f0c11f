import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCommand } from '../../../cli/commands/import';
import type { CommandIo } from '../../../cli/io';
import { readTableBytes } from '../../../core/data/read';
import type { Cell, DataTable } from '../../../core/data/table';
import { Scorer } from '../../../core/score/scorer';
import { requirePython } from '../../support/python';

/**
 * The promise for imported models: explanations equal python3-xgboost's pred_contribs to
 * 1e-5 on data nobody saw while writing the tests. Each run trains new models from a seed drawn
 * now (XGBOOST_PARITY_SEED=<seed> replays one), imports them as `mlops import` does and explains
 * fresh rows through the Scorer, the class the endpoint and `mlops predict --explain` use.
 */
const TOLERANCE = 1e-5;
const SCRIPT = join(__dirname, 'fixtures', 'xgboost_imported_contribs.py');
const seed = Number(process.env.XGBOOST_PARITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const replay = `seed ${seed}; replay with XGBOOST_PARITY_SEED=${seed} npx jest ${join('test/core/explain', 'tree-shap-imported-xgboost.test.ts')}`;

const python = requirePython(['xgboost', 'numpy'], 'TreeSHAP parity of imported XGBoost models with pred_contribs');
const describeWithXgboost = python ? describe : describe.skip;

interface XgboostAnswers {
  readonly xgboost: string;
  /** Per row: one contribution per feature, then the bias (the base value). */
  readonly contribs: readonly number[][];
  readonly margins: readonly number[];
}

/** Runs `mlops import` in this process and returns the artifact's path and its JSON summary. */
async function mlopsImport(args: string[]): Promise<{ artifact: string; parity: { maxAbsDifference: number } }> {
  let out = '';
  let err = '';
  const io: CommandIo = { out: (text) => (out += text), err: (text) => (err += text), interactive: false };
  const code = await importCommand.run([...args, '--json'], io);
  if (code !== 0) throw new Error(`mlops import exited ${code}: ${err}`);
  return JSON.parse(out);
}

function recordsOf(table: DataTable): Array<Record<string, Cell>> {
  return Array.from({ length: table.rowCount }, (_, r) =>
    Object.fromEntries(table.columnNames.map((name, c) => [name, table.columns[c][r]])),
  );
}

describeWithXgboost(`explanations of imported XGBoost models equal pred_contribs (${replay})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'xgb-parity-'));
  let trained: { xgboost: string; depth: number; trees: number };

  beforeAll(() => {
    // Given XGBoost models trained just now from the run's seed, and rows drawn after training
    const run = spawnSync(python as string, [SCRIPT, String(seed), dir], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`${SCRIPT} failed (${replay}):\n${run.stderr}`);
    trained = JSON.parse(run.stdout);
  });

  it.each([
    ['binary', 'json'],
    ['binary', 'ubj'],
    ['regression', 'json'],
    ['regression', 'ubj'],
  ])('%s model saved as %s: every contribution, the base value and the margin to 1e-5', async (name, format) => {
    const file = (suffix: string) => join(dir, `${name}${suffix}`);
    // When imported through `mlops import` (with python's predictions for the parity report)
    const imported = await mlopsImport([
      '--framework',
      'xgboost',
      '--model',
      file(`.${format}`),
      '--data',
      file('-rows.csv'),
      '--expected',
      file('-expected.txt'),
      '--out',
      join(dir, `${name}-${format}`),
    ]);
    const scorer = Scorer.fromJson(readFileSync(imported.artifact, 'utf8'), imported.artifact);
    const answers = JSON.parse(readFileSync(file('-xgboost.json'), 'utf8')) as XgboostAnswers;
    const table = await readTableBytes(readFileSync(file('-rows.csv')), `${name}-rows.csv`);
    const columns = scorer.pipeline.inputColumns;
    expect(columns).toEqual(table.columnNames);

    // And explained row by row (the endpoint's path) and as a table (`mlops predict --explain`)
    const byTable = scorer.explainTable(table);
    const base = scorer.explanationBase;
    const mismatches: string[] = [];
    const check = (what: string, ours: number, theirs: number, tolerance = TOLERANCE) => {
      if (!(Math.abs(ours - theirs) <= tolerance)) mismatches.push(`${what}: ours ${ours}, xgboost ${theirs}`);
    };
    const marginOf = scorer.model.predictMarginRow as (row: Float64Array) => number;
    const features = new Float64Array(columns.length);
    recordsOf(table).forEach((record, r) => {
      const phi = scorer.explainRecord(record);
      const theirs = answers.contribs[r];
      columns.forEach((column, c) => {
        check(`row ${r + 1} ${column}`, phi[c], theirs[c]);
        check(`row ${r + 1} ${column} (table)`, byTable.contributions[c][r], theirs[c]);
      });
      check(`row ${r + 1} base`, base, theirs[columns.length]);
      const margin = answers.margins[r];
      // Scoring adds the trees in float32 in XGBoost's order: its margin is XGBoost's, bit for bit.
      check(`row ${r + 1} margin`, marginOf(scorer.pipeline.transformRecord(record, features)), margin, 0);
      // XGBoost adds its trees in float32 (up to 6e-8 of the margin lost per tree) and so misses
      // its own margin by as much with pred_contribs: the sum is held to 1e-5 of the margin.
      const sum = phi.reduce((total, value) => total + value, base);
      check(`row ${r + 1} base + contributions`, sum, margin, TOLERANCE * Math.max(1, Math.abs(margin)));
    });
    // And the predictions themselves are xgboost's (the parity report `mlops import` stored)
    check('largest prediction difference in the parity report', imported.parity.maxAbsDifference, 0);

    // Then they agree everywhere: any difference is listed with the seed that replays it
    const context = `${name}.${format}, ${trained.trees} trees of depth ${trained.depth}, xgboost ${answers.xgboost}, ${replay}`;
    expect(answers.contribs).toHaveLength(table.rowCount);
    expect(byTable.baseValue).toBe(base);
    expect({ context, count: mismatches.length, first: mismatches.slice(0, 20) }).toEqual({
      context,
      count: 0,
      first: [],
    });
  });
});
