import { tableFromRecords } from '../../../core/data/table';
import { inferSchema } from '../../../core/schema/infer';
import { cellToNumber, numbersOfColumn, rememberedNumbers } from '../../../core/schema/values';

/** The reading cellToNumber had before its fast path: trim, blank is missing, Number, infinity words. */
function referenceNumber(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return Number.NaN;
  const value = Number(trimmed);
  if (!Number.isNaN(value)) return value;
  const lower = trimmed.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}

describe('cell values', () => {
  it('reads text as numbers exactly as trimming first would, blanks and zeros included', () => {
    const texts = [
      '',
      ' ',
      '\t\n',
      '0',
      ' 0 ',
      '-0',
      '0.0',
      '00',
      '0x10',
      '1e3',
      ' 2.5\t',
      'abc',
      ' Inf ',
      '-infinity',
      '+inf',
      'Infinity',
      '1,5',
      '\u00a07\u00a0',
      '0 0',
      '.',
      '-',
    ];
    for (const text of texts) expect([text, cellToNumber(text)]).toEqual([text, referenceNumber(text)]);
  });

  it('parses a numeric column once: schema inference leaves its numbers for the pipeline and the profile', () => {
    const table = tableFromRecords([
      { x: '1.5', c: 'a', y: '1' },
      { x: null, c: 'b', y: '0' },
      { x: ' 3 ', c: 'a', y: '1' },
    ]);
    inferSchema(table, { target: 'y' });
    const numbers = rememberedNumbers(table.columns[0]);
    expect(numbers && [...numbers]).toEqual([1.5, Number.NaN, 3]);
    expect(numbersOfColumn(table.columns[0])).toBe(numbers);
  });

  it('keeps no numbers for a text column', () => {
    const table = tableFromRecords([
      { c: 'a', y: '1' },
      { c: 'b', y: '0' },
    ]);
    inferSchema(table, { target: 'y' });
    expect(rememberedNumbers(table.columns[0])).toBeUndefined();
  });
});
