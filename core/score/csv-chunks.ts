import type { CsvSeparator } from '../data/csv';
import { DataError } from '../data/table';

/**
 * Splits a CSV byte stream into chunks of whole records without loading the file: a record
 * boundary is a line break outside a quoted field, under the same rules as parseCsv (a field is
 * quoted only when its first character is a quote; `""` inside it is an escaped quote). Each
 * chunk can then be parsed on its own with parseCsv after the header line.
 */

const QUOTE = 34;
const LF = 10;
const CR = 13;

export interface CsvChunk {
  /** Whole records, ending with their line break (the last chunk may end without one). */
  readonly text: string;
  /** 1-based physical line of the chunk's first record, counting lines inside quoted fields. */
  readonly firstLine: number;
}

export interface CsvChunkStream {
  /** The header record's text, without its line break. */
  readonly header: string;
  readonly separator: CsvSeparator;
  readonly chunks: AsyncIterable<CsvChunk>;
}

export interface CsvChunkOptions {
  /** Names the input in errors. */
  readonly source: string;
  /** A chunk is cut at the first record boundary past this many characters. @default 1_000_000 */
  readonly chunkChars?: number;
  /** @default - detected from the header line as parseCsv does: the most frequent of , ; and tab outside quotes */
  readonly separator?: CsvSeparator;
}

/** Scanner state between calls, so each character is examined once however the bytes arrive. */
interface ScanState {
  /** At the first character of a field. */
  fieldStart: boolean;
  inQuotes: boolean;
  /** Inside a quoted field, the previous character was a quote (closing, or the first of `""`). */
  quotePending: boolean;
}

const newScanState = (): ScanState => ({ fieldStart: true, inQuotes: false, quotePending: false });

/**
 * Advances the scanner over text[from, to) and returns the offset just past the last record
 * boundary seen, or -1. A CR as the last character is left unscanned (it may start a CRLF), so
 * the caller resumes at the returned `scanned` offset.
 */
function scanBoundaries(
  text: string,
  from: number,
  to: number,
  separator: number,
  state: ScanState,
  final: boolean,
  stopAtFirst = false,
): { lastBoundary: number; scanned: number } {
  let lastBoundary = -1;
  let i = from;
  for (; i < to; i++) {
    const code = text.charCodeAt(i);
    if (state.inQuotes) {
      if (state.quotePending) {
        state.quotePending = false;
        if (code === QUOTE) continue; // `""`: an escaped quote, still inside
        state.inQuotes = false; // the previous quote closed the field; this character is outside
      } else {
        if (code === QUOTE) state.quotePending = true;
        continue;
      }
    }
    if (code === QUOTE && state.fieldStart) {
      state.inQuotes = true;
      state.fieldStart = false;
      continue;
    }
    if (code === separator) {
      state.fieldStart = true;
    } else if (code === LF) {
      state.fieldStart = true;
      lastBoundary = i + 1;
      if (stopAtFirst) return { lastBoundary, scanned: i + 1 };
    } else if (code === CR) {
      if (i + 1 >= to && !final) break;
      if (text.charCodeAt(i + 1) !== LF) {
        state.fieldStart = true;
        lastBoundary = i + 1;
        if (stopAtFirst) return { lastBoundary, scanned: i + 1 };
      }
    } else {
      state.fieldStart = false;
    }
  }
  if (state.quotePending && i >= to && final) {
    state.quotePending = false;
    state.inQuotes = false;
  }
  return { lastBoundary, scanned: i };
}

/** Physical line breaks in text as parseCsv counts them (CRLF once, lone CR and LF once each). */
export function countLines(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === LF || (code === CR && text.charCodeAt(i + 1) !== LF)) count++;
  }
  return count;
}

/** Splits whole-record text into its records (each with its line break) and their first lines. */
export function splitRecords(text: string, separator: CsvSeparator, firstLine: number): CsvChunk[] {
  const records: CsvChunk[] = [];
  const state = newScanState();
  const separatorCode = separator.charCodeAt(0);
  let start = 0;
  let line = firstLine;
  while (start < text.length) {
    const end = firstBoundary(text, start, separatorCode, state);
    const record = text.slice(start, end);
    records.push({ text: record, firstLine: line });
    line += countLines(record);
    start = end;
  }
  return records;
}

function firstBoundary(text: string, from: number, separator: number, state: ScanState): number {
  const { lastBoundary } = scanBoundaries(text, from, text.length, separator, state, true, true);
  return lastBoundary === -1 ? text.length : lastBoundary;
}

/** The separator parseCsv detects on the text's first line: most frequent of , ; tab outside quotes, comma on a tie. */
export function detectSeparator(header: string): CsvSeparator {
  let commas = 0;
  let semicolons = 0;
  let tabs = 0;
  let inQuotes = false;
  for (const char of header) {
    if (char === '"') inQuotes = !inQuotes;
    else if (inQuotes) continue;
    else if (char === '\n' || char === '\r') break;
    else if (char === ',') commas++;
    else if (char === ';') semicolons++;
    else if (char === '\t') tabs++;
  }
  if (semicolons > commas && semicolons >= tabs) return ';';
  if (tabs > commas && tabs > semicolons) return '\t';
  return ',';
}

/**
 * Reads the header record, then yields chunks of whole records of about `chunkChars` characters.
 * Bytes are decoded as UTF-8 as they arrive (a leading BOM is dropped); invalid UTF-8 is a DataError.
 */
export async function csvChunks(bytes: AsyncIterable<Uint8Array>, options: CsvChunkOptions): Promise<CsvChunkStream> {
  const chunkChars = options.chunkChars ?? 1_000_000;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const iterator = bytes[Symbol.asyncIterator]();
  const decode = (part: Uint8Array | undefined): string => {
    try {
      return part === undefined ? decoder.decode() : decoder.decode(part, { stream: true });
    } catch {
      throw new DataError(`${options.source} is not valid UTF-8 text; re-save it as UTF-8 (or upload Parquet)`);
    }
  };

  let pending = '';
  let done = false;
  const readMore = async (): Promise<void> => {
    const next = await iterator.next();
    done = next.done === true;
    pending += decode(done ? undefined : next.value);
  };
  // The separator is detected on the first physical line, as parseCsv does.
  while (!done && !/[\r\n]/.test(pending)) await readMore();
  const separator = options.separator ?? detectSeparator(pending);
  const separatorCode = separator.charCodeAt(0);
  // The header ends at its record boundary (a quoted header field may hold a line break).
  let state = newScanState();
  let scanned = 0;
  let headerEnd = -1;
  for (;;) {
    const { lastBoundary, scanned: upTo } = scanBoundaries(
      pending,
      scanned,
      pending.length,
      separatorCode,
      state,
      done,
      true,
    );
    scanned = upTo;
    if (lastBoundary !== -1) {
      headerEnd = lastBoundary;
      break;
    }
    if (done) {
      headerEnd = pending.length;
      break;
    }
    await readMore();
  }
  const headerWithBreak = pending.slice(0, headerEnd);
  const header = headerWithBreak.replace(/\r?\n$|\r$/, '');
  if (header.trim() === '') throw new DataError(`${options.source} is empty; expected a header row and data rows`);
  let line = 1 + countLines(headerWithBreak);
  pending = pending.slice(headerEnd);
  state = newScanState();
  scanned = 0;

  async function* generate(): AsyncGenerator<CsvChunk> {
    let cut = 0;
    for (;;) {
      const { lastBoundary, scanned: upTo } = scanBoundaries(
        pending,
        scanned,
        pending.length,
        separatorCode,
        state,
        done,
      );
      scanned = upTo;
      if (lastBoundary !== -1) cut = lastBoundary;
      if (cut >= chunkChars || (done && pending.length > 0)) {
        const end = done ? pending.length : cut;
        const text = pending.slice(0, end);
        yield { text, firstLine: line };
        line += countLines(text);
        pending = pending.slice(end);
        scanned -= end;
        cut = 0;
        continue;
      }
      if (done) return;
      await readMore();
    }
  }

  return { header, separator, chunks: generate() };
}
