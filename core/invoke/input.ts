import { parseCsv } from '../data/csv';
import { type Cell, DataError } from '../data/table';

/**
 * What `mlops invoke --data` reads, turned into the rows of `{"instances": [...]}`: a CSV file
 * (header row), a JSON file or inline JSON (`{"instances": [...]}`, a list of records, or one
 * record), or JSON Lines (one record a line).
 */

/** One row to send: feature name -> scalar, as the endpoint's request accepts it. */
export type InvokeInstance = Readonly<Record<string, Cell>>;

export type DataFormat = 'csv' | 'json' | 'jsonl';

/** How `--data` is given: inline JSON when it starts like JSON, a file path otherwise. */
export function isInlineJson(argument: string): boolean {
  const first = argument.trimStart().charAt(0);
  return first === '{' || first === '[';
}

/** The format of a data file: by extension, else by its first character (`{` or `[` is JSON). */
export function dataFormatOf(path: string, firstText: string): DataFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv') || lower.endsWith('.tsv') || lower.endsWith('.txt')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  return isInlineJson(firstText) ? 'json' : 'csv';
}

/**
 * CSV rows as instances, read the way training reads CSV (core/data/csv.ts with numbers on):
 * canonical decimals become numbers, other fields stay text (`02139` stays a string), and missing
 * tokens (empty, NA, null, ...) are left out of the row, so the endpoint imputes them as in training.
 */
export function instancesFromCsv(input: string | Uint8Array, source: string): InvokeInstance[] {
  const table = parseCsv(input, { source, numbers: true });
  if (table.rowCount === 0) throw new DataError(`${source} has a header but no rows to send`);
  const instances: InvokeInstance[] = new Array(table.rowCount);
  for (let row = 0; row < table.rowCount; row++) {
    const instance: Record<string, Cell> = {};
    for (let column = 0; column < table.columnNames.length; column++) {
      const cell = table.columns[column]![row]!;
      if (cell !== null) instance[table.columnNames[column]!] = cell;
    }
    instances[row] = instance;
  }
  return instances;
}

/** A JSON document as instances: `{"instances": [...]}`, a list of records, or one record. */
export function instancesFromJson(text: string, source: string): InvokeInstance[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(value)) return checkedInstances(value, source, (index) => `[${index}]`);
  if (isPlainObject(value) && Object.hasOwn(value, 'instances')) {
    const extra = Object.keys(value).filter((key) => key !== 'instances');
    if (extra.length > 0) {
      throw new DataError(`${source}: an {"instances": [...]} document holds nothing else, found "${extra[0]}"`);
    }
    const { instances } = value as { instances: unknown };
    if (!Array.isArray(instances)) throw new DataError(`${source}: "instances" must be a list of records`);
    return checkedInstances(instances, source, (index) => `instances[${index}]`);
  }
  return checkedInstances([value], source, () => 'the record');
}

/** JSON Lines: one record a line; blank lines are skipped. */
export function instancesFromJsonLines(text: string, source: string): InvokeInstance[] {
  const records: unknown[] = [];
  const lineNumbers: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line));
    } catch (error) {
      throw new DataError(`${source} line ${index + 1} is not valid JSON: ${(error as Error).message}`);
    }
    lineNumbers.push(index + 1);
  });
  return checkedInstances(records, source, (index) => `line ${lineNumbers[index]}`);
}

/** Reads one `--data` value: inline JSON, or the text of a file in the given format. */
export function parseInvokeData(text: string, format: DataFormat, source: string): InvokeInstance[] {
  switch (format) {
    case 'csv':
      return instancesFromCsv(text, source);
    case 'json':
      return instancesFromJson(text, source);
    case 'jsonl':
      return instancesFromJsonLines(text, source);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every record a flat object of scalars: what the endpoint accepts, said before anything is sent. */
function checkedInstances(records: unknown[], source: string, place: (index: number) => string): InvokeInstance[] {
  if (records.length === 0) throw new DataError(`${source} holds no records to send`);
  records.forEach((record, index) => {
    if (!isPlainObject(record)) {
      throw new DataError(`${source}: ${place(index)} must be an object of feature values, got ${kindOf(record)}`);
    }
    for (const [name, cell] of Object.entries(record)) {
      const scalar = cell === null || ['string', 'number', 'boolean'].includes(typeof cell);
      if (!scalar) {
        throw new DataError(
          `${source}: ${place(index)}.${name} must be a string, number, boolean or null, got ${kindOf(cell)}`,
        );
      }
    }
  });
  return records as InvokeInstance[];
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
