import { canonicalDecimalAt, spellsBack } from './decimal';
import { type Cell, DataError, type DataTable } from './table';

/**
 * Unquoted fields that mean "no value". Matched exactly (case and spacing included), so
 * `na` or ` NA` stay text. A QUOTED field is always taken literally: `"NA"` is the string NA
 * and `""` is the empty string, which is how formatCsv keeps such strings apart from null.
 */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None']);

export type CsvSeparator = ',' | ';' | '\t';

export interface ParseCsvOptions {
  /** Names the input in error messages, e.g. the file name. @default 'CSV input' */
  readonly source?: string;
  /** @default - detected from the header line: the most frequent of , ; and tab outside quotes, comma on a tie */
  readonly separator?: CsvSeparator;
  /**
   * Unquoted fields in canonical decimal spelling (core/data/decimal.ts) become numbers, which
   * spell back to the same text; every other field stays text. Training reads this way: a number
   * costs less to make and hold than a string and is parsed once. @default false
   */
  readonly numbers?: boolean;
}

export interface FormatCsvOptions {
  /** @default ',' */
  readonly separator?: string;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const COMMA = 44;
const SEMICOLON = 59;
const TAB = 9;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const UPPER_N = 78;
const LOWER_N = 110;

/**
 * MISSING_TOKENS.has(text.slice(start, end)) without hashing: most fields are numbers or words
 * that fail on the first character. Must list exactly the tokens of MISSING_TOKENS.
 */
function isMissingTokenAt(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length === 0) return true;
  if (length > 4) return false;
  const first = text.charCodeAt(start);
  if (first !== UPPER_N && first !== LOWER_N) return false;
  return MISSING_TOKENS.has(text.slice(start, end));
}

function decode(input: string | Uint8Array, source: string): string {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  try {
    // TextDecoder drops a leading UTF-8 BOM by default.
    return utf8.decode(input);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new DataError(`${source} is not valid UTF-8 text; re-save it as UTF-8 (or upload Parquet)`);
    }
    if (code === 'ERR_STRING_TOO_LONG') {
      throw new DataError(
        `${source} is ${Math.round(input.length / 1e6)} MB, more than one CSV text can hold in memory ` +
          '(about 536 million characters); split it into several files or upload Parquet',
      );
    }
    throw error;
  }
}

/** Counts each candidate separator on the first record, outside quotes. */
function detectSeparator(text: string): number {
  let commas = 0;
  let semicolons = 0;
  let tabs = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) inQuotes = !inQuotes;
    else if (inQuotes) continue;
    else if (code === LF || code === CR) break;
    else if (code === COMMA) commas++;
    else if (code === SEMICOLON) semicolons++;
    else if (code === TAB) tabs++;
  }
  if (semicolons > commas && semicolons >= tabs) return SEMICOLON;
  if (tabs > commas && tabs > semicolons) return TAB;
  return COMMA;
}

/** Index just past the line break at `i` (CRLF, LF or a lone CR), or `i` itself when there is none. */
function skipLineBreak(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code === CR) return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  if (code === LF) return i + 1;
  return i;
}

/** True when only line breaks remain from `i` on: blank lines at the end are not records. */
function onlyLineBreaksFrom(text: string, i: number): boolean {
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== LF && code !== CR) return false;
  }
  return true;
}

/**
 * Parses RFC-4180 CSV into a column-major table of strings, with missing tokens as null.
 * A header row is required; a header-only input gives a table with no rows.
 */
export function parseCsv(input: string | Uint8Array, options: ParseCsvOptions = {}): DataTable {
  const source = options.source ?? 'CSV input';
  const text = decode(input, source);
  if (onlyLineBreaksFrom(text, 0)) throw new DataError(`${source} is empty; expected a header row and data rows`);
  const separator = options.separator === undefined ? detectSeparator(text) : options.separator.charCodeAt(0);
  const readNumbers = options.numbers === true;

  // One pass over the text, every piece of state in a local variable (closures over mutable
  // locals would move them to the heap and slow the inner loops). `line` is the 1-based
  // physical line at `pos`; quoted fields may span lines.
  const length = text.length;
  let pos = 0;
  let line = 1;
  let recordLine = 1;
  let fieldIndex = 0;
  let inHeader = true;
  const headerFields: string[] = [];
  let columnNames: string[] = [];
  let columns: Cell[][] = [];
  let columnCount = 0;
  let rowCount = 0;

  while (pos < length) {
    if (fieldIndex === 0) {
      recordLine = line;
      if (!inHeader && onlyLineBreaksFrom(text, pos)) break;
    }
    let code = text.charCodeAt(pos);
    let fieldText: string;
    let cell: Cell;
    let end: number;
    if (code === QUOTE) {
      const openedLine = line;
      fieldText = '';
      let chunkStart = pos + 1;
      end = chunkStart;
      for (;;) {
        if (end >= length) {
          throw new DataError(
            `${source} line ${openedLine}, ${fieldLabel(inHeader ? [] : columnNames, fieldIndex)}: unterminated quote; ` +
              'close the field with " and write a quote inside a field as ""',
          );
        }
        code = text.charCodeAt(end);
        if (code === QUOTE) {
          if (text.charCodeAt(end + 1) === QUOTE) {
            fieldText += text.slice(chunkStart, end + 1);
            end += 2;
            chunkStart = end;
            continue;
          }
          fieldText += text.slice(chunkStart, end);
          end++;
          break;
        }
        if (code === LF || (code === CR && text.charCodeAt(end + 1) !== LF)) line++;
        end++;
      }
      cell = fieldText;
      code = text.charCodeAt(end);
      if (end < length && code !== separator && code !== LF && code !== CR) {
        throw new DataError(
          `${source} line ${line}, ${fieldLabel(inHeader ? [] : columnNames, fieldIndex)}: ` +
            `unexpected "${text[end]}" after a closing quote; a field that starts with a quote must end with one`,
        );
      }
    } else {
      end = pos;
      while (end < length) {
        code = text.charCodeAt(end);
        if (code === separator || code === LF || code === CR) break;
        end++;
      }
      const value = readNumbers && !inHeader ? canonicalDecimalAt(text, pos, end) : Number.NaN;
      if (!Number.isNaN(value) && spellsBack(value)) {
        cell = value;
        fieldText = '';
      } else {
        fieldText = end === pos ? '' : text.slice(pos, end);
        cell = isMissingTokenAt(text, pos, end) ? null : fieldText;
      }
    }

    if (inHeader) headerFields.push(fieldText);
    else if (fieldIndex < columnCount) columns[fieldIndex][rowCount] = cell;
    fieldIndex++;

    // `end` is at the separator, a line break or the end of input.
    let recordEnds = true;
    if (end < length && text.charCodeAt(end) === separator) {
      pos = end + 1;
      // A separator right before the end of input leaves one more, empty, field.
      recordEnds = pos >= length;
      if (recordEnds) {
        if (inHeader) headerFields.push('');
        else if (fieldIndex < columnCount) columns[fieldIndex][rowCount] = null;
        fieldIndex++;
      }
    } else {
      pos = skipLineBreak(text, end);
      if (pos > end) line++;
    }
    if (!recordEnds) continue;

    if (inHeader) {
      columnNames = checkHeader(headerFields, source);
      columnCount = columnNames.length;
      // Sized once from the line count (an upper bound on rows): growing 1M-element arrays
      // by push copies them repeatedly and leaves that garbage to the collector.
      const expectedRows = Math.min(countLineBreaks(text, pos), MAX_PREALLOCATED_ROWS);
      columns = columnNames.map(() => new Array<Cell>(expectedRows));
      inHeader = false;
    } else {
      if (fieldIndex !== columnCount) {
        const hint = fieldIndex === 1 && columnCount > 1 ? ' (a blank line?)' : '';
        throw new DataError(
          `${source} line ${recordLine}: expected ${columnCount} fields, found ${fieldIndex}${hint}; ` +
            'quote fields that contain the separator',
        );
      }
      rowCount++;
    }
    fieldIndex = 0;
  }
  for (const column of columns) column.length = rowCount;
  return { columnNames, columns, rowCount };
}

/** Beyond this V8 makes `new Array(n)` a slow dictionary array; larger inputs grow as they go. */
const MAX_PREALLOCATED_ROWS = 30_000_000;

function countLineBreaks(text: string, from: number): number {
  let count = 1;
  for (let at = text.indexOf('\n', from); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

function fieldLabel(columnNames: readonly string[], index: number): string {
  const name = columnNames[index];
  return name === undefined ? `field ${index + 1}` : `column "${name}"`;
}

function checkHeader(fields: string[], source: string): string[] {
  const names = fields.map((field) => field.trim());
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '') {
      throw new DataError(`${source} line 1: header field ${index + 1} is empty; every column needs a name`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new DataError(
        `${source} line 1: column name "${name}" appears twice (fields ${first + 1} and ${index + 1}); ` +
          'column names must be unique',
      );
    }
    seen.set(name, index);
  });
  return names;
}

function needsQuotes(text: string, separator: number): boolean {
  const length = text.length;
  if (isMissingTokenAt(text, 0, length)) return true;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === separator || code === QUOTE || code === LF || code === CR) return true;
  }
  return false;
}

function formatField(cell: Cell, separator: number): string {
  if (cell === null) return '';
  if (typeof cell !== 'string') return typeof cell === 'number' && Number.isNaN(cell) ? '' : String(cell);
  return needsQuotes(cell, separator) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/**
 * Writes a header and one line per row, LF line ends and a final newline. Null (and NaN) cells
 * are written as empty fields; strings that would read back as missing (empty, NA, ...) are
 * quoted so parseCsv returns them as the same strings. A row of one null cell is written as NA,
 * because an empty line at the end of a file would be dropped as a blank line.
 */
export function formatCsv(table: DataTable, options: FormatCsvOptions = {}): string {
  const separator = options.separator ?? ',';
  if (table.columnNames.length === 0) throw new DataError('cannot write a CSV file for a table with no columns');
  if (separator.length !== 1 || separator === '"' || separator === '\n' || separator === '\r') {
    throw new DataError(`separator must be one character other than a quote or line break; received "${separator}"`);
  }
  const separatorCode = separator.charCodeAt(0);
  const lines: string[] = new Array(table.rowCount + 1);
  lines[0] = table.columnNames.map((name) => formatField(name, separatorCode)).join(separator);
  const columns = table.columns;
  const width = columns.length;
  for (let row = 0; row < table.rowCount; row++) {
    let text = formatField(columns[0][row], separatorCode);
    for (let column = 1; column < width; column++) {
      text += separator + formatField(columns[column][row], separatorCode);
    }
    lines[row + 1] = width === 1 && text === '' ? 'NA' : text;
  }
  return `${lines.join('\n')}\n`;
}
