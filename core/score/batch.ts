// Over 450 lines on purpose: the CSV and Parquet entry points and ScoredRowWriter (one object's state: ids seen, counts, the prediction log) change together; split apart, each half would import the other's types and constants.

import type { FeatureViewConfig } from '../config/feature-view-schema';
import { type CsvSeparator, formatCsv, parseCsv } from '../data/csv';
import { readParquet } from '../data/parquet';
import { type Cell, DataError, type DataTable, takeRows } from '../data/table';
import { lookupFeatures, mergeIntoTable, tableLookupRows, viewFeaturesOfModel } from '../feature-views/lookup';
import type { OnlineFeatureStore } from '../feature-views/online-store';
import {
  callerIdOf,
  type PredictionBatches,
  predictionLines,
  recordableFeatureNames,
  recordedFeaturesOfRows,
} from '../ground-truth/prediction-log';
import { checkPredictionId, predictionIdsAt } from '../ground-truth/records';
import { SeenIds } from '../ground-truth/seen-ids';
import { cellToBoolean, cellToNumber } from '../schema/values';
import { clipText } from '../text/clip';
import { type CsvChunk, csvChunks, splitRecords } from './csv-chunks';
import { InputError, type Scorer } from './scorer';

/**
 * Batch scoring of one object (CSV streamed in chunks, or Parquet read whole), with the one
 * Scorer every path uses. Output: the input's columns plus `id`, `score` (and `label` for binary
 * models), one row per good input row, in input order. A row that cannot be read or has a value
 * of the wrong type goes to the errors sink (one JSON line: its line, the reason, the record)
 * and never fails the object or its neighbours. Pure: bytes in, text out, no AWS.
 *
 * Prediction ids, as the endpoint and the stream scorer give them: the caller's own from the
 * `idField` column where the row has one (a row whose id is not a valid prediction id is
 * rejected, naming the column), else a new id of ours. With a prediction log, every scored row is
 * recorded for the ground-truth join as it is scored, in batches (memory stays bounded). An id
 * that repeats an earlier row's in the same object is scored but not recorded (the join could
 * not tell which prediction an outcome belongs to; the first one keeps it), counted and named in
 * a warning: a million-row file with a few duplicate order ids still scores whole, where the
 * endpoint's 4xx for the same mistake in one request would throw away every other row.
 */

/** Where scored rows and error lines go. `write` resolves when the text is accepted (back-pressure). */
export interface TextSink {
  write(text: string): Promise<void>;
}

export interface BatchScoreSinks {
  /** CSV: a header, then one line per scored row. */
  readonly output: TextSink;
  /** JSON lines, one per rejected row (see ScoringErrorLine). */
  readonly errors: TextSink;
}

export interface BatchScoreOptions {
  /** Names the input in messages (a file name or s3:// URI). */
  readonly source: string;
  /** CSV chunk size in characters: memory per chunk is a small multiple of it. @default 1_000_000 */
  readonly chunkChars?: number;
  /** Parquet rows scored at a time. @default 20_000 */
  readonly chunkRows?: number;
  /** Absent or null features: imputed as in training, or the row is rejected. @default 'impute' */
  readonly missingFeatures?: 'impute' | 'reject';
  /** The column with the caller's own prediction id (the model's predictions.idField). @default none: every id is ours */
  readonly idField?: string;
  /** Where scored rows are recorded for the ground-truth join, under which registry version. @default none: not recorded */
  readonly predictionLog?: { readonly batches: PredictionBatches; readonly version: number };
  /** Recorded predictions carry each row's feature values (the model trains on its feedback). @default false */
  readonly recordFeatures?: boolean;
  /** The time of the ids of ours and of the recorded predictions. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * A model with a feature view: rows with the entity key get the view features they lack from
   * the online store, one read per chunk (core/feature-views/lookup.ts); a row of an unknown
   * entity under onMissingEntity 'reject' goes to the errors sink. A store failure throws (the
   * job is retried). @default none
   */
  readonly featureLookup?: BatchFeatureLookup;
}

export interface BatchFeatureLookup {
  readonly view: FeatureViewConfig;
  readonly store: OnlineFeatureStore;
  /** Names the store in errors (the DynamoDB table). */
  readonly storeName: string;
}

/** Feature-view warnings kept per object; the rest are counted. */
export const MAX_LOOKUP_WARNINGS = 10;

export interface BatchScoreCounts {
  readonly format: 'csv' | 'parquet';
  /** Data rows seen (scored + failed). */
  readonly rowsRead: number;
  readonly rowsScored: number;
  readonly rowsFailed: number;
  /** Scored rows handed to the prediction log (0 without one). */
  readonly predictionsLogged: number;
  /** Scored rows whose caller id repeats an earlier row's: scored, not logged. */
  readonly repeatedIds: number;
  /** File-level notes, e.g. feature columns absent from the header (imputed). */
  readonly warnings: readonly string[];
}

/** One line of the errors file. CSV rows carry `line` (physical, 1-based, header = 1); Parquet rows `row` (1-based data row). */
export interface ScoringErrorLine {
  readonly line?: number;
  readonly row?: number;
  readonly reason: string;
  /** The record's text (CSV) or cells (Parquet), cut to MAX_ERROR_RECORD_CHARS characters. */
  readonly record: string | Readonly<Record<string, Cell>>;
}

export const PREDICTION_COLUMNS = ['id', 'score', 'label'] as const;
export const MAX_ERROR_RECORD_CHARS = 1000;
/** Repeated ids named in the object's warning; the rest are counted. */
export const MAX_NAMED_REPEATS = 5;

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31];

/** Scores one object, choosing Parquet when its bytes start with `PAR1` or the name ends in .parquet. */
export async function scoreObject(
  scorer: Scorer,
  bytes: AsyncIterable<Uint8Array>,
  sinks: BatchScoreSinks,
  options: BatchScoreOptions,
): Promise<BatchScoreCounts> {
  const iterator = bytes[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? new Uint8Array() : first.value;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => {
      let sentHead = first.done === true;
      return {
        next: async () => {
          if (!sentHead) {
            sentHead = true;
            return { done: false, value: head };
          }
          return iterator.next();
        },
      };
    },
  };
  const parquet =
    PARQUET_MAGIC.every((byte, index) => head[index] === byte) || options.source.toLowerCase().endsWith('.parquet');
  if (!parquet) return scoreCsvStream(scorer, rest, sinks, options);
  // Parquet's footer holds the schema, so it is read whole: it must fit in memory.
  const parts: Uint8Array[] = [];
  for await (const part of rest) parts.push(part);
  const table = await readParquet(Buffer.concat(parts), { source: options.source });
  return scoreParquetTable(scorer, table, sinks, options);
}

/** Streams CSV: header, then chunks of whole records, each parsed, checked, scored and written before the next is read. */
export async function scoreCsvStream(
  scorer: Scorer,
  bytes: AsyncIterable<Uint8Array>,
  sinks: BatchScoreSinks,
  options: BatchScoreOptions,
): Promise<BatchScoreCounts> {
  const stream = await csvChunks(bytes, { source: options.source, chunkChars: options.chunkChars });
  const { header, separator } = stream;
  // Header problems (empty or duplicate names) concern every row: the object fails as a whole.
  const columnNames = parseCsv(`${header}\n`, { source: options.source, separator }).columnNames;
  const writer = new ScoredRowWriter(scorer, columnNames, sinks, options, 'csv');
  await writer.writeHeader();
  for await (const chunk of stream.chunks) {
    const parsed = parseChunk(chunk, header, separator);
    for (const error of parsed.errors) await writer.reject(error);
    // Line numbers are worked out only for a chunk with a rejected row or caller ids.
    const recordsOf = () => {
      parsed.records ??= splitRecords(chunk.text, separator, chunk.firstLine);
      return parsed.records;
    };
    await writer.scoreRows(
      parsed.table,
      (row) => {
        const record = recordsOf()[row];
        return { line: record.firstLine, record: cut(record.text.replace(/\r?\n$|\r$/, '')) };
      },
      (row) => recordsOf()[row].firstLine,
    );
  }
  return writer.counts('csv');
}

/** Scores a table already in memory (Parquet) in slices of `chunkRows`. */
export async function scoreParquetTable(
  scorer: Scorer,
  table: DataTable,
  sinks: BatchScoreSinks,
  options: BatchScoreOptions,
): Promise<BatchScoreCounts> {
  const chunkRows = options.chunkRows ?? 20_000;
  if (!Number.isInteger(chunkRows) || chunkRows < 1)
    throw new Error(`chunkRows must be a positive integer, received ${chunkRows}`);
  const writer = new ScoredRowWriter(scorer, table.columnNames, sinks, options, 'parquet');
  await writer.writeHeader();
  for (let start = 0; start < table.rowCount; start += chunkRows) {
    const end = Math.min(start + chunkRows, table.rowCount);
    const indexes = Array.from({ length: end - start }, (_, i) => start + i);
    const slice = takeRows(table, indexes);
    await writer.scoreRows(
      slice,
      (row) => ({ row: start + row + 1, record: rowRecord(slice, row) }),
      (row) => start + row + 1,
    );
  }
  return writer.counts('parquet');
}

interface ParsedChunk {
  readonly table: DataTable;
  /** The chunk's records, when already split (after a parse failure): row i is records[i]. */
  records?: CsvChunk[];
  readonly errors: ScoringErrorLine[];
}

/** Parses a chunk in one go; when that fails, record by record, so only the unreadable records are rejected. */
function parseChunk(chunk: CsvChunk, header: string, separator: CsvSeparator): ParsedChunk {
  try {
    return { table: parseCsv(`${header}\n${chunk.text}`, { source: 'record', separator }), errors: [] };
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
  }
  const good: CsvChunk[] = [];
  const errors: ScoringErrorLine[] = [];
  for (const record of splitRecords(chunk.text, separator, chunk.firstLine)) {
    if (/^[\r\n]*$/.test(record.text)) continue; // a blank line is not a record
    try {
      parseCsv(`${header}\n${record.text}`, { source: 'record', separator });
      good.push(record);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      const reason = error.message.replace(/^record line \d+(: |, )/, '');
      errors.push({ line: record.firstLine, reason, record: cut(record.text.replace(/\r?\n$|\r$/, '')) });
    }
  }
  const text = good.map((record) => (/[\r\n]$/.test(record.text) ? record.text : `${record.text}\n`)).join('');
  return { table: parseCsv(`${header}\n${text}`, { source: 'record', separator }), records: good, errors };
}

type RowOrigin = Pick<ScoringErrorLine, 'line' | 'row' | 'record'>;

/** Checks, scores and writes rows; keeps the counts. One per object. */
class ScoredRowWriter {
  private rowsRead = 0;
  private rowsScored = 0;
  private rowsFailed = 0;
  private predictionsLogged = 0;
  private repeatedIds = 0;
  private lookupWarnings = 0;
  private rowsFromStore = 0;
  private readonly repeats: string[] = [];
  private readonly warnings: string[] = [];
  private readonly features: ReadonlyArray<{ name: string; type: 'numeric' | 'categorical' | 'boolean' }>;
  /** Input columns copied to the output: all but those named like a prediction column. */
  private readonly passThrough: number[];
  private readonly outputNames: string[];
  private readonly headerLength: number;
  private readonly binary: boolean;
  /** Where the caller's ids are in the input, or -1. */
  private readonly idColumn: number;
  private readonly seenIds = new SeenIds();
  /** CSV: lines; Parquet: rows. */
  private readonly positionWord: string;

  constructor(
    private readonly scorer: Scorer,
    columnNames: readonly string[],
    private readonly sinks: BatchScoreSinks,
    private readonly options: BatchScoreOptions,
    format: 'csv' | 'parquet',
  ) {
    this.features = scorer.artifact.schema.columns.filter((column) => column.role === 'feature');
    this.binary = scorer.artifact.target.task === 'binary';
    this.positionWord = format === 'csv' ? 'line' : 'row';
    const predictionNames: readonly string[] = this.binary ? PREDICTION_COLUMNS : ['id', 'score'];
    this.passThrough = columnNames.flatMap((name, index) => (predictionNames.includes(name) ? [] : [index]));
    // An idField named `id` is replaced by itself: nothing to warn about.
    const replaced = columnNames.filter((name) => predictionNames.includes(name) && name !== options.idField);
    if (replaced.length > 0) {
      this.warnings.push(`input column(s) ${replaced.join(', ')} replaced by the model's prediction in the output`);
    }
    this.outputNames = [...this.passThrough.map((index) => columnNames[index]), ...predictionNames];
    this.idColumn = options.idField === undefined ? -1 : columnNames.indexOf(options.idField);
    if (options.idField !== undefined && this.idColumn === -1) {
      this.warnings.push(
        `id column ${clipText(options.idField)} (predictions.idField) absent from the header: every row gets an id of ours`,
      );
    }
    // The features a feature view provides are looked up per row, not absent.
    const fromView = new Set(
      options.featureLookup
        ? viewFeaturesOfModel(
            options.featureLookup.view,
            this.features.map((feature) => feature.name),
          )
        : [],
    );
    const absent = this.features
      .filter((feature) => !columnNames.includes(feature.name) && !fromView.has(feature.name))
      .map((f) => f.name);
    if (absent.length > 0) {
      if (this.options.missingFeatures === 'reject') {
        this.warnings.push(`feature column(s) ${absent.join(', ')} absent from the header: every row is rejected`);
      } else {
        for (const { treatment, names } of scorer.missingGroups(absent)) {
          this.warnings.push(`feature column(s) ${names.join(', ')} absent from the header: ${treatment}`);
        }
      }
    }
    this.headerLength = this.formatHeader().length;
  }

  private formatHeader(): string {
    return formatCsv({ columnNames: this.outputNames, columns: this.outputNames.map(() => []), rowCount: 0 });
  }

  async writeHeader(): Promise<void> {
    await this.sinks.output.write(this.formatHeader());
  }

  async reject(error: ScoringErrorLine): Promise<void> {
    this.rowsRead++;
    this.rowsFailed++;
    await this.sinks.errors.write(`${JSON.stringify(error)}\n`);
  }

  /**
   * Scores the rows of `table` that pass the model's type checks and carry a valid id (if any);
   * the others go to the errors sink. `positionOf(row)` is the row's line (CSV) or row number
   * (Parquet), asked only for rows with a caller id.
   */
  async scoreRows(
    table: DataTable,
    originOf: (row: number) => RowOrigin,
    positionOf: (row: number) => number,
  ): Promise<void> {
    if (table.rowCount === 0) return;
    const { merged, rejected } = await this.withViewFeatures(table, positionOf);
    const withFeatures = this.withAllFeatures(merged);
    const bad = this.badRows(withFeatures);
    for (const row of rejected.keys()) bad.add(row);
    const { callerIds, idProblems } = this.callerIds(table, bad);
    const good: number[] = [];
    let errorText = '';
    for (let row = 0; row < table.rowCount; row++) {
      if (!bad.has(row)) {
        good.push(row);
        continue;
      }
      const { record, ...position } = originOf(row);
      const reason = rejected.get(row) ?? idProblems.get(row) ?? this.reasonFor(withFeatures, row);
      const line: ScoringErrorLine = { ...position, reason, record };
      errorText += `${JSON.stringify(line)}\n`;
    }
    this.rowsRead += table.rowCount;
    this.rowsFailed += bad.size;
    if (errorText) await this.sinks.errors.write(errorText);
    if (good.length === 0) return;
    const scoredAt = (this.options.now ?? (() => new Date()))();
    const { ids, logged } = this.assignIds(good, callerIds, scoredAt, positionOf);
    const scoredInput = good.length === table.rowCount ? withFeatures : takeRows(withFeatures, good);
    const { scores, labels } = this.scorer.scoreTable(scoredInput);
    const passed = bad.size === 0 ? table : takeRows(table, good);
    const columns: ReadonlyArray<Cell>[] = this.passThrough.map((index) => passed.columns[index]);
    columns.push(ids);
    columns.push(Array.from(scores));
    if (this.binary) columns.push(labels ?? []);
    const text = formatCsv({ columnNames: this.outputNames, columns, rowCount: good.length });
    this.rowsScored += good.length;
    await this.sinks.output.write(text.slice(this.headerLength));
    await this.record(ids, logged, scores, labels, scoredAt, scoredInput);
  }

  /** The chunk with the view features its rows lack (the input columns keep their positions), and the rows rejected for an unknown entity. */
  private async withViewFeatures(
    table: DataTable,
    positionOf: (row: number) => number,
  ): Promise<{ merged: DataTable; rejected: ReadonlyMap<number, string> }> {
    const lookup = this.options.featureLookup;
    if (!lookup) return { merged: table, rejected: new Map() };
    const result = await lookupFeatures(
      tableLookupRows(table, (row, column) => `${this.positionWord} ${positionOf(row)} ${clipText(column)}`),
      {
        view: lookup.view,
        modelFeatures: this.features.map((feature) => feature.name),
        store: lookup.store,
        nowMs: (this.options.now ?? (() => new Date()))().getTime(),
        storeName: lookup.storeName,
      },
    );
    for (const warning of result.warnings) {
      if (this.lookupWarnings++ < MAX_LOOKUP_WARNINGS) this.warnings.push(warning);
    }
    this.rowsFromStore += result.fromStore.reduce((count, names) => (names.length > 0 ? count + 1 : count), 0);
    return { merged: mergeIntoTable(table, result).table, rejected: result.rejected };
  }

  /** The caller's id of each row (undefined: none), and the rows whose id is not a valid one (added to `bad`). */
  private callerIds(
    table: DataTable,
    bad: Set<number>,
  ): { callerIds: readonly unknown[] | undefined; idProblems: Map<number, string> } {
    const idProblems = new Map<number, string>();
    if (this.idColumn === -1) return { callerIds: undefined, idProblems };
    const column = table.columns[this.idColumn];
    const callerIds = new Array<unknown>(table.rowCount);
    for (let row = 0; row < table.rowCount; row++) {
      const cell = column[row];
      if (cell === null || cell === undefined) continue;
      const id = callerIdOf(cell);
      callerIds[row] = id;
      if (bad.has(row)) continue;
      const problem = checkPredictionId(id);
      if (problem) {
        bad.add(row);
        idProblems.set(row, `${clipText(this.options.idField!)} ${problem}`);
      }
    }
    return { callerIds, idProblems };
  }

  /** Ids of the good rows (the caller's, else new ones of ours) and which of them to record. */
  private assignIds(
    good: readonly number[],
    callerIds: readonly unknown[] | undefined,
    scoredAt: Date,
    positionOf: (row: number) => number,
  ): { ids: string[]; logged: boolean[] } {
    // One call to the CSPRNG and one time prefix per chunk, not per row.
    const ids = predictionIdsAt(scoredAt, good.length);
    const logged = new Array<boolean>(good.length).fill(true);
    if (callerIds === undefined) return { ids, logged };
    for (let index = 0; index < good.length; index++) {
      const row = good[index]!;
      const callerId = callerIds[row];
      if (callerId === undefined) continue;
      const id = callerId as string;
      ids[index] = id;
      const position = positionOf(row);
      const first = this.seenIds.firstSeen(id, position);
      if (first !== undefined) {
        logged[index] = false;
        this.repeatedIds++;
        if (this.repeats.length < MAX_NAMED_REPEATS) {
          this.repeats.push(
            `"${clipText(id, 40)}" on ${this.positionWord} ${position} repeats ${this.positionWord} ${first}`,
          );
        }
      }
    }
    return { ids, logged };
  }

  private async record(
    ids: readonly string[],
    logged: readonly boolean[],
    scores: Float64Array,
    labels: readonly string[] | undefined,
    scoredAt: Date,
    scored: DataTable,
  ): Promise<void> {
    const log = this.options.predictionLog;
    if (!log) return;
    const features = this.options.recordFeatures
      ? recordedFeaturesOfRows(scored, recordableFeatureNames(this.scorer.artifact.schema), logged)
      : undefined;
    const lines = predictionLines(log.batches.model, log.version, scoredAt, ids, scores, labels, logged, features);
    await log.batches.addLines(lines);
    this.predictionsLogged += lines.length;
  }

  counts(format: 'csv' | 'parquet'): BatchScoreCounts {
    const warnings = [...this.warnings];
    const lookup = this.options.featureLookup;
    if (lookup) {
      const more = this.lookupWarnings - MAX_LOOKUP_WARNINGS;
      warnings.push(
        `feature view "${lookup.view.name}": ${this.rowsFromStore} row(s) read features from the online store` +
          (more > 0 ? `; ${more} more feature-view warning(s) not shown` : ''),
      );
    }
    if (this.repeatedIds > 0) {
      const more = this.repeatedIds - this.repeats.length;
      warnings.push(
        `${this.repeatedIds} row(s) repeat an earlier row's id in column ${clipText(this.options.idField!)}: ` +
          `scored, not recorded for the ground-truth join (the first row keeps the id): ` +
          `${this.repeats.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
      );
    }
    return {
      format,
      rowsRead: this.rowsRead,
      rowsScored: this.rowsScored,
      rowsFailed: this.rowsFailed,
      predictionsLogged: this.predictionsLogged,
      repeatedIds: this.repeatedIds,
      warnings,
    };
  }

  /** The table with a null column for each feature the header lacks (the pipeline imputes it). */
  private withAllFeatures(table: DataTable): DataTable {
    const absent = this.features.filter((feature) => !table.columnNames.includes(feature.name));
    if (absent.length === 0) return table;
    const nulls = new Array<Cell>(table.rowCount).fill(null);
    return {
      columnNames: [...table.columnNames, ...absent.map((feature) => feature.name)],
      columns: [...table.columns, ...absent.map(() => nulls)],
      rowCount: table.rowCount,
    };
  }

  /** Rows with a value the model cannot read: one pass per checked column, no per-row objects. */
  private badRows(table: DataTable): Set<number> {
    const bad = new Set<number>();
    const reject = this.options.missingFeatures === 'reject';
    for (const feature of this.features) {
      if (feature.type === 'categorical' && !reject) continue;
      const column = table.columns[table.columnNames.indexOf(feature.name)];
      for (let row = 0; row < table.rowCount; row++) {
        const cell = column[row];
        if (cell === null) {
          if (reject) bad.add(row);
        } else if (feature.type === 'numeric') {
          if (!Number.isFinite(cellToNumber(cell))) bad.add(row);
        } else if (feature.type === 'boolean' && cellToBoolean(cell) === null) {
          bad.add(row);
        }
      }
    }
    return bad;
  }

  /** The endpoint's own message for the row (Scorer.checkRecords), without its `instances[0].` prefix. */
  private reasonFor(table: DataTable, row: number): string {
    const record: Record<string, Cell> = {};
    for (const feature of this.features)
      record[feature.name] = table.columns[table.columnNames.indexOf(feature.name)][row];
    try {
      this.scorer.checkRecords([record], { missingFeatures: this.options.missingFeatures ?? 'impute' });
    } catch (error) {
      if (error instanceof InputError) return error.message.replace(/^instances\[0\]\./, '');
      throw error;
    }
    return 'rejected by the model schema';
  }
}

function rowRecord(table: DataTable, row: number): Record<string, Cell> {
  return Object.fromEntries(table.columnNames.map((name, index) => [name, table.columns[index][row]]));
}

function cut(text: string): string {
  return text.length > MAX_ERROR_RECORD_CHARS ? `${text.slice(0, MAX_ERROR_RECORD_CHARS)}...` : text;
}
