import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Writes Parquet files with hyparquet-writer in a child Node process. hyparquet-writer is
 * ESM-only and jest.config.js transforms only @middy and hyparquet from node_modules, so it
 * is loaded by Node itself here. `filesSource` is a JavaScript expression for an object of
 * file name -> parquetWriteBuffer options, so BigInt and Date literals can be written as code;
 * `zlib` (node:zlib) is in scope for compressors.
 */
export function writeParquetFiles(filesSource: string): Record<string, Uint8Array> {
  const script = `
    import zlib from 'node:zlib';
    import { parquetWriteBuffer } from 'hyparquet-writer';
    const files = ${filesSource};
    const out = {};
    for (const [name, options] of Object.entries(files)) {
      out[name] = Buffer.from(parquetWriteBuffer(options)).toString('base64');
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: resolve(__dirname, '../../..'),
    encoding: 'utf8',
  });
  const encoded = JSON.parse(output) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(encoded).map(([name, base64]) => [name, new Uint8Array(Buffer.from(base64, 'base64'))]),
  );
}
