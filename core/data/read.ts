import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseCsv } from './csv';
import { readParquet } from './parquet';
import type { DataTable } from './table';

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

function startsWithParquetMagic(bytes: Uint8Array): boolean {
  return PARQUET_MAGIC.every((byte, index) => bytes[index] === byte);
}

/**
 * Reads Parquet when the bytes start with `PAR1` or the name ends in .parquet, CSV otherwise.
 * `name` appears in errors. `numbers`: CSV's canonical decimals as numbers (ParseCsvOptions).
 */
export async function readTableBytes(
  bytes: Uint8Array,
  name: string,
  options: { readonly numbers?: boolean } = {},
): Promise<DataTable> {
  if (startsWithParquetMagic(bytes) || name.toLowerCase().endsWith('.parquet')) {
    return readParquet(bytes, { source: name });
  }
  return parseCsv(bytes, { source: name, numbers: options.numbers });
}

/** Reads a CSV or Parquet file from disk; errors name the file. */
export async function readTableFile(path: string): Promise<DataTable> {
  const bytes = await readFile(path);
  return readTableBytes(bytes, basename(path));
}

/** The SHA-256 of the whole content, in hex: the data hash the registry records for lineage. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
