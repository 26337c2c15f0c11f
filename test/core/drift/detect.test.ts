import { type Cell, type DataTable, tableFromRecords } from '../../../core/data/table';
import { createRandom } from '../../../core/datasets/random';
import { analyzeDrift, computeDriftReport } from '../../../core/drift/detect';
import { DriftConfigError } from '../../../core/drift/options';
import { driftReportSchema } from '../../../core/drift/report';
import { buildProfile } from '../../../core/profile/profile';
import type { DataSchema } from '../../../core/schema/types';

const NOW = new Date('2026-11-29T12:00:00Z');

function table(columns: Record<string, Cell[]>): DataTable {
  const names = Object.keys(columns);
  return { columnNames: names, columns: names.map((name) => columns[name]), rowCount: columns[names[0]].length };
}

function normals(seed: number, n: number, mean = 0, sd = 1): number[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => mean + sd * random.normal());
}

function picks(seed: number, n: number, items: string[], weights?: number[]): string[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => random.pick(items, weights));
}

const featureSchema = (columns: [string, 'numeric' | 'categorical' | 'boolean'][], target = 'y'): DataSchema => ({
  columns: columns.map(([name, type]) => ({
    name,
    type,
    role: name === target ? 'target' : 'feature',
    missingRate: 0,
    uniqueCount: 0,
  })),
  target,
  rowCount: 0,
});

describe('schema drift is reported as findings, never as exceptions', () => {
  it('reports a feature missing from the current data and a new column with the share of rows carrying it', () => {
    // Given a reference with x and c, and current data without c but with a new, mostly filled column
    const reference = table({ x: normals(1, 200), c: picks(2, 200, ['a', 'b', 'c']) });
    const video = Array.from({ length: 150 }, (_, i): Cell => (i < 120 ? i * 1.5 : null));
    const current = table({ x: normals(3, 150), time_spent_on_video_tutorials: video });
    // When analysed
    const report = computeDriftReport(reference, current, { now: NOW });
    // Then both are findings, the missing column has no verdict, and a retrain is suggested
    expect(report.schema.missingColumns).toEqual([{ name: 'c', role: 'feature' }]);
    expect(report.schema.newColumns).toEqual([
      { name: 'time_spent_on_video_tutorials', presentShare: 0.8, type: 'numeric' },
    ]);
    expect(report.columns.find((c) => c.name === 'c')).toMatchObject({ status: 'missing', drift: false, score: null });
    expect(report.suggestsRetrain).toBe(true);
    expect(report.retrainReasons).toEqual(
      expect.arrayContaining([
        expect.stringContaining('time_spent_on_video_tutorials'),
        expect.stringContaining('"c"'),
      ]),
    );
    expect(driftReportSchema.safeParse(report).success).toBe(true);
  });

  it('does not call columns excluded at training time, or left out of the schema, new', () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ id: i, x: i % 7, y: i % 2 }));
    const profile = buildProfile(tableFromRecords(records), {
      columns: [
        { name: 'id', type: 'numeric', role: 'excluded', missingRate: 0, uniqueCount: 100 },
        { name: 'x', type: 'numeric', role: 'feature', missingRate: 0, uniqueCount: 7 },
      ],
      target: 'y',
      rowCount: 100,
    });
    const report = computeDriftReport(profile, tableFromRecords(records), { now: NOW });
    expect(report.schema.newColumns).toEqual([]);
  });

  it('reports a numeric column whose values turned into text as a type change, without a test', () => {
    const reference = table({ x: normals(1, 100) });
    const current = table({ x: picks(2, 100, ['low', 'high']) });
    const report = computeDriftReport(reference, current, { now: NOW });
    expect(report.schema.typeChanges).toEqual([{ column: 'x', from: 'numeric', to: 'categorical', share: 1 }]);
    expect(report.columns[0].status).toBe('type-changed');
    expect(report.schema.findings[0]).toMatchObject({ kind: 'typeChange', severity: 'high' });
  });

  it('reports a missing-rate change instead of silently dropping missing values', () => {
    const values = normals(1, 400);
    const current = values.map((value, i): Cell => (i % 4 === 0 ? null : value));
    const report = computeDriftReport(table({ x: values }), table({ x: current }), { now: NOW });
    expect(report.schema.missingRateChanges).toEqual([{ column: 'x', reference: 0, current: 0.25 }]);
    expect(report.schema.findings.find((f) => f.kind === 'missingRateChange')?.severity).toBe('high');
    expect(report.columns[0].current).toEqual({ rows: 400, count: 300, missingRate: 0.25 });
  });

  it('counts infinities apart from missing values and keeps them out of the test', () => {
    const values = normals(1, 300);
    const current: Cell[] = [...normals(2, 290), ...Array<Cell>(10).fill(Number.POSITIVE_INFINITY)];
    const report = computeDriftReport(table({ x: values }), table({ x: current }), { now: NOW });
    expect(report.schema.infinities).toEqual([{ column: 'x', reference: 0, current: 10 }]);
    expect(report.columns[0]).toMatchObject({ status: 'ok', current: { count: 290, missingRate: 0 } });
  });
});

describe('categories never seen in the reference', () => {
  it('do not force p = 0 on their own: one new value among 500 leaves chi-square undrifted', () => {
    // Given the same category mix, plus a single row with an unseen category
    const reference = picks(1, 500, ['a', 'b', 'c', 'd']);
    const current = [...picks(2, 499, ['a', 'b', 'c', 'd']), 'brand-new'];
    // When tested with Evidently's goodness-of-fit chi-square (leftover bin) and with the default two-sample form
    const report = computeDriftReport(table({ c: reference }), table({ c: current }), {
      now: NOW,
      columns: { c: { test: 'chisquare' } },
    });
    const byDefault = computeDriftReport(table({ c: reference }), table({ c: current }), { now: NOW }).columns[0];
    // Then the new category is a finding with its count, and the column is not drifted under either test
    const column = report.columns[0];
    expect(column.test).toBe('chisquare');
    expect(column.drift).toBe(false);
    expect(column.pValue).toBeGreaterThan(0.05);
    expect(byDefault).toMatchObject({ test: 'chisquare-homogeneity', drift: false });
    expect(report.schema.newCategories).toEqual([
      { column: 'c', categories: [{ value: 'brand-new', count: 1 }], rows: 1, share: 1 / 500 },
    ]);
  });

  it('still flag drift when many rows carry them', () => {
    const reference = picks(1, 500, ['a', 'b', 'c', 'd']);
    const current = [...picks(2, 400, ['a', 'b', 'c', 'd']), ...Array<string>(100).fill('brand-new')];
    const report = computeDriftReport(table({ c: reference }), table({ c: current }), { now: NOW });
    expect(report.columns[0].drift).toBe(true);
    expect(report.suggestsRetrain).toBe(true);
  });

  it('report vanished categories with their reference counts', () => {
    const reference = [...picks(1, 480, ['a', 'b']), ...Array<string>(20).fill('gone')];
    const current = picks(2, 500, ['a', 'b']);
    const report = computeDriftReport(table({ c: reference }), table({ c: current }), { now: NOW });
    expect(report.schema.vanishedCategories).toEqual([
      { column: 'c', categories: [{ value: 'gone', count: 20 }], referenceShare: 0.04 },
    ]);
  });
});

describe('verdicts, thresholds and options', () => {
  it('says "not enough data" below the minimum sample size', () => {
    const report = computeDriftReport(table({ x: normals(1, 100) }), table({ x: normals(2, 10) }), { now: NOW });
    expect(report.columns[0]).toMatchObject({ status: 'not-enough-data', score: null, drift: false });
    expect(report.columns[0].message).toMatch(/not enough data: 100 reference and 10 current/);
    expect(report.columnCount).toBe(0);
  });

  it('applies a per-column test and threshold override', () => {
    const reference = table({ x: normals(1, 2000) });
    const current = table({ x: normals(2, 2000, 0.05) });
    const report = computeDriftReport(reference, current, {
      now: NOW,
      columns: { x: { test: 'psi', threshold: 0.001 } },
    });
    expect(report.columns[0]).toMatchObject({ test: 'psi', threshold: 0.001 });
  });

  it('rejects a numeric-only test on a categorical column with a message naming both', () => {
    const reference = table({ c: picks(1, 100, ['a', 'b', 'c']) });
    expect(() => computeDriftReport(reference, reference, { columns: { c: { test: 'ks' } } })).toThrow(
      DriftConfigError,
    );
    expect(() => computeDriftReport(reference, reference, { columns: { c: { test: 'ks' } } })).toThrow(
      /column "c" \(categorical\): test "ks" needs a numeric column/,
    );
  });

  it('rejects an override for a column the reference does not have', () => {
    const reference = table({ x: normals(1, 100) });
    expect(() => computeDriftReport(reference, reference, { columns: { nope: { test: 'ks' } } })).toThrow(
      /column "nope", which the reference does not have; columns are: x/,
    );
  });

  it('declares dataset drift when the drifted share reaches the threshold', () => {
    const reference = table({ a: normals(1, 2000), b: normals(2, 2000), c: normals(3, 2000) });
    const current = table({ a: normals(4, 2000, 1), b: normals(5, 2000, 1), c: normals(6, 2000) });
    const report = computeDriftReport(reference, current, { now: NOW });
    expect(report).toMatchObject({ driftedColumns: 2, columnCount: 3, datasetDrift: true });
    expect(report.driftShare).toBeCloseTo(2 / 3, 12);
    expect(computeDriftReport(reference, current, { now: NOW, driftShare: 0.9 }).datasetDrift).toBe(false);
  });

  it('corrects p-values with Bonferroni and Benjamini-Hochberg', () => {
    // Given 3 KS columns of which one shifts slightly
    const reference = table({ a: normals(1, 300), b: normals(2, 300), c: normals(3, 300) });
    const current = table({ a: normals(4, 300, 0.2), b: normals(5, 300), c: normals(6, 300) });
    const plain = computeDriftReport(reference, current, { now: NOW });
    const bonferroni = computeDriftReport(reference, current, { now: NOW, correction: 'bonferroni' });
    const bh = computeDriftReport(reference, current, { now: NOW, correction: 'benjamini-hochberg' });
    // Then adjusted p-values follow each rule
    const p = plain.columns.map((c) => c.pValue!);
    expect(bonferroni.columns.map((c) => c.adjustedPValue)).toEqual(p.map((value) => Math.min(1, value * 3)));
    const order = [...p].sort((x, y) => x - y);
    const smallest = bh.columns[p.indexOf(order[0])].adjustedPValue!;
    expect(smallest).toBeCloseTo(Math.min(order[0] * 3, (order[1] * 3) / 2, order[2]), 12);
  });

  it('uses the profile stored in an artifact the same way as the raw reference for small references', () => {
    // Given a reference of 500 rows (small: exact values are kept in the profile)
    const reference = table({ x: normals(1, 500), c: picks(2, 500, ['a', 'b', 'c']) });
    const current = table({ x: normals(3, 400, 0.1), c: picks(4, 400, ['a', 'b', 'c']) });
    const profile = buildProfile(
      reference,
      featureSchema([
        ['x', 'numeric'],
        ['c', 'categorical'],
      ]),
    );
    // When analysed from the table and from the profile; then the scores are identical
    const fromTable = computeDriftReport(reference, current, { now: NOW });
    const fromProfile = computeDriftReport(profile, current, { now: NOW });
    expect(fromProfile.columns.map((c) => c.score)).toEqual(fromTable.columns.map((c) => c.score));
    expect(fromProfile.columns.every((c) => !c.approximate)).toBe(true);
  });
});

describe('the quantile-sketch path from a profile (100,000 reference rows)', () => {
  const n = 100_000;
  const cases: [string, number[], number[]][] = [
    ['normal, shifted 0.05 sd', normals(11, n), normals(12, n, 0.05)],
    ['lognormal, scaled', normals(13, n).map(Math.exp), normals(14, n, 0, 1.1).map(Math.exp)],
    [
      'rounded (ties)',
      normals(15, n).map((v) => Math.round(v * 4) / 4),
      normals(16, n, 0.1).map((v) => Math.round(v * 4) / 4),
    ],
  ];
  it.each(cases)(
    'stays within the documented bounds of the exact statistics: %s',
    (_name, referenceValues, currentValues) => {
      // Given the same reference as a table (exact) and as a profile (sketch)
      const reference = table({ x: referenceValues });
      const current = table({ x: currentValues });
      const profile = buildProfile(reference, featureSchema([['x', 'numeric']]));
      const analyse = (ref: typeof profile | DataTable, test: 'ks' | 'wasserstein') =>
        analyzeDrift(ref, current, { now: NOW, columns: { x: { test } } }).report.columns[0];
      // When KS and Wasserstein are computed both ways
      const exactKs = analyse(reference, 'ks');
      const sketchKs = analyse(profile, 'ks');
      const exactW = analyse(reference, 'wasserstein');
      const sketchW = analyse(profile, 'wasserstein');
      // Then |D_sketch - D_exact| <= 1/1000 + 1/n and |W_sketch - W_exact| <= (max - min) / 1000 (in sd units)
      expect(sketchKs.approximate).toBe(true);
      expect(Math.abs(sketchKs.statistic! - exactKs.statistic!)).toBeLessThanOrEqual(1 / 1000 + 1 / n);
      const sorted = [...referenceValues].sort((a, b) => a - b);
      const column = profile.columns[0];
      const std = column.type === 'numeric' ? column.std! : 1;
      expect(Math.abs(sketchW.score! - exactW.score!)).toBeLessThanOrEqual((sorted[n - 1] - sorted[0]) / 1000 / std);
    },
  );
});

describe('calibration with fixed seeds (n = 10,000)', () => {
  const n = 10_000;
  const trials = 12;

  it('flags at most about 5% of columns when both samples come from one distribution', () => {
    // Given pairs from one distribution, tested with the calibrated p-value tests (KS, two-sample chi-square, z)
    let flagged = 0;
    let tested = 0;
    for (let trial = 0; trial < trials; trial++) {
      const seed = 1000 + trial * 10;
      const make = (offset: number) =>
        table({
          k1: normals(seed + offset, n),
          k2: normals(seed + offset + 1, n, 5, 2),
          k3: normals(seed + offset + 2, n).map(Math.exp),
          chi: picks(seed + offset + 3, n, ['a', 'b', 'c', 'd'], [4, 3, 2, 1]),
          z: picks(seed + offset + 4, n, ['yes', 'no'], [7, 3]),
        });
      const report = computeDriftReport(make(0), make(5), {
        now: NOW,
        columns: {
          k1: { test: 'ks' },
          k2: { test: 'ks' },
          k3: { test: 'ks' },
          chi: { test: 'chisquare-homogeneity' },
          z: { test: 'z' },
        },
      });
      flagged += report.driftedColumns;
      tested += report.columnCount;
    }
    // Then the false-positive share is about the 5% level
    expect(tested).toBe(trials * 5);
    expect(flagged / tested).toBeLessThanOrEqual(0.08);
  });

  it('detects a 0.25 sd mean shift in at least 95% of trials, with KS and with the default Wasserstein', () => {
    let detectedKs = 0;
    let detectedDefault = 0;
    for (let trial = 0; trial < trials; trial++) {
      const reference = table({ x: normals(2000 + trial, n) });
      const current = table({ x: normals(3000 + trial, n, 0.25) });
      if (computeDriftReport(reference, current, { now: NOW, columns: { x: { test: 'ks' } } }).columns[0].drift)
        detectedKs++;
      const byDefault = computeDriftReport(reference, current, { now: NOW }).columns[0];
      expect(byDefault.test).toBe('wasserstein');
      if (byDefault.drift) detectedDefault++;
    }
    expect(detectedKs / trials).toBeGreaterThanOrEqual(0.95);
    expect(detectedDefault / trials).toBeGreaterThanOrEqual(0.95);
  });
});
