import fc from 'fast-check';
import { DataError, tableFromRecords } from '../../../core/data/table';
import { canonicalDecimalValue, inferSchema } from '../../../core/schema/infer';
import { encodeTarget } from '../../../core/schema/target';

function rows(count: number, make: (i: number) => Record<string, string | null>) {
  return tableFromRecords(Array.from({ length: count }, (_, i) => make(i)));
}

describe('inferSchema', () => {
  it('types numbers as numeric, yes/no and 0/1 as boolean, text as categorical', () => {
    const table = rows(40, (i) => ({
      age: String(20 + (i % 7) + 0.5),
      flag: i % 2 ? 'yes' : 'no',
      bit: String(i % 2),
      plan: ['a', 'b', 'c'][i % 3],
      y: String(i % 2),
    }));
    const { schema } = inferSchema(table, { target: 'y' });
    const types = Object.fromEntries(schema.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({ age: 'numeric', flag: 'boolean', bit: 'boolean', plan: 'categorical', y: 'boolean' });
  });

  it('excludes identifier-like and constant columns and says why', () => {
    const table = rows(40, (i) => ({
      customer_id: `C${1000 + i}`,
      row: String(i),
      same: 'x',
      x: String(i % 5),
      y: String(i % 2),
    }));
    const { schema, notes } = inferSchema(table, { target: 'y' });
    const excluded = schema.columns.filter((c) => c.role === 'excluded').map((c) => [c.name, c.excludedReason]);
    expect(excluded).toEqual([
      ['customer_id', 'identifier-like: every row has a different value'],
      ['row', 'identifier-like: distinct integers per row'],
      ['same', 'constant: it has a single value'],
    ]);
    expect(notes).toHaveLength(3);
  });

  it('keeps a continuous numeric column even when every value differs', () => {
    const table = rows(40, (i) => ({ basket: (i * 1.37).toFixed(2), y: String(i % 2) }));
    const { schema } = inferSchema(table, { target: 'y' });
    expect(schema.columns[0]).toMatchObject({ name: 'basket', role: 'feature', type: 'numeric' });
  });

  it('records the missing rate of each column', () => {
    const table = rows(40, (i) => ({ x: i % 4 === 0 ? null : String(i % 3), y: String(i % 2) }));
    expect(inferSchema(table, { target: 'y' }).schema.columns[0].missingRate).toBe(0.25);
  });

  it('names the missing target and lists the columns', () => {
    const table = rows(3, () => ({ a: '1' }));
    expect(() => inferSchema(table, { target: 'churned', source: 'data.csv' })).toThrow(
      new DataError('data.csv: target column "churned" not found; columns are: a'),
    );
  });

  it('rejects a configured feature that is not in the data', () => {
    const table = rows(3, () => ({ a: '1', y: '0' }));
    expect(() => inferSchema(table, { target: 'y', features: ['a', 'b'] })).toThrow(
      'configured feature column(s) not found: b',
    );
  });

  it('excludes columns outside the configured feature list', () => {
    const table = rows(40, (i) => ({ a: String(i % 3), b: String(i % 5), y: String(i % 2) }));
    const { schema } = inferSchema(table, { target: 'y', features: ['a'] });
    expect(schema.columns.find((c) => c.name === 'b')).toMatchObject({
      role: 'excluded',
      excludedReason: 'not in the configured feature list',
    });
  });
});

describe('encodeTarget', () => {
  it('encodes the named positive label as 1', () => {
    const encoded = encodeTarget(['good', 'bad', 'good', null], { target: 'y', positiveLabel: 'bad' });
    expect(Array.from(encoded.values)).toEqual([0, 1, 0, Number.NaN]);
    expect(encoded.missingCount).toBe(1);
    expect(encoded.encoding).toEqual({ task: 'binary', positiveLabel: 'bad', negativeLabel: 'good' });
  });

  it('chooses a truthy label as positive when none is given, and says so', () => {
    const encoded = encodeTarget(['no', 'yes', 'no'], { target: 'y' });
    expect(encoded.encoding).toMatchObject({ positiveLabel: 'yes' });
    expect(encoded.notes[0]).toContain('positive class "yes" chosen because it reads as true');
  });

  it('chooses the rarer class when no label reads as true', () => {
    const encoded = encodeTarget(['good', 'good', 'bad'], { target: 'y' });
    expect(encoded.encoding).toMatchObject({ positiveLabel: 'bad' });
  });

  it('rejects a single-class target naming the class', () => {
    expect(() => encodeTarget(['yes', 'yes'], { target: 'churned', source: 'd.csv' })).toThrow(
      'd.csv: target "churned" has a single class ("yes"); binary training needs two',
    );
  });

  it('rejects a positive label that does not occur', () => {
    expect(() => encodeTarget(['a', 'b'], { target: 'y', positiveLabel: 'c' })).toThrow(
      'positive label "c" not found in target "y"; labels are: a, b',
    );
  });

  it('rejects more than two classes for binary classification', () => {
    expect(() => encodeTarget(['a', 'b', 'c'], { target: 'y', task: 'binary' })).toThrow('has 3 classes');
  });

  it('reads numbers for regression and rejects text', () => {
    expect(Array.from(encodeTarget(['1.5', '2', '7'], { target: 'y' }).values)).toEqual([1.5, 2, 7]);
    expect(() => encodeTarget(['1', 'x', '3'], { target: 'y', task: 'regression' })).toThrow(
      'must be numeric for regression, found "x"',
    );
  });
});

describe('inferSchema unique counts', () => {
  /** What uniqueCount means: distinct trimmed texts of the non-missing cells. */
  const distinctTexts = (cells: readonly (string | null)[]) =>
    new Set(cells.filter((cell) => cell !== null).map((cell) => cell.trim())).size;

  const uniqueCountOf = (cells: readonly (string | null)[]) =>
    inferSchema(tableFromRecords(cells.map((x, i) => ({ x, z: i % 2 ? 'a' : 'b', y: String(i % 2) }))), { target: 'y' })
      .schema.columns[0].uniqueCount;

  it('counts texts that spell the same number differently as different values', () => {
    const cells = ['1', '1.0', '01', ' 1', '-0', '0', '0.10', '0.1', '1e0', '+1', null, '2', '2'];
    expect(uniqueCountOf(cells)).toBe(distinctTexts(cells));
  });

  it('counts numbers with more digits than a double keeps as the distinct texts they are', () => {
    // Each pair reads as one double; the texts still differ.
    expect(uniqueCountOf(['12345678901234567', '12345678901234568', '3'])).toBe(3);
    expect(uniqueCountOf(['0.1000000000000000001', '0.1', '3'])).toBe(3);
  });

  it('counts distinct texts exactly for any mix of number spellings', () => {
    const spelling = fc.oneof(
      fc.integer({ min: -50, max: 50 }).map(String),
      fc.double({ min: -10, max: 10, noNaN: true }).map(String),
      fc.integer({ min: -500, max: 500 }).map((n) => (n / 100).toFixed(2)),
      fc.constantFrom('0', '-0', '0.0', '00', '1.50', '1.5', ' 2', '2', '1e3', '1000', null),
    );
    fc.assert(
      fc.property(fc.array(spelling, { minLength: 2, maxLength: 60 }), (cells) => {
        if (cells.every((cell) => cell === null)) return;
        expect(uniqueCountOf(cells)).toBe(distinctTexts(cells));
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonicalDecimalValue', () => {
  /** The canonical spelling, as a rule: optional minus, no leading or trailing fraction zeros, at most 15 digits. */
  const isCanonical = (text: string) =>
    /^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/.test(text) && text !== '-0' && text.replace(/[-.]/g, '').length <= 15;

  it('reads exactly the canonical decimals, each as the double Number() gives', () => {
    const texts = fc.oneof(
      fc.stringMatching(/^-?[0-9]{0,9}(\.[0-9]{0,9})?$/),
      fc.double({ noNaN: true }).map(String),
      fc.integer().map(String),
      fc.constantFrom(
        '0',
        '-0',
        '00',
        '0.',
        '.5',
        '1.0',
        '1e5',
        ' 1',
        '1 ',
        '-',
        '',
        '1234567890123456',
        '0.000000001',
      ),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const value = canonicalDecimalValue(text);
        if (isCanonical(text)) expect(value).toBe(Number(text));
        else expect(value).toBeNaN();
      }),
      { numRuns: 5000 },
    );
  });
});
