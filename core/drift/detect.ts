import type { DataTable } from '../data/table';
import { ColumnBuffers, readColumn } from '../profile/columns';
import {
  type ColumnProfile,
  type DataProfile,
  PROFILE_FORMAT,
  PROFILE_FORMAT_VERSION,
  profileColumn,
  QUANTILE_SKETCH_SIZE,
} from '../profile/profile';
import { defaultTest, driftVerdict, runTest, type TestOutcome } from './column-tests';
import { DriftConfigError, type DriftOptions, thresholdFor } from './options';
import { referenceSpecs, unionUniqueCount } from './reference';
import type { ColumnDrift, DriftReport } from './report';
import { SchemaFindings, typeMismatch } from './schema-findings';
import { DEFAULT_DRIFT_SHARE, DEFAULT_MIN_ROWS, UNIQUE_COUNT_CAP } from './thresholds';

/**
 * Drift analysis: each reference column against the current data, plus schema findings. Its
 * parts sit beside it: thresholds.ts (every number and why), options.ts, reference.ts (the
 * reference side), column-tests.ts (test choice and scoring), schema-findings.ts.
 */

/** Applies Bonferroni or Benjamini-Hochberg to the p-values of tested p-value columns, in place of their verdicts. */
function applyCorrection(columns: ColumnDrift[], correction: DriftOptions['correction']): ColumnDrift[] {
  if (!correction || correction === 'none') return columns;
  const tested = columns
    .map((column, index) => ({ column, index }))
    .filter(({ column }) => column.status === 'ok' && column.pValue !== undefined);
  const m = tested.length;
  if (m === 0) return columns;
  const adjusted = new Map<number, number>();
  if (correction === 'bonferroni') {
    for (const { column, index } of tested) adjusted.set(index, Math.min(1, column.pValue! * m));
  } else {
    const ordered = [...tested].sort((a, b) => a.column.pValue! - b.column.pValue!);
    let running = 1;
    for (let rank = m; rank >= 1; rank--) {
      const { column, index } = ordered[rank - 1];
      running = Math.min(running, (column.pValue! * m) / rank);
      adjusted.set(index, Math.min(1, running));
    }
  }
  return columns.map((column, index) => {
    const value = adjusted.get(index);
    if (value === undefined) return column;
    return { ...column, adjustedPValue: value, drift: driftVerdict(column.test, value, column.threshold) };
  });
}

export interface DriftAnalysis {
  readonly report: DriftReport;
  /** Profiles of both sides, for the HTML report (the reference one is the input profile when one was given). */
  readonly referenceProfile: DataProfile;
  readonly currentProfile: DataProfile;
}

/**
 * Compares `current` with `reference` (a profile from a model artifact, or a table) column by
 * column and for schema changes. Columns are processed one at a time so only one column's sorted
 * values are alive at once. Never throws for data problems: they become findings.
 */
export function analyzeDrift(
  reference: DataProfile | DataTable,
  current: DataTable,
  options: DriftOptions = {},
): DriftAnalysis {
  const driftShareThreshold = options.driftShare ?? DEFAULT_DRIFT_SHARE;
  const minReferenceRows = options.minReferenceRows ?? DEFAULT_MIN_ROWS;
  const minCurrentRows = options.minCurrentRows ?? DEFAULT_MIN_ROWS;
  if (!(driftShareThreshold > 0 && driftShareThreshold <= 1)) {
    throw new DriftConfigError(`driftShare must be in (0, 1]; received ${driftShareThreshold}`);
  }
  // Slot 0 holds the reference column's values, slot 1 the current one's, reused column after column.
  const columnBuffers = new ColumnBuffers();
  const { specs, ignored, rows: referenceRows } = referenceSpecs(reference, options.schema, columnBuffers);
  for (const name of Object.keys(options.columns ?? {})) {
    if (!specs.some((spec) => spec.name === name)) {
      throw new DriftConfigError(
        `drift override for column "${name}", which the reference does not have; columns are: ${specs.map((s) => s.name).join(', ')}`,
      );
    }
  }

  const found = new SchemaFindings();
  const { retrainReasons } = found;
  const referenceProfiles: ColumnProfile[] = [];
  const currentProfiles: ColumnProfile[] = [];
  let columns: ColumnDrift[] = [];

  for (const spec of specs) {
    const override = options.columns?.[spec.name];
    const { reference: ref, profile: referenceProfile } = spec.load();
    referenceProfiles.push(referenceProfile);
    const referenceMissingRate = ref.rows > 0 ? ref.missing / ref.rows : 0;
    const base = {
      name: spec.name,
      type: spec.type,
      role: spec.role,
      reference: { rows: ref.rows, count: ref.count, missingRate: referenceMissingRate },
    };
    const index = current.columnNames.indexOf(spec.name);
    if (index < 0) {
      const test = override?.test ?? defaultTest(spec.type, ref.count, UNIQUE_COUNT_CAP);
      found.missingColumn(spec.name, spec.role);
      columns.push({
        ...base,
        test,
        score: null,
        threshold: thresholdFor(test, override, options),
        drift: false,
        status: 'missing',
        approximate: false,
        current: { rows: current.rowCount, count: 0, missingRate: 1 },
        message: 'column missing from the current data',
      });
      continue;
    }

    const cells = current.columns[index];
    const cur = readColumn(cells, spec.type, columnBuffers, 1);
    currentProfiles.push(profileColumn(spec.name, spec.role, spec.type, cur));
    const currentCount = cur.kind === 'numeric' ? cur.sorted.length : cur.rows - cur.missing;
    const currentMissingRate = cur.rows > 0 ? cur.missing / cur.rows : 0;
    const currentSide = { rows: cur.rows, count: currentCount, missingRate: currentMissingRate };

    const mismatch = typeMismatch(spec.type, ref, cur);
    if (mismatch) {
      const test = override?.test ?? defaultTest(spec.type, ref.count, UNIQUE_COUNT_CAP);
      found.typeChange(spec.name, spec.type, mismatch);
      columns.push({
        ...base,
        test,
        score: null,
        threshold: thresholdFor(test, override, options),
        drift: false,
        status: 'type-changed',
        approximate: false,
        current: currentSide,
        message: `values are now ${mismatch.to}`,
      });
      continue;
    }

    found.missingRate(spec.name, spec.role, referenceMissingRate, currentMissingRate);
    if (ref.kind === 'numeric' && cur.kind === 'numeric') found.numericValues(spec.name, ref, cur);
    if (ref.kind === 'categorical' && cur.kind === 'categorical') found.categories(spec.name, spec.role, ref, cur);

    const uniqueCount = unionUniqueCount(ref, cur, UNIQUE_COUNT_CAP);
    const test = override?.test ?? defaultTest(spec.type, ref.count, uniqueCount);
    const threshold = thresholdFor(test, override, options);
    if (ref.count < minReferenceRows || currentCount < minCurrentRows) {
      columns.push({
        ...base,
        test,
        score: null,
        threshold,
        drift: false,
        status: 'not-enough-data',
        approximate: false,
        current: currentSide,
        message: `not enough data: ${ref.count} reference and ${currentCount} current values (minimum ${minReferenceRows} and ${minCurrentRows})`,
      });
      continue;
    }
    let outcome: TestOutcome;
    try {
      outcome = runTest(test, ref, cur);
    } catch (error) {
      if (error instanceof DriftConfigError) {
        throw new DriftConfigError(`column "${spec.name}" (${spec.type}): ${error.message}`);
      }
      throw error;
    }
    columns.push({
      ...base,
      test,
      score: outcome.score,
      threshold,
      drift: driftVerdict(test, outcome.score, threshold),
      ...(outcome.pValue !== undefined ? { pValue: outcome.pValue } : {}),
      ...(outcome.statistic !== undefined ? { statistic: outcome.statistic } : {}),
      status: 'ok',
      approximate: outcome.approximate,
      current: currentSide,
      ...(outcome.message ? { message: outcome.message } : {}),
    });
  }

  for (let index = 0; index < current.columnNames.length; index++) {
    const name = current.columnNames[index];
    if (ignored.has(name) || specs.some((spec) => spec.name === name)) continue;
    found.newColumn(current, index);
  }

  columns = applyCorrection(columns, options.correction);
  const tested = columns.filter((column) => column.status === 'ok');
  const driftedColumns = tested.filter((column) => column.drift).length;
  const driftShare = tested.length > 0 ? driftedColumns / tested.length : 0;
  const datasetDrift = tested.length > 0 && driftShare >= driftShareThreshold;
  if (datasetDrift) {
    retrainReasons.unshift(
      `dataset drift: ${driftedColumns} of ${tested.length} columns drifted (share ${driftShare.toFixed(2)} >= ${driftShareThreshold})`,
    );
  }

  const report: DriftReport = {
    datasetDrift,
    driftShare,
    driftShareThreshold,
    driftedColumns,
    columnCount: tested.length,
    correction: options.correction ?? 'none',
    columns,
    schema: { ...found.schema, findings: found.findings },
    suggestsRetrain: retrainReasons.length > 0,
    retrainReasons,
    reference: { rows: referenceRows, source: 'format' in reference ? 'profile' : 'table' },
    current: { rows: current.rowCount },
    generatedAt: (options.now ?? new Date()).toISOString(),
  };
  const profileOf = (columns: ColumnProfile[], rowCount: number, ignoredColumns: string[]): DataProfile => ({
    format: PROFILE_FORMAT,
    formatVersion: PROFILE_FORMAT_VERSION,
    rowCount,
    quantileSketchSize: QUANTILE_SKETCH_SIZE,
    columns,
    ignoredColumns,
  });
  return {
    report,
    referenceProfile: 'format' in reference ? reference : profileOf(referenceProfiles, referenceRows, [...ignored]),
    currentProfile: profileOf(currentProfiles, current.rowCount, []),
  };
}

/** The drift report only (see analyzeDrift). */
export function computeDriftReport(
  reference: DataProfile | DataTable,
  current: DataTable,
  options: DriftOptions = {},
): DriftReport {
  return analyzeDrift(reference, current, options).report;
}
