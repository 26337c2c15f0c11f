import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTableBytes, readTableFile, sha256Hex } from '../../../core/data/read';
import { writeParquetFiles } from './parquet-writer';

const csvBytes = new TextEncoder().encode('id,plan\n1,basic\n');
let parquetBytes: Uint8Array;
let directory: string;

beforeAll(async () => {
  parquetBytes = writeParquetFiles(`({ t: { columnData: [{ name: 'id', data: [1, 2], type: 'INT32' }] } })`).t;
  directory = await mkdtemp(join(tmpdir(), 'read-test-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('readTableBytes', () => {
  test('reads Parquet when the bytes start with PAR1, whatever the name', async () => {
    const table = await readTableBytes(parquetBytes, 'upload.bin');

    expect(table.columns).toEqual([[1, 2]]);
  });

  test('reads CSV otherwise', async () => {
    const table = await readTableBytes(csvBytes, 'customers.csv');

    expect(table.columns).toEqual([['1'], ['basic']]);
  });

  test('treats a .parquet name as Parquet even when the bytes are not, and says so', async () => {
    await expect(readTableBytes(csvBytes, 'DATA.PARQUET')).rejects.toThrow(
      /^DATA\.PARQUET is not a readable Parquet file/,
    );
  });

  test('names the file in CSV errors', async () => {
    await expect(readTableBytes(new Uint8Array(0), 'batch-7.csv')).rejects.toThrow(/^batch-7\.csv is empty/);
  });
});

describe('readTableFile', () => {
  test('reads a CSV file and a Parquet file from disk', async () => {
    // Given both kinds on disk
    await writeFile(join(directory, 'a.csv'), csvBytes);
    await writeFile(join(directory, 'b.parquet'), parquetBytes);

    // When read
    const csv = await readTableFile(join(directory, 'a.csv'));
    const parquet = await readTableFile(join(directory, 'b.parquet'));

    // Then each is decoded by its own reader
    expect(csv.columnNames).toEqual(['id', 'plan']);
    expect(parquet.columns).toEqual([[1, 2]]);
  });

  test('names the file, without its directory, in errors', async () => {
    await writeFile(join(directory, 'short.csv'), 'a,b\n1\n');

    await expect(readTableFile(join(directory, 'short.csv'))).rejects.toThrow(/^short\.csv line 2: expected 2 fields/);
  });
});

describe('sha256Hex', () => {
  test('hashes the whole content as lowercase hex', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  test('changes when any byte changes', () => {
    const changed = csvBytes.slice();
    changed[changed.length - 2] ^= 1;

    expect(sha256Hex(changed)).not.toBe(sha256Hex(csvBytes));
  });
});
