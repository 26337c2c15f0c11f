import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromRecords } from '../../../core/data/table';
import { analyzeDrift } from '../../../core/drift/detect';
import { kolmogorovSf } from '../../../core/drift/special';
import {
  chiSquare,
  chiSquareHomogeneity,
  jensenShannon,
  ksTwoSampleSorted,
  populationStabilityIndex,
  twoProportionZTest,
  wassersteinSorted,
} from '../../../core/drift/stats';

// Golden values from test/core/drift/fixtures/make.py (scipy 1.10, Debian python3-scipy).
interface Fixtures {
  ks: { name: string; a: number[]; b: number[]; statistic: number; pValue: number; mode: string }[];
  kstwo: { n: number; x: number; sf: number }[];
  chisquare: {
    name: string;
    observed: number[];
    expected: number[];
    statistic: number;
    pValue: number;
    referenceCounts: number[];
    homogeneityStatistic: number;
    homogeneityPValue: number;
  }[];
  jensenshannon: { name: string; p: number[]; q: number[]; distance: number }[];
  wasserstein: { name: string; a: number[]; b: number[]; distance: number }[];
  z: {
    name: string;
    referenceSuccesses: number;
    referenceCount: number;
    currentSuccesses: number;
    currentCount: number;
    statistic: number;
    pValue: number;
  }[];
  psi: { name: string; reference: number[]; current: number[]; psi: number }[];
  columns: Record<
    string,
    {
      reference: Record<string, (number | string)[]>;
      current: Record<string, (number | string)[]>;
      expected: Record<string, { test: string; score: number }>;
    }
  >;
}

const fixtures: Fixtures = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'scipy.json'), 'utf8'));
const TOLERANCE = 1e-6;
const sorted = (values: number[]) => Float64Array.from(values).sort();

function toRecords(columns: Record<string, (number | string)[]>) {
  const names = Object.keys(columns);
  const rows = columns[names[0]].length;
  return tableFromRecords(
    Array.from({ length: rows }, (_, i) => Object.fromEntries(names.map((name) => [name, columns[name][i]]))),
    names,
  );
}

describe('two-sample Kolmogorov-Smirnov against scipy.stats.ks_2samp', () => {
  it.each(fixtures.ks.map((c) => [c.name, c] as const))('matches %s', (_name, fixture) => {
    // Given two raw samples; when tested; then statistic and p-value equal scipy's to 1e-6
    const result = ksTwoSampleSorted(sorted(fixture.a), sorted(fixture.b));
    expect(Math.abs(result.statistic - fixture.statistic)).toBeLessThan(TOLERANCE);
    expect(Math.abs(result.pValue - fixture.pValue)).toBeLessThan(TOLERANCE);
    expect(result.method).toBe(fixture.mode);
  });
});

describe('Kolmogorov distribution against scipy.stats.kstwo.sf', () => {
  it('matches every (n, x) of the grid, across all of scipy’s algorithm branches', () => {
    // Given the grid of n and x; when the survival function is computed; then each equals scipy's
    const worst = Math.max(...fixtures.kstwo.map((c) => Math.abs(kolmogorovSf(c.n, c.x) - c.sf)));
    expect(worst).toBeLessThan(TOLERANCE);
  });
});

describe('chi-square goodness of fit against scipy.stats.chisquare', () => {
  it.each(fixtures.chisquare.map((c) => [c.name, c] as const))('matches %s', (_name, fixture) => {
    const result = chiSquare(fixture.observed, fixture.expected);
    expect(Math.abs(result.statistic - fixture.statistic)).toBeLessThan(TOLERANCE);
    expect(Math.abs(result.pValue - fixture.pValue)).toBeLessThan(TOLERANCE);
  });
});

describe('chi-square homogeneity against scipy.stats.chi2_contingency(correction=False)', () => {
  it.each(fixtures.chisquare.map((c) => [c.name, c] as const))('matches %s', (_name, fixture) => {
    const result = chiSquareHomogeneity(fixture.referenceCounts, fixture.observed);
    expect(Math.abs(result.statistic - fixture.homogeneityStatistic)).toBeLessThan(TOLERANCE);
    expect(Math.abs(result.pValue - fixture.homogeneityPValue)).toBeLessThan(TOLERANCE);
  });
});

describe('Jensen-Shannon distance against scipy.spatial.distance.jensenshannon', () => {
  it.each(fixtures.jensenshannon.map((c) => [c.name, c] as const))('matches %s', (_name, fixture) => {
    expect(Math.abs(jensenShannon(fixture.p, fixture.q) - fixture.distance)).toBeLessThan(TOLERANCE);
  });
});

describe('Wasserstein distance against scipy.stats.wasserstein_distance', () => {
  it.each(fixtures.wasserstein.map((c) => [c.name, c] as const))('matches %s', (_name, fixture) => {
    expect(Math.abs(wassersteinSorted(sorted(fixture.a), sorted(fixture.b)) - fixture.distance)).toBeLessThan(
      TOLERANCE,
    );
  });
});

describe('two-proportion z-test against the hand computation', () => {
  it.each(fixtures.z.map((c) => [c.name, c] as const))('matches %s', (_name, fixture) => {
    const result = twoProportionZTest(
      fixture.referenceSuccesses,
      fixture.referenceCount,
      fixture.currentSuccesses,
      fixture.currentCount,
    );
    expect(Math.abs(result.statistic - fixture.statistic)).toBeLessThan(TOLERANCE);
    expect(Math.abs(result.pValue - fixture.pValue)).toBeLessThan(TOLERANCE);
  });
});

describe('population stability index against Evidently’s formula', () => {
  it.each(fixtures.psi.map((c) => [c.name, c] as const))('matches %s', (_name, fixture) => {
    expect(Math.abs(populationStabilityIndex(fixture.reference, fixture.current) - fixture.psi)).toBeLessThan(
      TOLERANCE,
    );
  });
});

describe('default test selection end to end, against scipy with Evidently’s construction', () => {
  it.each(Object.entries(fixtures.columns))(
    'the %s reference gets Evidently’s tests and scipy’s scores',
    (_name, fixture) => {
      // Given raw reference and current tables; when drift is analysed with defaults, except that
      // Evidently's goodness-of-fit chi-square is asked for by name (our default is the two-sample form)
      const evidentlyChiSquare = Object.fromEntries(
        Object.entries(fixture.expected)
          .filter(([, expected]) => expected.test === 'chisquare')
          .map(([column]) => [column, { test: 'chisquare' as const }]),
      );
      const defaults = analyzeDrift(toRecords(fixture.reference), toRecords(fixture.current)).report;
      const { report } = analyzeDrift(toRecords(fixture.reference), toRecords(fixture.current), {
        columns: evidentlyChiSquare,
      });
      // Then each column uses Evidently's test and scipy's score
      for (const [column, expected] of Object.entries(fixture.expected)) {
        const result = report.columns.find((c) => c.name === column)!;
        expect(result.test).toBe(expected.test);
        expect(Math.abs(result.score! - expected.score)).toBeLessThan(TOLERANCE);
        const byDefault = defaults.columns.find((c) => c.name === column)!.test;
        expect(byDefault).toBe(expected.test === 'chisquare' ? 'chisquare-homogeneity' : expected.test);
      }
    },
  );
});
