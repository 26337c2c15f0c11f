import fc from 'fast-check';
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

  it('reads plain decimals to the same double as Number(), for any digits and signs', () => {
    const digits = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: max });
    const decimal = fc
      .tuple(fc.constantFrom('', '-'), digits(12), fc.option(digits(12), { nil: undefined }))
      .map(([sign, whole, fraction]) => `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(decimal, (text) => {
        expect([text, cellToNumber(text)]).toEqual([text, Number(text)]);
      }),
      { numRuns: 5000 },
    );
    for (const text of [
      '-0',
      '-0.0',
      '0.1',
      '0.3',
      '9007199254740993',
      '123456789012345.6',
      '1.',
      '.5',
      '-',
      '1.2.3',
    ]) {
      expect([text, cellToNumber(text)]).toEqual([text, referenceNumber(text)]);
    }
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
