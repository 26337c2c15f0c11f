import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type Compressors, parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import { type Cell, DataError, type DataTable } from './table';

export interface ReadParquetOptions {
  /** Names the input in error messages, e.g. the file name. @default 'Parquet input' */
  readonly source?: string;
}

/**
 * hyparquet decodes SNAPPY itself; GZIP and BROTLI come from Node's zlib. ZSTD (polars' default)
 * and LZ4 need packages not installed here, and are reported as such.
 */
const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};

/**
 * Turns one decoded Parquet value into a cell: BigInt to number (refused beyond 2^53, where
 * the number would silently differ), Date to its ISO text, NaN to null so a Parquet NaN
 * reads like a CSV `NaN`. Nested and binary values have no cell form.
 */
function toCell(value: unknown, column: string, row: number, source: string): Cell {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isNaN(value) ? null : value;
    case 'bigint':
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new DataError(
          `${source}, column "${column}", row ${row + 1}: integer ${value} is beyond +/-2^53 and cannot be a number ` +
            'without losing digits; store it as a string if it is an identifier',
        );
      }
      return Number(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const kind = value instanceof Uint8Array ? 'binary' : Array.isArray(value) ? 'list' : 'nested';
  throw new DataError(
    `${source}, column "${column}": holds ${kind} values, which a flat table cannot hold; ` +
      'flatten the column or store it as a string',
  );
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  // A copy: the bytes are a view into a larger buffer (a Node Buffer from the shared pool, say).
  return new Uint8Array(bytes).buffer;
}

/** Reads a whole Parquet file into a column-major table of the top-level columns. */
export async function readParquet(bytes: Uint8Array, options: ReadParquetOptions = {}): Promise<DataTable> {
  const source = options.source ?? 'Parquet input';
  const file = toArrayBuffer(bytes);
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(file);
  } catch (error) {
    throw new DataError(`${source} is not a readable Parquet file (${(error as Error).message}); check the upload`);
  }
  const columnNames = parquetSchema(metadata).children.map((child) => child.element.name);
  const rowCount = Number(metadata.num_rows);
  const columns: Cell[][] = columnNames.map(() => new Array<Cell>(rowCount).fill(null));
  const indexOf = new Map(columnNames.map((name, index) => [name, index]));

  // hyparquet calls onChunk from a promise callback whose exceptions it swallows or leaks,
  // so a conversion error is kept here and thrown once reading has finished.
  let conversionError: DataError | null = null;
  try {
    await parquetRead({
      file,
      metadata,
      compressors: COMPRESSORS,
      onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
        const target = columns[indexOf.get(columnName) ?? -1];
        if (target === undefined || conversionError !== null) return;
        const end = Math.min(rowEnd, rowCount);
        try {
          for (let row = rowStart; row < end; row++) {
            target[row] = toCell(columnData[row - rowStart], columnName, row, source);
          }
        } catch (error) {
          conversionError = error as DataError;
        }
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const codec = /unsupported compression codec: (\w+)/.exec(message)?.[1];
    if (codec !== undefined) {
      throw new DataError(
        `${source} is compressed with ${codec}, which this reader cannot decode; ` +
          'write it with SNAPPY, GZIP, BROTLI or no compression',
      );
    }
    throw new DataError(`${source}: could not decode the Parquet data (${message})`);
  }
  if (conversionError !== null) throw conversionError;
  return { columnNames, columns, rowCount };
}
