import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCsv } from '../../core/data/csv';
import { readTableBytes } from '../../core/data/read';
import type { DataTable } from '../../core/data/table';
import { type Explanations, ExplanationUnavailableError, Scorer } from '../../core/score/scorer';
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
    usage: 'mlops predict --model <dir|model.json> --data <file> --out <file.csv> [--explain]',
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
      explain: {
        type: 'boolean',
        description:
          'also write shap_<feature> per input feature and shap_base: TreeSHAP contributions to the margin ' +
          '(log-odds for binary), which add up with shap_base to it (tree models only)',
      },
    },
    examples: [
      'mlops predict --model model/ --data new-customers.csv --out scored.csv',
      'mlops predict --model model/ --data new-customers.csv --out explained.csv --explain',
    ],
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
    const explained = flags.explain ? explainColumns(scorer, table) : { names: [], columns: [] };
    const output: DataTable = {
      columnNames: [...table.columnNames, 'score', ...(labels ? ['label'] : []), ...explained.names],
      columns: [
        ...table.columns,
        Array.from(scores, (score) => String(score)),
        ...(labels ? [labels] : []),
        ...explained.columns,
      ],
      rowCount: table.rowCount,
    };
    const outPath = stringFlag(flags, 'out')!;
    await writeFile(outPath, formatCsv(output));
    io.err(`scored ${table.rowCount} rows with ${scorer.artifact.model.kind} (${artifact.path})\n`);
    if (flags.explain) {
      io.err(`explained in ${scorer.marginUnits}: shap_base + the shap_ columns = the margin of each row\n`);
    }
    io.out(`${outPath}\n`);
    return 0;
  },
};

/** `shap_<column>` per input column, then `shap_base`; a model that cannot be explained is a usage error. */
function explainColumns(scorer: Scorer, table: DataTable): { names: string[]; columns: string[][] } {
  let explained: Explanations;
  try {
    explained = scorer.explainTable(table);
  } catch (error) {
    if (error instanceof ExplanationUnavailableError) throw new UsageError(`--explain: ${error.message}`);
    throw error;
  }
  const base = String(explained.baseValue);
  return {
    names: [...explained.columns.map((column) => `shap_${column}`), 'shap_base'],
    columns: [
      ...explained.contributions.map((values) => Array.from(values, (value) => String(value))),
      Array.from({ length: table.rowCount }, () => base),
    ],
  };
}
