/**
 * Measures parseCsv on a generated 1,000,000-row x 20-column file (~110 MB).
 * Run: node --expose-gc bin/run-ts.js test/core/data/csv-speed.bench.ts [rows]
 * Kept out of jest (no .test.ts suffix): timings are reported, never asserted.
 */
import { parseCsv } from '../../../core/data/csv';

function syntheticCsv(rows: number): string {
  const columns = 20;
  const header = Array.from({ length: columns }, (_, c) => `column_${c}`).join(',');
  const lines: string[] = [header];
  for (let r = 0; r < rows; r++) {
    const fields: string[] = [];
    for (let c = 0; c < columns; c++) {
      // A mix like real tabular data: ids, categories with some missing, integers, decimals, a quoted field.
      if (c === 0) fields.push(`C${String(r).padStart(7, '0')}`);
      else if (c % 5 === 4) fields.push(r % 50 === 0 ? '' : ['north', 'south', 'east', 'west'][(r + c) % 4]);
      else if (c === 19) fields.push(r % 100 === 0 ? '"quoted, with comma"' : 'plain');
      else if (c % 2 === 1) fields.push(String((r * 31 + c * 17) % 120));
      else fields.push((((r * 7919 + c * 104729) % 100000) / 100).toFixed(2));
    }
    lines.push(fields.join(','));
  }
  return `${lines.join('\n')}\n`;
}

const rows = Number(process.argv[2] ?? 1_000_000);
const text = syntheticCsv(rows);
const bytes = new TextEncoder().encode(text);
console.log(`input: ${rows} rows x 20 columns, ${(bytes.length / 1e6).toFixed(1)} MB`);
// The machine is shared: CPU time (this process, GC threads included) is reported beside wall time.
for (let run = 1; run <= 3; run++) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let table: ReturnType<typeof parseCsv> | null = parseCsv(bytes, { source: 'bench.csv' });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `run ${run}: parsed ${table.rowCount} rows in ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU ` +
      `(${(bytes.length / 1e6 / seconds).toFixed(0)} MB/s)`,
  );
  table = null;
  (globalThis as { gc?: () => void }).gc?.();
}
