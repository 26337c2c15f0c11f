import { DataError, getColumn, tableFromRecords, takeRows } from '../../../core/data/table';

describe('DataTable helpers', () => {
  it('builds a column-major table from records, with absent keys as null', () => {
    const table = tableFromRecords([{ a: 1, b: 'x' }, { a: 2 }]);
    expect(table.columnNames).toEqual(['a', 'b']);
    expect(table.columns).toEqual([
      [1, 2],
      ['x', null],
    ]);
    expect(table.rowCount).toBe(2);
  });

  it('names the missing column and lists the present ones', () => {
    const table = tableFromRecords([{ a: 1 }]);
    expect(() => getColumn(table, 'z')).toThrow(new DataError('column "z" not found; columns are: a'));
  });

  it('takes rows in the requested order', () => {
    const table = tableFromRecords([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(takeRows(table, [2, 0]).columns).toEqual([[3, 1]]);
  });
});
