import { type Cell, DataError } from '../data/table';
import type { Task } from '../learners/types';
import { timed } from '../timing/phases';
import { cellToCategory, cellToNumber } from './values';

/** How raw target cells become numbers a learner trains on. Stored in the artifact. */
export type TargetEncoding =
  | { readonly task: 'binary'; readonly positiveLabel: string; readonly negativeLabel: string }
  | { readonly task: 'regression' };

export interface EncodedTarget {
  readonly encoding: TargetEncoding;
  /** 0/1 (binary) or the value (regression), NaN where the target is missing. */
  readonly values: Float64Array;
  readonly missingCount: number;
  /** Decisions a user should see, such as which label was taken as positive and why. */
  readonly notes: readonly string[];
}

const TRUTHY = new Set(['yes', 'true', '1', 'y', 't', 'positive', 'pos']);

function labelCounts(column: ReadonlyArray<Cell>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const cell of column) {
    const label = cellToCategory(cell);
    if (label !== null) counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts;
}

/**
 * Picks the positive class when the user did not name one. Deterministic: a truthy-looking label
 * (yes, true, 1) wins; otherwise the rarer class, ties broken by the later label in sort order.
 */
function choosePositive(counts: Map<string, number>): { label: string; why: string } {
  const labels = [...counts.keys()].sort();
  const truthy = labels.find((label) => TRUTHY.has(label.toLowerCase()));
  if (truthy !== undefined) return { label: truthy, why: 'it reads as true' };
  const [a, b] = labels;
  const rarer = counts.get(a)! < counts.get(b)! ? a : b;
  return { label: rarer, why: 'it is the rarer class' };
}

type EncodeTargetOptions = { target: string; task?: Task; positiveLabel?: string; source?: string };

export function encodeTarget(column: ReadonlyArray<Cell>, options: EncodeTargetOptions): EncodedTarget {
  return timed('schema', () => encodeTargetUntimed(column, options));
}

function encodeTargetUntimed(column: ReadonlyArray<Cell>, options: EncodeTargetOptions): EncodedTarget {
  const source = options.source ?? 'the data';
  const counts = labelCounts(column);
  const notes: string[] = [];
  const allNumeric = [...counts.keys()].every((label) => !Number.isNaN(cellToNumber(label)));
  const task: Task =
    options.task ?? (options.positiveLabel !== undefined || counts.size <= 2 ? 'binary' : 'regression');
  const values = new Float64Array(column.length);
  let missingCount = 0;

  if (task === 'regression') {
    if (!allNumeric) {
      const example = [...counts.keys()].find((label) => Number.isNaN(cellToNumber(label)));
      throw new DataError(`${source}: target "${options.target}" must be numeric for regression, found "${example}"`);
    }
    for (let i = 0; i < column.length; i++) {
      const value = cellToNumber(column[i]);
      values[i] = Number.isFinite(value) ? value : Number.NaN;
      if (Number.isNaN(values[i])) missingCount++;
    }
    return { encoding: { task }, values, missingCount, notes };
  }

  if (counts.size < 2) {
    const only = [...counts.keys()][0];
    throw new DataError(
      only === undefined
        ? `${source}: target "${options.target}" has no values`
        : `${source}: target "${options.target}" has a single class ("${only}"); binary training needs two`,
    );
  }
  if (counts.size > 2) {
    const shown = [...counts.keys()].slice(0, 5).join(', ');
    throw new DataError(
      `${source}: target "${options.target}" has ${counts.size} classes (${shown}${counts.size > 5 ? ', ...' : ''}); ` +
        'binary classification needs exactly two, or set the problem type to regression',
    );
  }
  let positive: string;
  if (options.positiveLabel !== undefined) {
    positive = options.positiveLabel;
    if (!counts.has(positive)) {
      throw new DataError(
        `${source}: positive label "${positive}" not found in target "${options.target}"; labels are: ${[...counts.keys()].join(', ')}`,
      );
    }
  } else {
    const choice = choosePositive(counts);
    positive = choice.label;
    notes.push(`positive class "${positive}" chosen because ${choice.why}; pass --positive to choose another`);
  }
  const negative = [...counts.keys()].find((label) => label !== positive)!;
  for (let i = 0; i < column.length; i++) {
    const label = cellToCategory(column[i]);
    if (label === null) {
      values[i] = Number.NaN;
      missingCount++;
    } else {
      values[i] = label === positive ? 1 : 0;
    }
  }
  return {
    encoding: { task: 'binary', positiveLabel: positive, negativeLabel: negative },
    values,
    missingCount,
    notes,
  };
}
