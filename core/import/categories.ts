/**
 * Category labels of an imported model's categorical features. XGBoost and LightGBM see a pandas
 * `category` column as its integer codes, while the platform's data and clients hold the labels
 * ("basic", "premium"); the label -> code mapping the framework saw is pandas' own: the code of a
 * label is its index in `X[c].cat.categories`. That list comes from a categories file the team
 * writes from its training frame, or, for `astype('category')`, is the sorted distinct labels.
 */
import * as z from 'zod';
import type { Cell } from '../data/table';
import type { PipelineJson } from '../features/pipeline';
import type { TreesModelJson } from '../learners/trees';
import { cellToBoolean, cellToCategory, isNonNumericText } from '../schema/values';
import { ImportError } from './import-error';

/** Where a categorical feature's label order came from. */
export type CategoriesFrom = 'categories-file' | 'data';

/**
 * Python's string order, which pandas sorts categories by: Unicode code points. JavaScript's `<`
 * compares UTF-16 units, which puts a character beyond U+FFFF (a surrogate pair) before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const difference = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (difference !== 0) return difference;
  }
}

/**
 * The categories pandas' `astype('category')` makes of a column of text: its distinct non-missing
 * labels in sorted order. A CSV column that holds any text is text throughout in pandas, so numbers
 * are sorted by their spelling ("10" before "9"), as here.
 */
export function labelsAsPandasSortsThem(column: ReadonlyArray<Cell>): string[] {
  const labels = new Set<string>();
  for (const cell of column) {
    const label = cellToCategory(cell);
    if (label !== null) labels.add(label);
  }
  return [...labels].sort(compareCodePoints);
}

/** True when the column holds text that is not a number: labels, not the codes themselves. */
export function holdsLabels(column: ReadonlyArray<Cell>): boolean {
  return column.some(isNonNumericText);
}

/** True when every non-missing cell is a boolean word or 0/1 and at least one is a word (yes/no, true/false). */
export function isBooleanLike(column: ReadonlyArray<Cell>): boolean {
  let words = 0;
  for (const cell of column) {
    if (cellToCategory(cell) === null) continue;
    if (cellToBoolean(cell) === null) return false;
    if (typeof cell === 'string' && isNonNumericText(cell)) words++;
  }
  return words > 0;
}

const categoriesFileSchema = z.record(z.string(), z.array(z.union([z.string(), z.number()])).min(1));

/**
 * Reads a categories file: `{"column": [labels in code order], ...}`, as written from the training
 * frame by `json.dump({c: X[c].cat.categories.tolist() for c in categorical_columns}, f)`.
 */
export function parseCategoriesFile(text: string, source: string): Map<string, string[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ImportError(`--categories ${source} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = categoriesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ImportError(
      `--categories ${source} must be {"column": [labels in code order], ...}: at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const out = new Map<string, string[]>();
  for (const [column, values] of Object.entries(parsed.data)) {
    const labels = values.map((value) => cellToCategory(value));
    const blank = labels.indexOf(null);
    if (blank >= 0) throw new ImportError(`--categories ${source}: "${column}" has a blank label at index ${blank}`);
    const seen = new Set<string>();
    for (const label of labels as string[]) {
      if (seen.has(label)) throw new ImportError(`--categories ${source}: "${column}" lists "${label}" twice`);
      seen.add(label);
    }
    out.set(column, labels as string[]);
  }
  return out;
}

/** The largest category code any split of feature `index` tests, or -1 when none does. */
export function largestCodeUsed(model: TreesModelJson, index: number): number {
  let largest = -1;
  for (const tree of model.trees) {
    if (!tree.categories) continue;
    tree.categories.forEach((set, node) => {
      if (set && tree.feature[node] === index) for (const code of set) largest = Math.max(largest, code);
    });
  }
  return largest;
}

/**
 * The pipeline step that gives the model the code of each label: its index in `labels`. A missing
 * label and a label not in the list reach the model as NaN (`keepMissing`), so the trees' default
 * directions route them: what the team's own serving code gives when it encodes new rows with the
 * training categories (`pd.Categorical(x, categories=...)` codes an unknown label as missing).
 * The codes one past the last stay in the JSON only because the step's schema requires them.
 */
export function labelCodeStep(column: string, labels: readonly string[]): PipelineJson['steps'][number] {
  return {
    kind: 'categorical',
    column,
    codes: labels.map((label, code): [string, number] => [label, code]),
    otherCode: labels.length,
    missingCode: labels.length,
    cardinality: labels.length + 1,
    keepMissing: true,
  };
}
