import { readParquet } from '../../../core/data/parquet';
import { DataError } from '../../../core/data/table';
import { writeParquetFiles } from './parquet-writer';

let files: Record<string, Uint8Array>;

beforeAll(() => {
  files = writeParquetFiles(`({
    mixed: { columnData: [
      { name: 'score', data: [1.5, null, -2], type: 'DOUBLE' },
      { name: 'count', data: [1, 2, null], type: 'INT32' },
      { name: 'big', data: [10n, null, -9007199254740991n], type: 'INT64' },
      { name: 'plan', data: ['basic', null, 'premium'], type: 'STRING' },
      { name: 'active', data: [true, false, null], type: 'BOOLEAN' },
    ] },
    timestamps: { columnData: [
      { name: 'seen_at', data: [new Date('2026-03-01T12:30:00.000Z'), null], type: 'TIMESTAMP' },
    ] },
    unsafe: { columnData: [
      { name: 'order_id', data: [1n, 9007199254740993n], type: 'INT64' },
    ] },
    nan: { columnData: [{ name: 'x', data: [Number.NaN, 1], type: 'DOUBLE' }] },
    groups: { columnData: [{ name: 'i', data: Array.from({ length: 25 }, (_, i) => i), type: 'INT32' }], rowGroupSize: 10 },
    empty: { columnData: [{ name: 'a', data: [], type: 'DOUBLE' }] },
    gzip: { columnData: [{ name: 's', data: ['x', 'y'], type: 'STRING' }], codec: 'GZIP',
      compressors: { GZIP: (bytes) => new Uint8Array(zlib.gzipSync(bytes)) } },
    brotli: { columnData: [{ name: 's', data: ['x', 'y'], type: 'STRING' }], codec: 'BROTLI',
      compressors: { BROTLI: (bytes) => new Uint8Array(zlib.brotliCompressSync(bytes)) } },
    zstd: { columnData: [{ name: 's', data: ['x', 'y'], type: 'STRING' }], codec: 'ZSTD',
      compressors: { ZSTD: (bytes) => bytes } },
  })`);
});

describe('readParquet', () => {
  test('reads numbers, strings, booleans, int64 and nulls into cells', async () => {
    // When a file of mixed types is read
    const table = await readParquet(files.mixed, { source: 'mixed.parquet' });

    // Then int64 becomes number and null stays null
    expect(table).toEqual({
      columnNames: ['score', 'count', 'big', 'plan', 'active'],
      columns: [
        [1.5, null, -2],
        [1, 2, null],
        [10, null, -9007199254740991],
        ['basic', null, 'premium'],
        [true, false, null],
      ],
      rowCount: 3,
    });
  });

  test('writes timestamps as ISO text', async () => {
    const table = await readParquet(files.timestamps);

    expect(table.columns[0]).toEqual(['2026-03-01T12:30:00.000Z', null]);
  });

  test('refuses an int64 beyond 2^53, naming the column and row', async () => {
    // When a value would lose digits as a number
    const reading = readParquet(files.unsafe, { source: 'orders.parquet' });

    // Then the error names the file, column and row
    await expect(reading).rejects.toThrow(DataError);
    await expect(reading).rejects.toThrow(/orders\.parquet, column "order_id", row 2: integer 9007199254740993/);
  });

  test('reads a floating-point NaN as a missing value', async () => {
    const table = await readParquet(files.nan);

    expect(table.columns[0]).toEqual([null, 1]);
  });

  test('keeps row order across row groups', async () => {
    // Given 25 rows in row groups of 10
    const table = await readParquet(files.groups);

    // Then all rows are there in order
    expect(table.columns[0]).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  test('reads a file with no rows', async () => {
    const table = await readParquet(files.empty);

    expect(table).toEqual({ columnNames: ['a'], columns: [[]], rowCount: 0 });
  });

  test('reads GZIP and BROTLI compressed files', async () => {
    const gzip = await readParquet(files.gzip);
    const brotli = await readParquet(files.brotli);

    expect(gzip.columns).toEqual([['x', 'y']]);
    expect(brotli.columns).toEqual([['x', 'y']]);
  });

  test('names the codec it cannot decode', async () => {
    // Given a file that declares ZSTD compression
    const reading = readParquet(files.zstd, { source: 'polars.parquet' });

    // Then the error says which codecs work
    await expect(reading).rejects.toThrow(/^polars\.parquet is compressed with ZSTD.*SNAPPY, GZIP, BROTLI/);
  });

  test('reads bytes that are a view into a larger buffer', async () => {
    // Given the file copied into the middle of a bigger buffer
    const padded = new Uint8Array(files.mixed.length + 16);
    padded.set(files.mixed, 8);
    const view = padded.subarray(8, 8 + files.mixed.length);

    // When read through the view
    const table = await readParquet(view);

    // Then it reads like the original
    expect(table.rowCount).toBe(3);
  });

  test('rejects bytes that are not Parquet, naming the source', async () => {
    const bytes = new TextEncoder().encode('id,value\n1,2\n');

    await expect(readParquet(bytes, { source: 'upload.parquet' })).rejects.toThrow(
      /^upload\.parquet is not a readable Parquet file/,
    );
  });

  test('rejects a truncated Parquet file, naming the source', async () => {
    // Given a file cut in half (the footer is gone)
    const truncated = files.mixed.subarray(0, Math.floor(files.mixed.length / 2));

    // Then the error names the file
    await expect(readParquet(truncated, { source: 'cut.parquet' })).rejects.toThrow(/^cut\.parquet/);
  });

  test('rejects damaged column data, naming the source', async () => {
    // Given a file whose data pages are overwritten but whose footer is intact
    const damaged = files.groups.slice();
    damaged.fill(0xff, 4, 60);

    // Then reading fails with a DataError naming the file
    const reading = readParquet(damaged, { source: 'damaged.parquet' });
    await expect(reading).rejects.toThrow(DataError);
    await expect(reading).rejects.toThrow(/^damaged\.parquet/);
  });
});
