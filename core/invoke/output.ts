import { formatCsv } from '../data/csv';
import type { Cell, DataTable } from '../data/table';
import type { InvokeResult } from './response';

/**
 * How `mlops invoke` prints predictions: a table for people, CSV for other programs, or a small
 * JSON object. One row per input row, numbered from 1 in input order; nested fields of a
 * prediction (an explanation, for example) become one column each, named by their path
 * (`explanation.age`).
 */

/** The predictions as a table: `row`, then every field in first-seen order (id, score, label, ...). */
export function predictionTable(result: InvokeResult): DataTable {
  const flat = result.predictions.map((prediction) => flatten(prediction));
  const names: string[] = [];
  const seen = new Set<string>();
  for (const record of flat) {
    for (const name of record.keys()) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  const rowColumn: Cell[] = flat.map((_, index) => index + 1);
  const columns = names.map((name) => flat.map((record) => record.get(name) ?? null));
  return { columnNames: ['row', ...names], columns: [rowColumn, ...columns], rowCount: flat.length };
}

export function formatPredictionsCsv(result: InvokeResult): string {
  return formatCsv(predictionTable(result));
}

/** Left-aligned columns two spaces apart; numbers as JavaScript prints them, missing as `-`. */
export function formatPredictionsTable(result: InvokeResult): string {
  const table = predictionTable(result);
  const text = table.columns.map((column) => column.map((cell) => (cell === null ? '-' : String(cell))));
  const widths = table.columnNames.map((name, column) => {
    let width = name.length;
    for (const cell of text[column]!) if (cell.length > width) width = cell.length;
    return width;
  });
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const lines = [line(table.columnNames)];
  for (let row = 0; row < table.rowCount; row++) lines.push(line(text.map((column) => column[row]!)));
  return `${lines.join('\n')}\n`;
}

/**
 * `--json`: `{"model", "predictions", "warnings", "requests"}`, the predictions as the endpoint sent
 * them, in input order. Fields are only ever added.
 */
export function formatPredictionsJson(result: InvokeResult): string {
  const { model, predictions, warnings, requests } = result;
  return `${JSON.stringify({ model, predictions, warnings, requests })}\n`;
}

function flatten(value: Readonly<Record<string, unknown>>, prefix = '', into = new Map<string, Cell>()) {
  for (const [key, cell] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (cell !== null && typeof cell === 'object' && !Array.isArray(cell)) {
      flatten(cell as Record<string, unknown>, name, into);
    } else if (Array.isArray(cell)) {
      into.set(name, JSON.stringify(cell));
    } else {
      into.set(name, (cell ?? null) as Cell);
    }
  }
  return into;
}
