import type { DataTable } from '../data/table';
import {
  type CategoricalColumnData,
  type ColumnData,
  guessColumnType,
  type NumericColumnData,
} from '../profile/columns';
import type { ColumnType } from '../schema/types';
import { cellToNumber } from '../schema/values';
import type { CategoricalReference, NumericReference, ReferenceColumn, Role } from './reference';
import type { SchemaDrift, SchemaFinding, Severity } from './report';
import {
  INFINITY_WARNING_RATIO,
  LISTED_NEW_CATEGORIES,
  MISSING_RATE_CHANGE,
  MISSING_RATE_HIGH,
  NEW_CATEGORY_RETRAIN_SHARE,
  NEW_COLUMN_RETRAIN_SHARE,
  TYPE_CHANGE_SHARE,
  VANISHED_CATEGORY_WARNING_SHARE,
} from './thresholds';

/**
 * Schema findings of a drift comparison (missing, new and retyped columns, missing-rate changes,
 * infinities, new and vanished categories), gathered column by column with the retrain reasons
 * they imply. Apart from the statistical tests: these judge the shape of the data, not its distribution.
 */

export function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.01 && share > 0 ? 2 : 1)}%`;
}

function severityOfMissingChange(change: number): Severity {
  return change >= MISSING_RATE_HIGH ? 'high' : change >= MISSING_RATE_CHANGE ? 'warning' : 'info';
}

/** Share of non-missing current cells that are not valid for the reference type, and the type they suggest. */
export function typeMismatch(
  type: ColumnType,
  reference: ReferenceColumn,
  current: ColumnData,
): { to: ColumnType; share: number } | null {
  if (type === 'numeric' && current.kind === 'numeric') {
    const present = current.sorted.length + current.unparseable;
    const share = present > 0 ? current.unparseable / present : 0;
    return share > TYPE_CHANGE_SHARE ? { to: 'categorical', share } : null;
  }
  if (type === 'boolean' && current.kind === 'categorical') {
    let other = 0;
    let present = 0;
    for (const [key, count] of current.counts) {
      present += count;
      if (key !== 'true' && key !== 'false') other += count;
    }
    const share = present > 0 ? other / present : 0;
    return share > TYPE_CHANGE_SHARE ? { to: 'categorical', share } : null;
  }
  if (type === 'categorical' && reference.kind === 'categorical' && current.kind === 'categorical') {
    const referenceNumeric = [...reference.counts.keys()].some((key) => !Number.isNaN(Number(key)));
    if (referenceNumeric || current.counts.size === 0) return null;
    let numeric = 0;
    let present = 0;
    for (const [key, count] of current.counts) {
      present += count;
      if (!Number.isNaN(cellToNumber(key))) numeric += count;
    }
    const share = present > 0 ? numeric / present : 0;
    return share > TYPE_CHANGE_SHARE ? { to: 'numeric', share } : null;
  }
  return null;
}

export class SchemaFindings {
  readonly findings: SchemaFinding[] = [];
  readonly schema: Omit<SchemaDrift, 'findings'> = {
    newColumns: [],
    missingColumns: [],
    typeChanges: [],
    newCategories: [],
    vanishedCategories: [],
    missingRateChanges: [],
    infinities: [],
  };
  /** In the order found; the caller puts dataset drift first. */
  readonly retrainReasons: string[] = [];

  missingColumn(name: string, role: Role): void {
    const severity: Severity = role === 'feature' ? 'high' : 'info';
    this.schema.missingColumns.push({ name, role });
    this.findings.push({
      kind: 'missingColumn',
      column: name,
      severity,
      message:
        role === 'target'
          ? `target "${name}" is not in the current data (expected for inference traffic)`
          : `${role} "${name}" is missing from the current data`,
    });
    if (role === 'feature') this.retrainReasons.push(`feature "${name}" is missing from the current data`);
  }

  typeChange(name: string, from: ColumnType, mismatch: { to: ColumnType; share: number }): void {
    this.schema.typeChanges.push({ column: name, from, to: mismatch.to, share: mismatch.share });
    this.findings.push({
      kind: 'typeChange',
      column: name,
      severity: 'high',
      message: `"${name}" was ${from} in the reference; ${percent(mismatch.share)} of current values read as ${mismatch.to}`,
    });
    this.retrainReasons.push(`column "${name}" changed type from ${from} to ${mismatch.to}`);
  }

  missingRate(name: string, role: Role, referenceMissingRate: number, currentMissingRate: number): void {
    const missingChange = Math.abs(currentMissingRate - referenceMissingRate);
    if (!(missingChange >= MISSING_RATE_CHANGE || (referenceMissingRate === 0 && currentMissingRate > 0))) return;
    const severity = severityOfMissingChange(missingChange);
    this.schema.missingRateChanges.push({ column: name, reference: referenceMissingRate, current: currentMissingRate });
    this.findings.push({
      kind: 'missingRateChange',
      column: name,
      severity,
      message: `missing values in "${name}": ${percent(referenceMissingRate)} in the reference, ${percent(currentMissingRate)} now`,
    });
    if (severity === 'high' && role === 'feature') {
      this.retrainReasons.push(
        `missing values in "${name}" went from ${percent(referenceMissingRate)} to ${percent(currentMissingRate)}`,
      );
    }
  }

  /** Infinities and unparseable cells: both are left out of the test, so they are reported here. */
  numericValues(name: string, ref: NumericReference, cur: NumericColumnData): void {
    const currentInfinities = cur.positiveInfinity + cur.negativeInfinity;
    if (currentInfinities > 0) {
      const referenceShare = ref.rows > 0 ? ref.infinities / ref.rows : 0;
      const currentShare = currentInfinities / cur.rows;
      this.schema.infinities.push({ column: name, reference: ref.infinities, current: currentInfinities });
      this.findings.push({
        kind: 'infinities',
        column: name,
        severity: currentShare > referenceShare * INFINITY_WARNING_RATIO ? 'warning' : 'info',
        message: `${currentInfinities} infinite values in "${name}" (${percent(currentShare)} of rows; reference ${percent(referenceShare)}), excluded from the test`,
      });
    }
    if (cur.unparseable > 0) {
      this.findings.push({
        kind: 'unparseableValues',
        column: name,
        severity: 'warning',
        message: `${cur.unparseable} values in numeric "${name}" are not numbers, excluded from the test`,
      });
    }
  }

  categories(name: string, role: Role, ref: CategoricalReference, cur: CategoricalColumnData): void {
    const currentCount = cur.rows - cur.missing;
    // A profile that pooled values beyond its top ones cannot tell a new category from a pooled one.
    if (ref.otherDistinct === 0) {
      const unseen = [...cur.counts.entries()].filter(([key]) => !ref.counts.has(key));
      if (unseen.length > 0) {
        const rows = unseen.reduce((sum, [, count]) => sum + count, 0);
        const share = currentCount > 0 ? rows / currentCount : 0;
        const categories = unseen
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .map(([value, count]) => ({ value, count }));
        this.schema.newCategories.push({ column: name, categories, rows, share });
        const listed = categories
          .slice(0, LISTED_NEW_CATEGORIES)
          .map((entry) => `"${entry.value}" (${entry.count})`)
          .join(', ');
        this.findings.push({
          kind: 'newCategories',
          column: name,
          severity: share >= NEW_CATEGORY_RETRAIN_SHARE ? 'warning' : 'info',
          message: `${categories.length} new ${categories.length === 1 ? 'category' : 'categories'} in "${name}" in ${percent(share)} of rows: ${listed}${categories.length > LISTED_NEW_CATEGORIES ? ', ...' : ''}`,
        });
        if (share >= NEW_CATEGORY_RETRAIN_SHARE && role === 'feature') {
          this.retrainReasons.push(`"${name}" has categories unseen in training in ${percent(share)} of rows`);
        }
      }
    }
    const vanished = [...ref.counts.entries()].filter(([key]) => !cur.counts.has(key));
    if (vanished.length > 0 && currentCount > 0) {
      const referenceRows = vanished.reduce((sum, [, count]) => sum + count, 0);
      const referenceShare = ref.count > 0 ? referenceRows / ref.count : 0;
      const categories = vanished.map(([value, count]) => ({ value, count }));
      this.schema.vanishedCategories.push({ column: name, categories, referenceShare });
      this.findings.push({
        kind: 'vanishedCategories',
        column: name,
        severity: referenceShare >= VANISHED_CATEGORY_WARNING_SHARE ? 'warning' : 'info',
        message: `${categories.length} reference ${categories.length === 1 ? 'category' : 'categories'} of "${name}" absent now (${percent(referenceShare)} of reference rows)`,
      });
    }
  }

  /** A current column the reference does not have (and does not ignore). */
  newColumn(current: DataTable, index: number): void {
    const name = current.columnNames[index];
    const cells = current.columns[index];
    let present = 0;
    for (const cell of cells) if (cell !== null && cell !== '') present++;
    const presentShare = current.rowCount > 0 ? present / current.rowCount : 0;
    const type = guessColumnType(cells);
    this.schema.newColumns.push({ name, presentShare, type });
    const suggests = presentShare >= NEW_COLUMN_RETRAIN_SHARE;
    this.findings.push({
      kind: 'newColumn',
      column: name,
      severity: suggests ? 'warning' : 'info',
      message: `new ${type} column "${name}" carried by ${percent(presentShare)} of rows`,
    });
    if (suggests) this.retrainReasons.push(`new column "${name}" is present in ${percent(presentShare)} of rows`);
  }
}
