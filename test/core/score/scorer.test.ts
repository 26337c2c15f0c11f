import { type Cell, tableFromRecords } from '../../../core/data/table';
import { InputError } from '../../../core/score/scorer';
import { gbdtScorer, linearScorer } from './fixtures';

const field = (row: number, column: string) => `rows[${row}].${column}`;

function rejection(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('Scorer.checkTable', () => {
  it('names the first bad cell in row order, whichever column it is in', () => {
    // given a bad plan in row 2 and a bad age in row 1 (age is the first feature)
    const scorer = linearScorer();
    const table = tableFromRecords([
      { age: 30, plan: 'pro', active: true },
      { age: 31, plan: 'pro', active: 'maybe' },
      { age: 'old', plan: 'pro', active: true },
    ]);
    // when the table is checked, then the error is row 1's, as a row-by-row check finds it
    const error = rejection(() => scorer.checkTable(table, {}, field));
    expect(error.field).toBe('rows[1].active');
    expect(error.message).toBe('rows[1].active must be a boolean, got "maybe"');
  });

  it('gives the warnings checkRecords gives for the same rows', () => {
    const scorer = linearScorer();
    const records: Record<string, Cell>[] = [
      { age: 30, plan: 'pro', zip: '1' },
      { age: null, plan: 'pro', active: true },
      { zip: null },
    ];
    const fromRecords = scorer.checkRecords(records);
    const { columnNames, columns, rowCount } = tableFromRecords(records);
    const present = columnNames.map((name) => records.filter((record) => Object.hasOwn(record, name)).length);
    expect(scorer.checkTable({ columnNames, columns, rowCount }, {}, field, present)).toEqual(fromRecords);
    expect(fromRecords).toEqual([
      'unknown feature "zip" ignored in 2 instance(s)',
      'feature "age" missing in 2 instance(s); imputed as in training',
      'feature "plan" missing in 1 instance(s); imputed as in training',
      'feature "active" missing in 2 instance(s); imputed as in training',
    ]);
  });

  it('scores a checked table column by column as it scores each row', () => {
    const scorer = gbdtScorer();
    const records = [
      { age: 30, plan: 'pro', active: true },
      { age: '44', plan: 'team', active: 'false' },
      { age: null, plan: 'unseen', active: null },
    ];
    const table = tableFromRecords(records);
    scorer.checkTable(table, {}, field);
    expect(Array.from(scorer.scoreTable(table).scores)).toEqual(
      records.map((record) => scorer.scoreRecord(record).score),
    );
  });
});
