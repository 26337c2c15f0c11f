import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom } from '../../../core/datasets/random';
import {
  calibration,
  computeQuality,
  encodeActual,
  percentile,
  type QualityTarget,
  type VersionQuality,
} from '../../../core/ground-truth/quality';
import type { JoinedRow } from '../../../core/ground-truth/records';
import { requirePython } from '../../support/python';
import golden from './fixtures/quality.json';

/** scikit-learn's values, within 1e-9 (the bar). */
const TOLERANCE = 1e-9;

interface ExpectedVersion {
  version: number;
  labeled: number;
  unreadableLabels: number;
  p50?: number;
  p90?: number;
  auc?: number | null;
  logLoss?: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  calibration?: { bin: number; meanPredicted: number; observedRate: number }[];
  rmse?: number;
  mae?: number;
}

function expectClose(actual: number | null | undefined, expected: number | null | undefined, what: string): void {
  if (expected === null || expected === undefined) {
    expect({ what, actual: actual ?? null }).toEqual({ what, actual: null });
    return;
  }
  if (actual === null || actual === undefined || Math.abs(actual - expected) > TOLERANCE) {
    throw new Error(`${what}: ours ${actual}, scikit-learn ${expected} (tolerance ${TOLERANCE})`);
  }
}

function compareWithSklearn(ours: VersionQuality[], expected: ExpectedVersion[]): void {
  expect(ours.map((version) => version.version)).toEqual(expected.map((version) => version.version));
  ours.forEach((quality, index) => {
    const want = expected[index];
    const at = `version ${want.version}`;
    expect({ at, labeled: quality.labeled, unreadable: quality.unreadableLabels }).toEqual({
      at,
      labeled: want.labeled,
      unreadable: want.unreadableLabels,
    });
    expectClose(quality.labelDelaySeconds?.p50, want.p50, `${at} delay p50`);
    expectClose(quality.labelDelaySeconds?.p90, want.p90, `${at} delay p90`);
    if (want.rmse !== undefined) {
      expectClose(quality.regression?.rmse, want.rmse, `${at} rmse`);
      expectClose(quality.regression?.mae, want.mae, `${at} mae`);
      return;
    }
    const binary = quality.binary!;
    expectClose(binary.auc, want.auc, `${at} auc`);
    for (const metric of ['logLoss', 'accuracy', 'precision', 'recall', 'f1'] as const) {
      expectClose(binary[metric], want[metric], `${at} ${metric}`);
    }
    const nonEmpty = binary.calibration.map((bin, i) => ({ bin: i, ...bin })).filter((bin) => bin.count > 0);
    expect(nonEmpty.map((bin) => bin.bin)).toEqual(want.calibration!.map((bin) => bin.bin));
    nonEmpty.forEach((bin, i) => {
      expectClose(bin.meanPredicted, want.calibration![i].meanPredicted, `${at} calibration bin ${bin.bin} predicted`);
      expectClose(bin.observedRate, want.calibration![i].observedRate, `${at} calibration bin ${bin.bin} observed`);
    });
  });
}

interface GoldenCase {
  name: string;
  target: QualityTarget;
  rows: JoinedRow[];
  expected: ExpectedVersion[];
}

describe('quality matches scikit-learn on the checked-in cases', () => {
  it.each((golden.cases as unknown as GoldenCase[]).map((c) => [c.name, c] as const))('%s', (_name, golden) => {
    compareWithSklearn(computeQuality(golden.rows, { target: golden.target }), golden.expected);
  });
});

/** Random joined rows: ties, scores on bin edges, late and unreadable outcomes, several versions. */
function randomRows(seed: number, task: 'binary' | 'regression', count: number): JoinedRow[] {
  const random = createRandom(seed);
  const start = Date.parse('2026-03-01T00:00:00.000Z');
  return Array.from({ length: count }, (_, i) => {
    const made = start + random.int(0, 7 * 86_400_000);
    const received = made + random.int(1, 40 * 86_400_000);
    const version = random.int(1, 3);
    if (task === 'regression') {
      const truth = 50 + 20 * random.normal();
      return {
        id: `row-${i}`,
        version,
        time: new Date(made).toISOString(),
        score: truth + version * random.normal(),
        actual: random.next() < 0.1 ? String(truth) : truth,
        receivedAt: new Date(received).toISOString(),
      };
    }
    const truth = random.next() < 0.3 ? 1 : 0;
    let score = 1 / (1 + Math.exp(-(2 * truth - 1 + version * random.normal())));
    if (random.next() < 0.2) score = Math.round(score * 10) / 10;
    const actual = random.pick<JoinedRow['actual']>(
      truth ? ['churned', 1, true, 'true', '1'] : ['stayed', 0, false, 'false', '0'],
    );
    return {
      id: `row-${i}`,
      version,
      time: new Date(made).toISOString(),
      score,
      ...(random.next() < 0.9 ? { label: score >= 0.35 ? 'churned' : 'stayed' } : {}),
      actual: random.next() < 0.02 ? 'unknown-class' : actual,
      receivedAt: new Date(received).toISOString(),
    };
  });
}

describe('quality matches scikit-learn on random rows (runs Debian python3-sklearn)', () => {
  const python = requirePython(['sklearn', 'numpy'], 'the live scikit-learn comparison of model quality');
  const cases: [string, QualityTarget, JoinedRow[]][] = [
    [
      'binary',
      { task: 'binary', positiveLabel: 'churned', negativeLabel: 'stayed', threshold: 0.35 },
      randomRows(7, 'binary', 3000),
    ],
    ['regression', { task: 'regression' }, randomRows(8, 'regression', 2000)],
  ];
  (python ? it.each(cases) : it.each([]))('%s', (_name, target, rows) => {
    // Given random rows written for the Python peer
    const dir = mkdtempSync(join(tmpdir(), 'quality-golden-'));
    try {
      const input = join(dir, 'input.json');
      writeFileSync(input, JSON.stringify({ target, rows }));
      const script = join(__dirname, 'fixtures', 'make_quality.py');
      // When scikit-learn computes the expected values
      const result = spawnSync(python!, [script, '--expect', input], { encoding: 'utf8', timeout: 120_000 });
      expect(result.stderr).toBe('');
      // Then ours equal them
      compareWithSklearn(computeQuality(rows, { target }), JSON.parse(result.stdout) as ExpectedVersion[]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('encodeActual', () => {
  const target: QualityTarget = { task: 'binary', positiveLabel: 'yes', negativeLabel: 'no' };

  it("reads the model's own labels, then 0/1/true/false", () => {
    expect(['yes', 'no', 1, 0, true, false, 'TRUE', ' false '].map((label) => encodeActual(label, target))).toEqual([
      1, 0, 1, 0, 1, 0, 1, 0,
    ]);
  });

  it('takes labels that look like numbers as the model labels them', () => {
    // Given a model whose positive class is "0"
    const inverted: QualityTarget = { task: 'binary', positiveLabel: '0', negativeLabel: '1' };
    // Then 0 is the positive class
    expect([0, '0', 1].map((label) => encodeActual(label, inverted))).toEqual([1, 1, 0]);
  });

  it('cannot read a third class or a non-number for regression', () => {
    expect(encodeActual('maybe', target)).toBeNull();
    expect(encodeActual('12.5', { task: 'regression' })).toBe(12.5);
    expect(encodeActual('twelve', { task: 'regression' })).toBeNull();
    expect(encodeActual(true, { task: 'regression' })).toBeNull();
  });
});

describe('computeQuality', () => {
  const target: QualityTarget = { task: 'binary', positiveLabel: 'yes', negativeLabel: 'no' };
  const row = (
    id: string,
    version: number,
    score: number,
    actual: JoinedRow['actual'],
    delayMs = 60_000,
  ): JoinedRow => ({
    id,
    version,
    time: '2026-01-01T00:00:00.000Z',
    score,
    label: score >= 0.5 ? 'yes' : 'no',
    actual,
    receivedAt: new Date(Date.parse('2026-01-01T00:00:00.000Z') + delayMs).toISOString(),
  });

  it('reports coverage against the predictions made in the window, also for versions without outcomes', () => {
    // Given 2 labeled rows of version 1 out of 8 predictions, and version 2 with predictions only
    const rows = [row('a', 1, 0.9, 'yes'), row('b', 1, 0.2, 'no')];
    // When
    const report = computeQuality(rows, {
      target,
      predictionCounts: new Map([
        [1, 8],
        [2, 5],
      ]),
    });
    // Then
    expect(
      report.map(({ version, labeled, predictions, coverage }) => ({ version, labeled, predictions, coverage })),
    ).toEqual([
      { version: 1, labeled: 2, predictions: 8, coverage: 0.25 },
      { version: 2, labeled: 0, predictions: 5, coverage: 0 },
    ]);
    expect(report[1].binary).toBeUndefined();
  });

  it('leaves AUC null when the outcomes hold one class', () => {
    const [quality] = computeQuality([row('a', 1, 0.9, 'yes'), row('b', 1, 0.7, 1)], { target });
    expect(quality.binary?.auc).toBeNull();
    expect(quality.binary?.accuracy).toBe(1);
  });

  it('measures accuracy on the labels as served, not on a threshold of its own', () => {
    // Given a row served as "no" although its score is 0.9 (the version's threshold was higher)
    const served: JoinedRow = { ...row('a', 1, 0.9, 'yes'), label: 'no' };
    // Then it counts as a false negative
    const [quality] = computeQuality([served, row('b', 1, 0.1, 'no')], { target });
    expect(quality.binary).toMatchObject({ falseNegatives: 1, trueNegatives: 1, accuracy: 0.5, recall: 0 });
  });

  it('reports label delay percentiles in seconds', () => {
    const rows = [10, 20, 30, 40].map((minutes, i) => row(`r${i}`, 1, 0.5, 'yes', minutes * 60_000));
    const [quality] = computeQuality(rows, { target });
    expect(quality.labelDelaySeconds).toEqual({ p50: 1500, p90: 2220 });
  });
});

describe('calibration', () => {
  it('puts a score on an inner edge in the bin below, and 0 and 1 in the end bins', () => {
    const bins = calibration([0, 0.1, 0.15, 1], [0, 1, 1, 1], 10);
    expect(bins.map((bin) => bin.count)).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(bins[0]).toMatchObject({ lower: 0, upper: 0.1, meanPredicted: 0.05, observedRate: 0.5 });
    expect(bins[2]).toMatchObject({ count: 0, meanPredicted: null, observedRate: null });
  });
});

describe('percentile', () => {
  it('interpolates linearly between the nearest ranks, as numpy', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5], 90)).toBe(5);
    expect(percentile([0, 10], 90)).toBe(9);
  });
});
