import fc from 'fast-check';
import { formatCsv, MISSING_TOKENS, parseCsv } from '../../../core/data/csv';
import { type Cell, DataError, type DataTable } from '../../../core/data/table';

function parseError(input: string, source = 'customers.csv'): DataError {
  try {
    parseCsv(input, { source });
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected parseCsv to throw a DataError');
}

describe('parseCsv', () => {
  test('reads a header and rows into column-major string cells', () => {
    // Given a small comma-separated file
    const input = 'id,plan,spend\n1,basic,10.5\n2,premium,99\n';

    // When it is parsed
    const table = parseCsv(input);

    // Then each column holds its cells as strings, in row order
    expect(table).toEqual({
      columnNames: ['id', 'plan', 'spend'],
      columns: [
        ['1', '2'],
        ['basic', 'premium'],
        ['10.5', '99'],
      ],
      rowCount: 2,
    });
  });

  test('turns every missing token into null', () => {
    // Given one row per missing token in a two-column file
    const tokens = [...MISSING_TOKENS];
    const input = `key,value\n${tokens.map((token, index) => `${index},${token}`).join('\n')}\n`;

    // When it is parsed
    const table = parseCsv(input);

    // Then every value is null
    expect(table.columns[1]).toEqual(tokens.map(() => null));
    expect(tokens).toEqual(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None']);
  });

  test('keeps text that only resembles a missing token', () => {
    // Given values that differ from the tokens in case or spacing
    const input = 'value\nna\n NA\nNone \nn/a\n';

    // When it is parsed
    const table = parseCsv(input);

    // Then they stay text
    expect(table.columns[0]).toEqual(['na', ' NA', 'None ', 'n/a']);
  });

  test('takes quoted fields literally, so "" is an empty string and "NA" is text', () => {
    // Given quoted empty and token-like fields
    const input = 'a,b,c\n"","NA",\n';

    // When it is parsed
    const table = parseCsv(input);

    // Then only the unquoted empty field is null
    expect(table.columns).toEqual([[''], ['NA'], [null]]);
  });

  test('reads quoted fields with separators, doubled quotes and line breaks', () => {
    // Given RFC-4180 quoting, with CRLF line ends inside and between records
    const input = 'name,comment\r\n"Smith, Jo","said ""hi""\r\nthen left"\r\nLee,plain\r\n';

    // When it is parsed
    const table = parseCsv(input);

    // Then the quoted content is kept exactly
    expect(table.columns).toEqual([
      ['Smith, Jo', 'Lee'],
      ['said "hi"\r\nthen left', 'plain'],
    ]);
  });

  test('reads lone CR line ends', () => {
    // Given a file saved with old Mac line ends
    const table = parseCsv('a,b\r1,2\r3,4\r');

    // Then each CR ends a record
    expect(table.columns).toEqual([
      ['1', '3'],
      ['2', '4'],
    ]);
  });

  test('gives columns exactly rowCount long when quoted line breaks outnumber rows', () => {
    // Given two records spread over six lines
    const table = parseCsv('a\n"x\n\ny"\n"z\n"\n');

    // Then the columns hold two cells, with no holes after them
    expect(table.rowCount).toBe(2);
    expect(table.columns[0]).toHaveLength(2);
    expect(table.columns[0]).toEqual(['x\n\ny', 'z\n']);
  });

  test('accepts a last row without a trailing newline', () => {
    // Given no newline at the end of the file
    const table = parseCsv('a,b\n1,2');

    // Then the last row is read
    expect(table.columns).toEqual([['1'], ['2']]);
  });

  test('reads an empty last field at the very end of the input as null', () => {
    // Given a file that ends right after a separator
    const table = parseCsv('a,b\n1,');

    // Then the last field exists and is missing
    expect(table.columns).toEqual([['1'], [null]]);
  });

  test('ignores blank lines at the end', () => {
    // Given several blank lines, LF and CRLF, after the last row
    const table = parseCsv('a,b\n1,2\n\n\r\n\n');

    // Then only the real row is read
    expect(table.rowCount).toBe(1);
  });

  test('strips a UTF-8 byte order mark from bytes and from strings', () => {
    // Given the same file with a BOM, as bytes and as a string
    const text = '\uFEFFid,value\n1,x\n';
    const bytes = new TextEncoder().encode(text);

    // When both are parsed
    const fromBytes = parseCsv(bytes);
    const fromString = parseCsv(text);

    // Then the first column name has no BOM
    expect(fromBytes.columnNames).toEqual(['id', 'value']);
    expect(fromString.columnNames).toEqual(['id', 'value']);
  });

  test('decodes UTF-8 bytes', () => {
    // Given non-ASCII text as UTF-8 bytes
    const bytes = new TextEncoder().encode('city\nZürich\n東京\n');

    // When parsed
    const table = parseCsv(bytes);

    // Then the characters survive
    expect(table.columns[0]).toEqual(['Zürich', '東京']);
  });

  test('rejects bytes that are not UTF-8, naming the source', () => {
    // Given a Latin-1 encoded "é"
    const bytes = Uint8Array.from([0x61, 0x0a, 0xe9, 0x0a]);

    // Then the error says what to do
    expect(() => parseCsv(bytes, { source: 'legacy.csv' })).toThrow(/legacy\.csv is not valid UTF-8/);
  });

  test('trims header names but not cells', () => {
    // Given padded header names and cells
    const table = parseCsv(' id , plan \n 1 , basic \n');

    // Then names are trimmed and cells are kept as written
    expect(table.columnNames).toEqual(['id', 'plan']);
    expect(table.columns).toEqual([[' 1 '], [' basic ']]);
  });

  test('keeps a header name that looks like a missing token', () => {
    // Given a column literally named NA
    const table = parseCsv('NA,None\n1,2\n');

    // Then it is a name, not an empty header
    expect(table.columnNames).toEqual(['NA', 'None']);
  });

  test('gives a table with no rows for a header-only file', () => {
    // Given a header and nothing else
    const table = parseCsv('a,b,c\n');

    // Then the columns exist and are empty
    expect(table).toEqual({ columnNames: ['a', 'b', 'c'], columns: [[], [], []], rowCount: 0 });
  });

  test('reads a blank line inside a one-column file as a missing value', () => {
    // Given a one-column file with a blank line between values
    const table = parseCsv('value\n1\n\n3\n');

    // Then the blank line is a null cell
    expect(table.columns[0]).toEqual(['1', null, '3']);
  });

  describe('separator detection', () => {
    test.each([
      ['semicolon', 'a;b;c\n1,5;2;3\n', ['a', 'b', 'c']],
      ['tab', 'a\tb\n1\t2\n', ['a', 'b']],
      ['comma', 'a,b\n1;2,3\n', ['a', 'b']],
    ])('detects a %s from the header line', (_name, input, names) => {
      // When the separator is not given
      const table = parseCsv(input);

      // Then the header splits on the detected one
      expect(table.columnNames).toEqual(names);
    });

    test('counts separators only outside quotes', () => {
      // Given a semicolon file whose quoted header name holds commas
      const table = parseCsv('"x,y,z";b\n1;2\n');

      // Then semicolon wins
      expect(table.columnNames).toEqual(['x,y,z', 'b']);
    });

    test('lets an explicit separator override detection', () => {
      // Given a header with more commas than semicolons, read as semicolon-separated
      const table = parseCsv('a,1;b,2\nx;y\n', { separator: ';' });

      // Then the explicit separator is used
      expect(table.columnNames).toEqual(['a,1', 'b,2']);
    });

    test('reads a file with a single column and no separator', () => {
      // Given one column
      const table = parseCsv('only\nx\ny\n');

      // Then one column is read
      expect(table.columnNames).toEqual(['only']);
      expect(table.rowCount).toBe(2);
    });
  });

  describe('errors', () => {
    test('names the source when the input is empty', () => {
      expect(parseError('').message).toMatch(/^customers\.csv is empty/);
      expect(parseError('\n\r\n').message).toMatch(/^customers\.csv is empty/);
    });

    test('names the line and the counts for a row with too few fields', () => {
      // Given line 3 with one field missing
      const error = parseError('a,b,c\n1,2,3\n4,5\n');

      // Then the message names source, line and counts
      expect(error.message).toMatch(/^customers\.csv line 3: expected 3 fields, found 2/);
    });

    test('names the line for a row with too many fields', () => {
      const error = parseError('a,b\n1,2\n3,4\n5,6,7\n');

      expect(error.message).toMatch(/^customers\.csv line 4: expected 2 fields, found 3/);
    });

    test('counts physical lines, including line breaks inside quoted fields', () => {
      // Given a quoted two-line field on lines 2-3 and a short row on line 4
      const error = parseError('a,b\n"multi\nline",1\nonly-one\n');

      // Then the short row is reported on line 4
      expect(error.message).toMatch(/line 4: expected 2 fields, found 1/);
    });

    test('hints at a blank line in the middle of a file with several columns', () => {
      const error = parseError('a,b\n1,2\n\n3,4\n');

      expect(error.message).toMatch(/line 3: expected 2 fields, found 1 \(a blank line\?\)/);
    });

    test('names the line and column of an unterminated quote', () => {
      // Given a quote opened on line 3 in column b and never closed
      const error = parseError('a,b\n1,2\n3,"open\n4,5\n');

      // Then the message points at where the quote opened
      expect(error.message).toMatch(/^customers\.csv line 3, column "b": unterminated quote/);
    });

    test('rejects text after a closing quote', () => {
      const error = parseError('a,b\n"x"y,2\n');

      expect(error.message).toMatch(/line 2, column "a": unexpected "y" after a closing quote/);
    });

    test('rejects an empty header name', () => {
      const error = parseError('a,,c\n1,2,3\n');

      expect(error.message).toMatch(/^customers\.csv line 1: header field 2 is empty/);
    });

    test('rejects duplicate header names, also after trimming', () => {
      const error = parseError('id,plan, id\n1,2,3\n');

      expect(error.message).toMatch(/^customers\.csv line 1: column name "id" appears twice \(fields 1 and 3\)/);
    });

    test('uses a generic source name when none is given', () => {
      expect(() => parseCsv('')).toThrow(/^CSV input is empty/);
    });
  });
});

describe('formatCsv', () => {
  test('writes a header, one line per row and a final newline', () => {
    // Given a table with text, numbers, booleans and a null
    const table: DataTable = {
      columnNames: ['id', 'score', 'active'],
      columns: [
        ['a', 'b'],
        [1.5, null],
        [true, false],
      ],
      rowCount: 2,
    };

    // When it is written
    const text = formatCsv(table);

    // Then null is an empty field
    expect(text).toBe('id,score,active\na,1.5,true\nb,,false\n');
  });

  test('quotes fields with separators, quotes and line breaks, and strings that would read back as missing', () => {
    // Given awkward strings
    const table: DataTable = {
      columnNames: ['text'],
      columns: [['a,b', 'say "hi"', 'two\nlines', '', 'NA']],
      rowCount: 5,
    };

    // When written
    const text = formatCsv(table);

    // Then each is quoted as RFC 4180 says
    expect(text).toBe('text\n"a,b"\n"say ""hi"""\n"two\nlines"\n""\n"NA"\n');
  });

  test('writes NA for a null in a one-column table so the row is not a blank line', () => {
    const table: DataTable = { columnNames: ['value'], columns: [['x', null]], rowCount: 2 };

    expect(formatCsv(table)).toBe('value\nx\nNA\n');
  });

  test('uses the given separator and quotes fields that contain it', () => {
    const table: DataTable = { columnNames: ['a', 'b'], columns: [['1;2'], ['3,4']], rowCount: 1 };

    expect(formatCsv(table, { separator: ';' })).toBe('a;b\n"1;2";3,4\n');
  });

  test('rejects a separator that cannot work', () => {
    const table: DataTable = { columnNames: ['a'], columns: [['1']], rowCount: 1 };

    expect(() => formatCsv(table, { separator: '"' })).toThrow(/received """/);
  });

  test('rejects a table with no columns', () => {
    expect(() => formatCsv({ columnNames: [], columns: [], rowCount: 0 })).toThrow(DataError);
  });
});

describe('parseCsv(formatCsv(table)) round trip', () => {
  // Column names: unique, non-empty and without surrounding spaces (parseCsv trims names).
  const columnName = fc.string({ minLength: 1, maxLength: 8 }).filter((name) => name.trim() === name && name !== '');
  // Any string, including empty, missing tokens, quotes, separators and line breaks, or null.
  const awkward = fc.constantFrom('', ',', ';', '\t', '"', '\n', '\r\n', '\r', ' ', ...MISSING_TOKENS);
  const cell: fc.Arbitrary<Cell> = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '9', 'é', '東'), awkward), maxLength: 6 }),
    awkward,
    fc.constant(null),
  );
  const table: fc.Arbitrary<DataTable> = fc
    .tuple(fc.uniqueArray(columnName, { minLength: 1, maxLength: 5 }), fc.nat({ max: 8 }))
    .chain(([names, rowCount]) =>
      fc
        .array(fc.array(cell, { minLength: rowCount, maxLength: rowCount }), {
          minLength: names.length,
          maxLength: names.length,
        })
        .map((columns) => ({ columnNames: names, columns, rowCount })),
    );

  test.each([',', ';', '\t'] as const)(
    'gives back the same table of strings and nulls with separator %j',
    (separator) => {
      fc.assert(
        fc.property(table, (original) => {
          // When a table is written and read back with the same separator
          const parsed = parseCsv(formatCsv(original, { separator }), { separator });

          // Then strings (empty ones and missing-token look-alikes included) stay strings and null stays null
          expect(parsed).toEqual(original);
        }),
        { numRuns: 300 },
      );
    },
  );

  test('detects the separator it was written with', () => {
    fc.assert(
      fc.property(table, fc.constantFrom(',', ';', '\t'), (original, separator) => {
        // Given a table with at least two columns, written without naming the separator on read
        fc.pre(original.columnNames.length >= 2);
        fc.pre(original.columnNames.every((name) => !/[,;\t]/.test(name)));

        // Then detection finds it
        expect(parseCsv(formatCsv(original, { separator }))).toEqual(original);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseCsv with numbers', () => {
  it('reads unquoted canonical decimals as numbers and keeps every other field as text', () => {
    const csv = 'a,b\n1.5,"2"\n-3,1.50\n0,007\n12,1e5\n-0,0.0000001\nNA,0.000001\n123456789012345,1234567890123456\n';
    const table = parseCsv(csv, { numbers: true });
    expect(table.columns[0]).toEqual([1.5, -3, 0, 12, '-0', null, 123456789012345]);
    expect(table.columns[1]).toEqual(['2', '1.50', '007', '1e5', '0.0000001', 0.000001, '1234567890123456']);
    expect(table.columnNames).toEqual(['a', 'b']);
  });

  it('keeps the text of every field: each number spells back to the field it came from', () => {
    const field = fc.oneof(
      fc.stringMatching(/^-?[0-9]{1,9}(\.[0-9]{1,9})?$/),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.constantFrom('x', '', 'NA', '1.0', '-0', '0.5'),
    );
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 30 }), (fields) => {
        const csv = `v\n${fields.map((f) => (f === '' ? '' : f)).join('\n')}\n`;
        const asText = parseCsv(csv);
        const withNumbers = parseCsv(csv, { numbers: true });
        expect(withNumbers.columns[0].map((cell) => (typeof cell === 'number' ? String(cell) : cell))).toEqual(
          asText.columns[0],
        );
      }),
      { numRuns: 500 },
    );
  });
});
