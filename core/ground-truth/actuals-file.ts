import { clipText, MAX_ECHOED } from '../text/clip';
import { type ActualLabel, checkActualLabel, checkPredictionId, type FeedbackActual } from './records';

/**
 * Actuals uploaded as files under `feedback/<model>/` in the raw zone: CSV with a header naming
 * `id` and `label` (other columns ignored, RFC 4180 quoting, comma-separated) or JSON Lines of
 * `{"id", "label"}` objects. A bad line is counted and reported by line number, never fatal: one
 * typo must not drop a million good outcomes. Only what makes the whole file unreadable (too
 * large, not UTF-8, no `id`/`label` header) rejects it.
 */

/** Largest actuals file read: 20 million short lines, well inside one V8 string (about 512 MB). */
export const MAX_ACTUALS_FILE_BYTES = 256 * 1024 * 1024;

export type ActualsFileFormat = 'csv' | 'jsonl';

export interface BadLine {
  /** 1-based; a CSV record spanning lines (a quoted newline) is reported at its first line. */
  readonly line: number;
  readonly reason: string;
}

export interface ParsedActualsFile {
  readonly actuals: FeedbackActual[];
  /** Data lines read (not the header, not blank lines). */
  readonly lines: number;
  readonly badLineCount: number;
  /** The first `maxReported` bad lines. */
  readonly badLines: BadLine[];
  /** Set when the file as a whole could not be read; `actuals` is then empty. */
  readonly rejected?: string;
}

export interface ParseActualsOptions {
  /** @default MAX_ACTUALS_FILE_BYTES */
  readonly maxBytes?: number;
  /** Bad lines reported individually; the rest are only counted. @default MAX_ECHOED (20) */
  readonly maxReported?: number;
}

/** The format a key's extension names, or null for a file that is not actuals (ignored by the join). */
export function actualsFileFormat(key: string): ActualsFileFormat | null {
  const lower = key.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseActualsFile(
  bytes: Uint8Array,
  format: ActualsFileFormat,
  options: ParseActualsOptions = {},
): ParsedActualsFile {
  const maxBytes = options.maxBytes ?? MAX_ACTUALS_FILE_BYTES;
  const collector = new Collector(options.maxReported ?? MAX_ECHOED);
  if (bytes.byteLength > maxBytes) {
    return collector.reject(
      `the file holds ${bytes.byteLength} bytes, more than ${maxBytes}; split it into smaller files`,
    );
  }
  let text: string;
  try {
    // Drops a leading UTF-8 byte order mark, as spreadsheet exports often have one.
    text = utf8.decode(bytes);
  } catch {
    return collector.reject('the file is not valid UTF-8 text; re-save it as UTF-8');
  }
  if (format === 'jsonl') parseJsonLines(text, collector);
  else parseCsvActuals(text, collector);
  return collector.result();
}

class Collector {
  readonly actuals: FeedbackActual[] = [];
  lines = 0;
  badLineCount = 0;
  readonly badLines: BadLine[] = [];
  private rejected?: string;

  constructor(private readonly maxReported: number) {}

  bad(line: number, reason: string): void {
    this.badLineCount++;
    if (this.badLines.length < this.maxReported) this.badLines.push({ line, reason });
  }

  /** Adds the actual, or counts the line bad with the id or label problem. */
  add(line: number, id: unknown, label: unknown): void {
    const idProblem = checkPredictionId(id);
    const labelProblem = idProblem ? null : checkActualLabel(label);
    if (idProblem) this.bad(line, `id ${idProblem}`);
    else if (labelProblem) this.bad(line, `label ${labelProblem}`);
    else this.actuals.push({ id: id as string, label: label as ActualLabel });
  }

  reject(reason: string): ParsedActualsFile {
    this.rejected = reason;
    return this.result();
  }

  result(): ParsedActualsFile {
    if (this.rejected !== undefined) {
      return { actuals: [], lines: 0, badLineCount: 0, badLines: [], rejected: this.rejected };
    }
    return { actuals: this.actuals, lines: this.lines, badLineCount: this.badLineCount, badLines: this.badLines };
  }
}

function parseJsonLines(text: string, collector: Collector): void {
  let start = 0;
  let lineNumber = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNumber++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    collector.lines++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      collector.bad(lineNumber, `not valid JSON: ${clipText(line)}`);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      collector.bad(lineNumber, 'not a JSON object {"id", "label"}');
      continue;
    }
    const { id, label } = value as { id?: unknown; label?: unknown };
    collector.add(lineNumber, id, label);
  }
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
  /** Set when the record's quoting is broken; `fields` is then unreliable. */
  readonly problem?: string;
}

/**
 * RFC 4180 records with the line each starts on. A broken record (text after a closing quote)
 * is returned with its problem and reading resumes at the next line; an unterminated quote
 * swallows the rest of the file, so it is reported once and reading stops.
 */
function* csvRecords(text: string): Generator<CsvRecord> {
  let position = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (position < text.length) {
    const startLine = line;
    const fields: string[] = [];
    let problem: string | undefined;
    for (;;) {
      let field = '';
      if (text.charCodeAt(position) === QUOTE) {
        position++;
        let closed = false;
        while (position < text.length) {
          const next = text.indexOf('"', position);
          if (next < 0) break;
          field += text.slice(position, next);
          for (let i = position; i < next; i++) if (text.charCodeAt(i) === LF) line++;
          if (text.charCodeAt(next + 1) === QUOTE) {
            field += '"';
            position = next + 2;
            continue;
          }
          position = next + 1;
          closed = true;
          break;
        }
        if (!closed) {
          yield {
            line: startLine,
            fields,
            problem: 'a quoted field is never closed (the rest of the file is skipped)',
          };
          return;
        }
        const after = text.charCodeAt(position);
        if (position < text.length && after !== COMMA && after !== LF && after !== CR) {
          problem = 'text after a closing quote; quote the whole field and double quotes inside it';
        }
      } else {
        let end = position;
        while (end < text.length) {
          const code = text.charCodeAt(end);
          if (code === COMMA || code === LF || code === CR) break;
          end++;
        }
        field = text.slice(position, end);
        position = end;
      }
      if (problem) {
        // Skip to the end of this line and report the record as broken.
        const newline = text.indexOf('\n', position);
        position = newline < 0 ? text.length : newline + 1;
        line++;
        yield { line: startLine, fields, problem };
        break;
      }
      fields.push(field);
      const code = text.charCodeAt(position);
      if (code === COMMA) {
        position++;
        continue;
      }
      if (code === CR) position++;
      if (text.charCodeAt(position) === LF) position++;
      line++;
      yield { line: startLine, fields };
      break;
    }
  }
}

function parseCsvActuals(text: string, collector: Collector): void {
  const records = csvRecords(text);
  let header: CsvRecord | undefined;
  // Not a for-of with break: that would close the generator before the data records.
  for (let next = records.next(); !next.done; next = records.next()) {
    if (!isBlank(next.value)) {
      header = next.value;
      break;
    }
  }
  if (header === undefined || header.problem) {
    collector.reject(
      header === undefined ? 'the file is empty; the first line must name the columns id,label' : header.problem!,
    );
    return;
  }
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const idColumn = names.indexOf('id');
  const labelColumn = names.indexOf('label');
  if (idColumn < 0 || labelColumn < 0) {
    collector.reject(
      `the header must name the columns id and label; found ${header.fields.map((name) => `"${clipText(name)}"`).join(', ')}`,
    );
    return;
  }
  const needed = Math.max(idColumn, labelColumn) + 1;
  for (const record of records) {
    if (isBlank(record)) continue;
    collector.lines++;
    if (record.problem) {
      collector.bad(record.line, record.problem);
      continue;
    }
    if (record.fields.length < needed) {
      collector.bad(record.line, `${record.fields.length} field(s); the header names ${header.fields.length}`);
      continue;
    }
    const label = record.fields[labelColumn];
    collector.add(record.line, record.fields[idColumn], label === '' ? undefined : label);
  }
}

function isBlank(record: CsvRecord): boolean {
  return !record.problem && record.fields.length === 1 && record.fields[0].trim() === '';
}
