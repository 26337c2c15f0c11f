import { type DataTable, tableFromRecords, takeRows } from '../../../core/data/table';
import { generateChurn } from '../../../core/datasets/churn';
import { encodeTarget } from '../../../core/schema/target';
import { splitRows } from '../../../core/train/split';
import { assembleTrainingSet, type TrainingSetOptions } from '../../../core/workflow/training-set';

const options: TrainingSetOptions = {
  target: 'churned',
  task: 'binary',
  positiveLabel: 'yes',
  seed: 42,
  validationFraction: 0.2,
};

/** The rows of `table` the gate scores on, derived as core/workflow/held-out.ts derives them. */
function gateHoldOut(table: DataTable): DataTable {
  const target = encodeTarget(table.columns[table.columnNames.indexOf('churned')], {
    target: 'churned',
    task: 'binary',
    positiveLabel: 'yes',
  });
  const split = splitRows(target.values, { seed: 42, validationFraction: 0.2, stratify: true });
  return takeRows(table, split.validation);
}

function rowsOf(table: DataTable): string[] {
  return Array.from({ length: table.rowCount }, (_, row) => JSON.stringify(table.columns.map((column) => column[row])));
}

describe('assembleTrainingSet', () => {
  it("takes the primary's columns: an older file's missing column is null in its rows, its extra column is left out", () => {
    // given
    const primary = tableFromRecords([
      { tenure: 1, plan: 'a', churned: 'yes' },
      { tenure: 2, plan: 'b', churned: 'no' },
      { tenure: 3, plan: 'a', churned: 'yes' },
      { tenure: 4, plan: 'b', churned: 'no' },
      { tenure: 5, plan: 'a', churned: 'no' },
    ]);
    const older = tableFromRecords([
      { churned: 'no', tenure: 9, legacy: 'x' },
      { churned: 'yes', tenure: 8, legacy: 'y' },
    ]);
    // when
    const assembled = assembleTrainingSet(
      {
        primary: { table: primary, source: 'churn/new.csv' },
        uploads: [{ table: older, source: 'churn/old.csv' }],
        feedback: null,
      },
      options,
    );
    // then
    expect(assembled.table.columnNames).toEqual(['tenure', 'plan', 'churned']);
    expect(rowsOf(assembled.table).slice(0, 2)).toEqual(['[9,null,"no"]', '[8,null,"yes"]']);
    expect(assembled.notes).toEqual([
      'churn/old.csv lacks column(s) "plan": missing in its 2 row(s)',
      'churn/old.csv: column(s) "legacy" not in the run\'s data file: left out',
    ]);
  });

  it("never holds a row of the gate's hold-out, not even one repeated by an older upload", () => {
    // given: an older upload that repeats every row of the new one (a cumulative export)
    const primary = generateChurn({ rows: 500, seed: 3 });
    const older = generateChurn({ rows: 300, seed: 4 });
    const cumulative: DataTable = {
      columnNames: older.columnNames,
      columns: older.columns.map((column, c) => [...column, ...primary.columns[c]]),
      rowCount: older.rowCount + primary.rowCount,
    };
    // when
    const assembled = assembleTrainingSet(
      {
        primary: { table: primary, source: 'churn/new.csv' },
        uploads: [{ table: cumulative, source: 'churn/all.csv' }],
        feedback: null,
      },
      options,
    );
    // then
    const heldOut = new Set(rowsOf(gateHoldOut(primary)));
    expect(assembled.heldOutRows).toBe(heldOut.size);
    expect(heldOut.size).toBeGreaterThan(90);
    expect(rowsOf(assembled.table).filter((row) => heldOut.has(row))).toEqual([]);
    expect(assembled.heldOutDuplicates).toBe(heldOut.size);
    const training = primary.rowCount - heldOut.size;
    expect(assembled.table.rowCount).toBe(older.rowCount + training + training);
  });

  it('orders the rows: uploads oldest first, then the primary training rows, then the feedback rows', () => {
    // given
    const primary = generateChurn({ rows: 100, seed: 5 });
    const first = tableFromRecords([{ churned: 'no', tenure_months: 1 }]);
    const second = tableFromRecords([{ churned: 'yes', tenure_months: 2 }]);
    const feedback = tableFromRecords([{ churned: 'yes', tenure_months: 3 }]);
    // when
    const assembled = assembleTrainingSet(
      {
        primary: { table: primary, source: 'churn/new.csv' },
        uploads: [
          { table: first, source: 'churn/1.csv' },
          { table: second, source: 'churn/2.csv' },
        ],
        feedback: { table: feedback, source: 'feedback' },
      },
      options,
    );
    // then
    expect(assembled.rowsBySource).toEqual([
      { source: 'churn/1.csv', rows: 1 },
      { source: 'churn/2.csv', rows: 1 },
      { source: 'churn/new.csv', rows: 100 - assembled.heldOutRows },
      { source: 'feedback', rows: 1 },
    ]);
    const tenure = assembled.table.columns[assembled.table.columnNames.indexOf('tenure_months')];
    expect([tenure[0], tenure[1], tenure[assembled.table.rowCount - 1]]).toEqual([1, 2, 3]);
  });

  it('compares cells by their text, so a value one file reads as a number and another as text is the same', () => {
    // given: the held-out rows come back from a file that reads every cell as text
    const primary = generateChurn({ rows: 200, seed: 6 });
    const heldOut = gateHoldOut(primary);
    const asText: DataTable = {
      ...heldOut,
      columns: heldOut.columns.map((column) => column.map((cell) => (cell === null ? null : String(cell)))),
    };
    // when
    const assembled = assembleTrainingSet(
      {
        primary: { table: primary, source: 'churn/new.csv' },
        uploads: [],
        feedback: { table: asText, source: 'feedback' },
      },
      options,
    );
    // then
    expect(assembled.heldOutDuplicates).toBe(heldOut.rowCount);
    expect(assembled.rowsBySource.at(-1)).toEqual({ source: 'feedback', rows: 0 });
  });
});
