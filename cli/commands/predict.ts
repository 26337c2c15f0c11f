import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCsv } from '../../core/data/csv';
import { readTableBytes } from '../../core/data/read';
import type { DataTable } from '../../core/data/table';
import { Scorer } from '../../core/score/scorer';
import { parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command } from '../io';

/** Accepts an artifact file or a directory holding model.json. */
export async function readArtifactText(location: string): Promise<{ text: string; path: string }> {
  const info = await stat(location).catch(() => {
    throw new UsageError(`--model: not found: ${location}`);
  });
  const path = info.isDirectory() ? join(location, 'model.json') : location;
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(`--model: no model.json in ${location}`);
  });
  return { text, path };
}

export const predictCommand: Command = {
  spec: {
    name: 'predict',
    summary: 'score a CSV or Parquet file with a model artifact',
    usage: 'mlops predict --model <dir|model.json> --data <file> --out <file.csv>',
    flags: {
      model: {
        type: 'string',
        description: 'model directory (with model.json) or artifact file',
        required: true,
        valueName: 'dir',
      },
      data: { type: 'string', description: 'rows to score, CSV or Parquet', required: true, valueName: 'file' },
      out: {
        type: 'string',
        description: 'output CSV: the input columns, then score and label',
        required: true,
        valueName: 'file.csv',
      },
    },
    examples: ['mlops predict --model model/ --data new-customers.csv --out scored.csv'],
  },

  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags } = parsed;
    const artifact = await readArtifactText(stringFlag(flags, 'model')!);
    const scorer = Scorer.fromJson(artifact.text, artifact.path);
    const dataPath = stringFlag(flags, 'data')!;
    const bytes = await readFile(dataPath).catch(() => {
      throw new UsageError(`--data: file not found: ${dataPath}`);
    });
    const table = await readTableBytes(bytes, dataPath);
    const known = new Set(scorer.artifact.schema.columns.map((column) => column.name));
    const unknown = table.columnNames.filter((name) => !known.has(name));
    if (unknown.length > 0) io.err(`warning: columns unknown to the model ignored: ${unknown.join(', ')}\n`);
    const missing = scorer.featureNames.filter((name) => !table.columnNames.includes(name));
    if (missing.length > 0) io.err(`warning: feature columns missing, imputed as in training: ${missing.join(', ')}\n`);
    const { scores, labels } = scorer.scoreTable(table);
    const output: DataTable = {
      columnNames: [...table.columnNames, 'score', ...(labels ? ['label'] : [])],
      columns: [...table.columns, Array.from(scores, (score) => String(score)), ...(labels ? [labels] : [])],
      rowCount: table.rowCount,
    };
    const outPath = stringFlag(flags, 'out')!;
    await writeFile(outPath, formatCsv(output));
    io.err(`scored ${table.rowCount} rows with ${scorer.artifact.model.kind} (${artifact.path})\n`);
    io.out(`${outPath}\n`);
    return 0;
  },
};
