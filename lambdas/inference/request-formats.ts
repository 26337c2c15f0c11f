// Over 450 lines on purpose: every request format, its error-field naming and the response writers sit side by side so they stay consistent. Its CSV reader repeats core/data/csv.ts (which has no headerless mode or 400-shaped errors); folding the two is noted as not done.
import { MISSING_TOKENS } from '../../core/data/csv';
import type { Cell, DataTable } from '../../core/data/table';
import { cellToNumber } from '../../core/schema/values';
import type { Scorer } from '../../core/score/scorer';
import { clipText } from '../../core/text/clip';
import { badRequest, type HttpError } from '../shared/http';
import {
  checkJsonBody,
  FORBIDDEN_KEYS,
  isPlainJsonBodyPart,
  parseJsonBody,
  type RawBody,
  readTextBody,
} from '../shared/json-body';
import type { PredictResponse } from './predict';
import type { Instance } from './request';

/**
 * The request and response formats of `POST /predict`. Every request format becomes the same
 * thing, a table of columns (the scorer checks and scores columns), with the caller's own way of
 * naming a cell for error messages:
 *
 *   {"instances": [{"age": 42, ...}, ...]}                      ours            instances[3].age
 *   {"dataframe_split": {"columns": [...], "data": [[...]]}}    MLflow          dataframe_split.data[3][2]
 *   {"dataframe_records": [{"age": 42, ...}, ...]}              MLflow          dataframe_records[3].age
 *   {"inputs": [{"age": 42, ...}, ...]}                         MLflow, rows    inputs[3].age
 *   {"inputs": {"age": [42, ...], ...}}                         MLflow, columns inputs.age[3]
 *   Content-Type: text/csv                                      SageMaker       csv[3][2]
 *
 * CSV: a header row naming the columns, or none (SageMaker's convention: the values in the
 * model's feature order, the order GET / lists). `text/csv; header=present` or `header=absent`
 * (RFC 4180's parameter) says which; without it the first line is a header when any of its fields
 * names a column of the model, else it is data. Empty fields and MISSING_TOKENS (NA, null, ...)
 * are missing values. `dataframe_split` without `columns` is read the same way as a headerless CSV.
 *
 * Any other content type is read as JSON, as before this module existed (`curl -d` sends
 * application/x-www-form-urlencoded). Responses: ours unless the caller asks for MLflow's
 * `{"predictions": [...]}` with `?response=mlflow` or the header `x-response-format: mlflow`.
 */

export type RequestFormat = 'instances' | 'dataframe_split' | 'dataframe_records' | 'inputs' | 'csv';
export type ResponseFormat = 'mlops' | 'mlflow';

/** The JSON envelopes, each the one key of the body. */
export const JSON_REQUEST_KEYS = ['instances', 'dataframe_split', 'dataframe_records', 'inputs'] as const;

/** What a request table needs of the model: its features in order, and every column it knows. */
export interface ModelColumns {
  readonly featureNames: readonly string[];
  readonly numericFeatures: ReadonlySet<string>;
  readonly knownColumns: ReadonlySet<string>;
}

/** A predict request's rows as columns, with how the caller's format names each cell. */
export interface RequestTable {
  readonly format: RequestFormat;
  readonly table: DataTable;
  /** Rows that sent each column (a record may leave a key out); every row when absent. */
  readonly rowsWithColumn?: readonly number[];
  /** The request field holding a cell, e.g. `dataframe_split.data[3][2]` (csv rows count from the first data row). */
  fieldOf(row: number, column: string): string;
  /** The rows as records, as sent (capture keeps them): built on demand, after the response. */
  records(): Instance[];
}

/** A request after the checks that need no model. CSV without a header needs the feature order: `tableFor`. */
export interface ParsedPredictRequest {
  readonly format: RequestFormat;
  readonly rowCount: number;
  /** The table, when the format needs nothing of the model to build it (caller ids are checked before a model loads). */
  readonly table?: RequestTable;
  tableFor(model: ModelColumns): RequestTable;
}

export interface PredictRequestLimits {
  readonly maxBodyBytes: number;
  readonly maxInstances: number;
}

/** The parts of a Function URL event (payload format 2.0) the formats read. */
export interface PredictEvent extends RawBody {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
}

/** The request's format by its content type, then its body's envelope; every failure is a 400 naming the field. */
export function parsePredictBody(event: PredictEvent, limits: PredictRequestLimits): ParsedPredictRequest {
  const contentType = headerOf(event, 'content-type');
  if (contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() === 'text/csv') {
    return parseCsvBody(readTextBody(event, limits.maxBodyBytes), csvHeaderParameter(contentType), limits);
  }
  const body = parseJsonBody(event, { maxBytes: limits.maxBodyBytes });
  try {
    // Every value the formats accept is checked as they read it (cells, column names, the index).
    return parseJsonRequest(body, limits.maxInstances);
  } catch (error) {
    // A forbidden key, a number too large or deep nesting anywhere is reported first, as readJsonBody does.
    checkJsonBody(body);
    throw error;
  }
}

/** The response format the caller asked for: `?response=` first, then the `x-response-format` header. */
export function responseFormatOf(event: PredictEvent): ResponseFormat {
  const fromQuery = event.queryStringParameters?.response;
  const [field, value] =
    fromQuery !== undefined ? ['response', fromQuery] : ['x-response-format', headerOf(event, 'x-response-format')];
  if (value === undefined) return 'mlops';
  const format = value.trim().toLowerCase();
  if (format === 'mlflow' || format === 'mlops') return format;
  throw badRequest(`${field} must be mlflow or mlops, got "${clipText(value)}"`, field);
}

function headerOf(event: PredictEvent, name: string): string | undefined {
  const headers = event.headers;
  if (!headers) return undefined;
  // Function URLs lower-case header names; a hand-made event may not.
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

/**
 * JSON bodies: exactly one of the envelopes. Accepts nothing readJsonBody's checks reject (a
 * forbidden key, a number too large, deep nesting), so a body parsed without them is safe.
 */
export function parseJsonRequest(body: unknown, maxInstances: number): ParsedPredictRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`the body must be a JSON object {"instances": [...]} (or MLflow's format), got ${kindOf(body)}`);
  }
  const keys = Object.keys(body);
  for (const key of keys) {
    if (!(JSON_REQUEST_KEYS as readonly string[]).includes(key)) {
      throw badRequest(
        `unknown field "${clipText(key)}"; the body holds one of ${JSON_REQUEST_KEYS.join(', ')}`,
        clipText(key),
      );
    }
  }
  if (keys.length === 0) throw badRequest('instances is required: a list of rows to score', 'instances');
  if (keys.length > 1) {
    throw badRequest(`the body holds ${keys.join(' and ')}; send one of them`, keys[1]);
  }
  const format = keys[0] as (typeof JSON_REQUEST_KEYS)[number];
  const value = (body as Record<string, unknown>)[format];
  switch (format) {
    case 'instances':
    case 'dataframe_records':
      return fixed(recordsTable(format, format, value, maxInstances));
    case 'inputs':
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return fixed(columnsTable(value as Record<string, unknown>, maxInstances));
      }
      return fixed(recordsTable('inputs', 'inputs', value, maxInstances));
    case 'dataframe_split':
      return splitRequest(value, maxInstances);
  }
}

function fixed(table: RequestTable): ParsedPredictRequest {
  return { format: table.format, rowCount: table.table.rowCount, table, tableFor: () => table };
}

function checkRowCount(count: number, field: string, maxInstances: number): void {
  if (count === 0) throw badRequest(`${field} is empty; send 1 or more rows`, field);
  if (count > maxInstances) {
    throw badRequest(`${field} holds ${count} rows; at most ${maxInstances} per request, split the batch`, field);
  }
}

/** A JSON cell: string, finite number, boolean or null; anything else is a 400 naming the field. */
function checkCell(value: unknown, field: () => string): Cell {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw badRequest(`${field()} must be a finite number`, field());
    default:
      if (value === null) return null;
      throw badRequest(`${field()} must be a string, number, boolean or null, got ${kindOf(value)}`, field());
  }
}

/** `instances`, `dataframe_records`, `inputs` as a list: one object per row. */
function recordsTable(format: RequestFormat, name: string, rows: unknown, maxInstances: number): RequestTable {
  if (rows === undefined) throw badRequest(`${name} is required: a list of rows to score`, name);
  if (!Array.isArray(rows)) throw badRequest(`${name} must be a list, got ${kindOf(rows)}`, name);
  checkRowCount(rows.length, name, maxInstances);
  const rowCount = rows.length;
  const indexOf = new Map<string, number>();
  const columnNames: string[] = [];
  const columns: Cell[][] = [];
  const rowsWithColumn: number[] = [];
  for (let row = 0; row < rowCount; row++) {
    const record = rows[row];
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw badRequest(`${name}[${row}] must be an object of feature values, got ${kindOf(record)}`, `${name}[${row}]`);
    }
    // Rows usually repeat the first row's keys in its order: try the key at the same position first.
    let position = 0;
    for (const key in record) {
      const value = record[key];
      const cell =
        typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
          ? value
          : checkCell(value, () => `${name}[${row}].${clipText(key)}`);
      let index: number | undefined = columnNames[position] === key ? position : indexOf.get(key);
      position++;
      if (index === undefined) {
        if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(`${name}[${row}].${key}`, key);
        index = columns.length;
        indexOf.set(key, index);
        columnNames.push(key);
        columns.push(new Array<Cell>(rowCount).fill(null));
        rowsWithColumn.push(0);
      }
      columns[index]![row] = cell;
      rowsWithColumn[index]!++;
    }
  }
  return {
    format,
    table: { columnNames, columns, rowCount },
    rowsWithColumn,
    fieldOf: (row, column) => `${name}[${row}].${clipText(column)}`,
    records: () => rows as Instance[],
  };
}

/** `inputs` as an object: one list of values per column (TensorFlow Serving's columnar format). */
function columnsTable(inputs: Record<string, unknown>, maxInstances: number): RequestTable {
  const columnNames = Object.keys(inputs);
  if (columnNames.length === 0) throw badRequest('inputs has no columns; send {"<feature>": [values], ...}', 'inputs');
  const columns: Cell[][] = [];
  let rowCount = -1;
  for (const name of columnNames) {
    const values = inputs[name];
    const field = `inputs.${clipText(name)}`;
    if (FORBIDDEN_KEYS.has(name)) throw forbiddenKey(field, name);
    if (!Array.isArray(values)) throw badRequest(`${field} must be a list of values, got ${kindOf(values)}`, field);
    if (rowCount < 0) {
      rowCount = values.length;
      checkRowCount(rowCount, field, maxInstances);
    } else if (values.length !== rowCount) {
      throw badRequest(
        `${field} has ${values.length} values; inputs.${clipText(columnNames[0]!)} has ${rowCount}: every column needs one per row`,
        field,
      );
    }
    const column = new Array<Cell>(values.length);
    for (let row = 0; row < values.length; row++) column[row] = checkCell(values[row], () => `${field}[${row}]`);
    columns.push(column);
  }
  const table = { columnNames, columns, rowCount };
  return {
    format: 'inputs',
    table,
    fieldOf: (row, column) => `inputs.${clipText(column)}[${row}]`,
    records: () => tableRecords(table),
  };
}

/** `dataframe_split`: pandas' split orient, `{"columns", "data", "index"?}`; without columns, the model's feature order. */
function splitRequest(split: unknown, maxInstances: number): ParsedPredictRequest {
  if (typeof split !== 'object' || split === null || Array.isArray(split)) {
    throw badRequest(
      `dataframe_split must be an object {"columns": [...], "data": [[...], ...]}, got ${kindOf(split)}`,
      'dataframe_split',
    );
  }
  for (const key of Object.keys(split)) {
    if (key !== 'columns' && key !== 'data' && key !== 'index') {
      throw badRequest(
        `unknown field "dataframe_split.${clipText(key)}"; it holds columns, data and index`,
        `dataframe_split.${clipText(key)}`,
      );
    }
  }
  const { columns: names, data, index } = split as { columns?: unknown; data?: unknown; index?: unknown };
  if (data === undefined) throw badRequest('dataframe_split.data is required: a list of rows', 'dataframe_split.data');
  if (!Array.isArray(data)) {
    throw badRequest(`dataframe_split.data must be a list of rows, got ${kindOf(data)}`, 'dataframe_split.data');
  }
  checkRowCount(data.length, 'dataframe_split.data', maxInstances);
  // pandas sends the row labels; they play no part in scoring, but a malformed one is still the caller's mistake.
  if (index !== undefined && (!Array.isArray(index) || index.length !== data.length)) {
    throw badRequest(
      `dataframe_split.index must be a list of ${data.length} row labels, got ${Array.isArray(index) ? `${index.length}` : kindOf(index)}`,
      'dataframe_split.index',
    );
  }
  // Labels may be any JSON: they get the checks every body gets (a cell is checked as it is read).
  if (index !== undefined && !isPlainJsonBodyPart(index, 2)) {
    throw badRequest('dataframe_split.index holds a value a request body may not hold', 'dataframe_split.index');
  }
  const width = (data[0] as unknown[] | undefined)?.length;
  const columnNames = names === undefined ? undefined : checkColumnNames(names, 'dataframe_split.columns');
  const cells = rowsToColumns(data, columnNames?.length ?? (Array.isArray(data[0]) ? width! : 0));
  const build = (order: readonly string[]): RequestTable => {
    const table = { columnNames: order, columns: cells, rowCount: data.length };
    return {
      format: 'dataframe_split',
      table,
      fieldOf: (row, column) => {
        const at = order.indexOf(column);
        return at < 0 ? `dataframe_split.data[${row}]` : `dataframe_split.data[${row}][${at}]`;
      },
      records: () => tableRecords(table),
    };
  };
  if (columnNames) {
    const table = build(columnNames);
    return { format: 'dataframe_split', rowCount: data.length, table, tableFor: () => table };
  }
  return {
    format: 'dataframe_split',
    rowCount: data.length,
    tableFor: (model) => {
      if (cells.length !== model.featureNames.length) {
        throw badRequest(
          `dataframe_split has no columns, so its rows are read in the model's feature order: ${model.featureNames.length} values per row (${clipText(model.featureNames.join(', '), 400)}), got ${cells.length}`,
          'dataframe_split.columns',
        );
      }
      return build(model.featureNames);
    },
  };
}

/** The rows of `dataframe_split.data` as `width` columns; each row must be a list of `width` cells. */
function rowsToColumns(data: readonly unknown[], width: number): Cell[][] {
  const columns: Cell[][] = Array.from({ length: width }, () => new Array<Cell>(data.length));
  for (let row = 0; row < data.length; row++) {
    const values = data[row];
    if (!Array.isArray(values)) {
      throw badRequest(
        `dataframe_split.data[${row}] must be a list of values, got ${kindOf(values)}`,
        `dataframe_split.data[${row}]`,
      );
    }
    if (values.length !== width) {
      throw badRequest(
        `dataframe_split.data[${row}] has ${values.length} values; ${width} expected (one per column)`,
        `dataframe_split.data[${row}]`,
      );
    }
    for (let c = 0; c < width; c++) {
      const value = values[c];
      // Inline fast path: most cells are finite numbers or strings.
      columns[c]![row] =
        typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
          ? value
          : checkCell(value, () => `dataframe_split.data[${row}][${c}]`);
    }
  }
  return columns;
}

function checkColumnNames(names: unknown, field: string): string[] {
  if (!Array.isArray(names)) throw badRequest(`${field} must be a list of column names, got ${kindOf(names)}`, field);
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (typeof name !== 'string' || name === '') {
      throw badRequest(`${field}[${index}] must be a column name (a non-empty string)`, `${field}[${index}]`);
    }
    if (FORBIDDEN_KEYS.has(name)) {
      throw badRequest(`${field}[${index}]: the column name "${name}" is not allowed`, `${field}[${index}]`);
    }
    if (seen.has(name)) {
      throw badRequest(`${field}[${index}] repeats the column "${clipText(name)}"`, `${field}[${index}]`);
    }
    seen.add(name);
  });
  return names as string[];
}

/** `header=present|absent` of a text/csv content type (RFC 4180), undefined when not given. */
function csvHeaderParameter(contentType: string): boolean | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [key, value] = parameter.split('=').map((part) => part.trim().toLowerCase());
    if (key !== 'header') continue;
    if (value === 'present') return true;
    if (value === 'absent') return false;
    throw badRequest(`content-type: header must be present or absent, got "${clipText(value ?? '')}"`, 'content-type');
  }
  return undefined;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * text/csv: RFC 4180 (comma-separated, double-quoted fields may hold commas, quotes and line
 * breaks), every record as many fields as the first. Parsed before the model is known; which
 * line is a header is decided in `tableFor`.
 */
export function parseCsvBody(
  text: string,
  header: boolean | undefined,
  limits: PredictRequestLimits,
): ParsedPredictRequest {
  const { records, lines } = csvRecords(text);
  if (records.length === 0)
    throw badRequest('the text/csv body is empty; send a header row and data rows, or data rows');
  const width = records[0]!.length;
  records.forEach((fields, index) => {
    if (fields.length !== width) {
      throw badRequest(
        `text/csv line ${lines[index]} has ${fields.length} fields; line ${lines[0]} has ${width}: every row needs the same columns`,
        `csv line ${lines[index]}`,
      );
    }
  });
  const dataRows = (hasHeader: boolean) => records.length - (hasHeader ? 1 : 0);
  // Without a header parameter, whether line 1 is data is known only with the model (tableFor).
  if (header !== undefined) checkRowCount(dataRows(header), 'csv', limits.maxInstances);
  return {
    format: 'csv',
    rowCount: dataRows(header === true),
    tableFor: (model) => {
      const hasHeader = header ?? records[0]!.some((field) => field !== null && model.knownColumns.has(field));
      checkRowCount(dataRows(hasHeader), 'csv', limits.maxInstances);
      const names = hasHeader ? checkCsvHeader(records[0]!, lines[0]!) : model.featureNames;
      if (!hasHeader && width !== names.length) {
        throw badRequest(
          `text/csv has no header row (none of line ${lines[0]}'s fields names a column of the model), so its rows are read in the model's feature order: ${names.length} fields per row (${clipText(names.join(', '), 400)}), got ${width}. Send a header row, or content-type text/csv; header=present`,
          'csv',
        );
      }
      const first = hasHeader ? 1 : 0;
      const rowCount = records.length - first;
      const columns = names.map((name, c) => {
        const numeric = model.numericFeatures.has(name);
        const column = new Array<Cell>(rowCount);
        for (let row = 0; row < rowCount; row++) {
          const text = records[row + first]![c]!;
          // Numbers as numbers where the model reads a number (capture and the prediction log keep them typed).
          const number = numeric && text !== null ? cellToNumber(text) : Number.NaN;
          column[row] = Number.isFinite(number) ? number : text;
        }
        return column;
      });
      const table = { columnNames: names, columns, rowCount };
      return {
        format: 'csv',
        table,
        fieldOf: (row, column) => {
          const at = names.indexOf(column);
          return at < 0 ? `csv[${row}]` : `csv[${row}][${at}]`;
        },
        records: () => tableRecords(table),
      };
    },
  };
}

function checkCsvHeader(fields: ReadonlyArray<string | null>, line: number): string[] {
  const seen = new Set<string>();
  return fields.map((field, index) => {
    if (field === null || field.trim() === '' || MISSING_TOKENS.has(field)) {
      throw badRequest(`text/csv header (line ${line}) field ${index + 1} is empty; every column needs a name`, 'csv');
    }
    if (FORBIDDEN_KEYS.has(field)) {
      throw badRequest(`text/csv header (line ${line}): the column name "${field}" is not allowed`, 'csv');
    }
    if (seen.has(field)) {
      throw badRequest(`text/csv header (line ${line}) repeats the column "${clipText(field)}"`, 'csv');
    }
    seen.add(field);
    return field;
  });
}

/** Records of fields (null for missing) and the physical line each starts on. Blank lines are skipped. */
function csvRecords(text: string): { records: Array<Array<string | null>>; lines: number[] } {
  const records: Array<Array<string | null>> = [];
  const lines: number[] = [];
  const length = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (pos < length) {
    const code = text.charCodeAt(pos);
    if (code === LF || code === CR) {
      pos += code === CR && text.charCodeAt(pos + 1) === LF ? 2 : 1;
      line++;
      continue;
    }
    const startLine = line;
    const fields: Array<string | null> = [];
    for (;;) {
      let value: string;
      let quoted = false;
      if (text.charCodeAt(pos) === QUOTE) {
        quoted = true;
        let out = '';
        let from = ++pos;
        for (;;) {
          if (pos >= length) throw badRequest(`text/csv line ${startLine}: a quoted field is not closed`, 'csv');
          const c = text.charCodeAt(pos);
          if (c === QUOTE) {
            if (text.charCodeAt(pos + 1) === QUOTE) {
              out += text.slice(from, pos + 1);
              pos += 2;
              from = pos;
              continue;
            }
            out += text.slice(from, pos);
            pos++;
            break;
          }
          if (c === LF) line++;
          pos++;
        }
        value = out;
        const after = text.charCodeAt(pos);
        if (pos < length && after !== COMMA && after !== LF && after !== CR) {
          throw badRequest(
            `text/csv line ${line}: text after a closing quote; double a quote inside a field ("")`,
            'csv',
          );
        }
      } else {
        const from = pos;
        while (pos < length) {
          const c = text.charCodeAt(pos);
          if (c === COMMA || c === LF || c === CR) break;
          pos++;
        }
        value = text.slice(from, pos);
      }
      fields.push(!quoted && MISSING_TOKENS.has(value) ? null : value);
      if (pos < length && text.charCodeAt(pos) === COMMA) {
        pos++;
        continue;
      }
      break;
    }
    records.push(fields);
    lines.push(startLine);
  }
  return { records, lines };
}

/** The rows of a table as records (capture, for formats that did not arrive as records). */
export function tableRecords(table: DataTable): Instance[] {
  const { columnNames, columns, rowCount } = table;
  const records: Instance[] = new Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const record: Record<string, Cell> = {};
    for (let c = 0; c < columnNames.length; c++) record[columnNames[c]!] = columns[c]![row]!;
    records[row] = record;
  }
  return records;
}

const modelColumnsByScorer = new WeakMap<Scorer, ModelColumns>();

/** What the request formats need of a model, worked out once per loaded model. */
export function modelColumnsOf(scorer: Scorer): ModelColumns {
  let columns = modelColumnsByScorer.get(scorer);
  if (!columns) {
    const { schema } = scorer.artifact;
    const features = schema.columns.filter((column) => column.role === 'feature');
    columns = {
      featureNames: features.map((column) => column.name),
      numericFeatures: new Set(features.filter((column) => column.type === 'numeric').map((column) => column.name)),
      knownColumns: new Set(schema.columns.map((column) => column.name)),
    };
    modelColumnsByScorer.set(scorer, columns);
  }
  return columns;
}

/** Records without one key (the caller's id field, when it is no feature), for capture. */
export function withoutField(records: readonly Instance[], field: string): Instance[] {
  return records.map((record) => {
    if (!Object.hasOwn(record, field)) return record;
    const { [field]: _dropped, ...rest } = record;
    return rest;
  });
}

/** Our ids are Crockford base32 and need no escaping; a caller's may. */
const SAFE_ID = /^[0-9A-Z]{26}$/;

/**
 * The body of a 200 from POST /predict, written by hand: JSON.stringify of a thousand
 * `{id, score, label}` objects (and spreading each id into its prediction first) was a good part
 * of a large request's time. Ours: `{"model", "predictions": [{"id", "score", "label"?}], "warnings"}`;
 * a model with a feature view adds `"from_store": [<feature>, ...]` to each prediction, in both
 * forms (the features read from the online store for that row, [] for none; MLflow's form has no
 * warnings, so an unknown entity shows there only as an empty list);
 * MLflow's: `{"predictions": [...]}`, the same prediction records (MLflow's scoring server writes a
 * DataFrame result the same way, one record per row).
 */
export function predictResponseJson(format: ResponseFormat, result: PredictResponse, ids: readonly string[]): string {
  const { predictions, fromStore } = result;
  const labels = new Map<string, string>();
  const parts = new Array<string>(predictions.length);
  for (let row = 0; row < predictions.length; row++) {
    const { score, label } = predictions[row]!;
    const id = ids[row]!;
    let text = `{"id":${SAFE_ID.test(id) ? `"${id}"` : JSON.stringify(id)},"score":${Number.isFinite(score) ? String(score) : 'null'}`;
    if (label !== undefined) {
      let quoted = labels.get(label);
      if (quoted === undefined) {
        quoted = JSON.stringify(label);
        labels.set(label, quoted);
      }
      text += `,"label":${quoted}`;
    }
    if (fromStore) text += `,"from_store":${JSON.stringify(fromStore[row])}`;
    parts[row] = `${text}}`;
  }
  const list = `[${parts.join(',')}]`;
  if (format === 'mlflow') return `{"predictions":${list}}`;
  return `{"model":${JSON.stringify(result.model)},"predictions":${list},"warnings":${JSON.stringify(result.warnings)}}`;
}

function forbiddenKey(field: string, key: string): HttpError {
  return badRequest(`${field}: the key "${key}" is not allowed in a request body`, field);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
