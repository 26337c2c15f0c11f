import { parseCsv } from '../../../core/data/csv';
import { tableFromRecords } from '../../../core/data/table';
import { createRandom } from '../../../core/datasets/random';
import { ColumnBuffers, readNumericColumn, sortFloat64 } from '../../../core/profile/columns';
import {
  buildProfile,
  dataProfileSchema,
  EXACT_VALUES_LIMIT,
  parseProfile,
  QUANTILE_SKETCH_SIZE,
  quantileSketch,
  TOP_CATEGORIES_LIMIT,
} from '../../../core/profile/profile';
import { inferSchema } from '../../../core/schema/infer';
import type { DataSchema } from '../../../core/schema/types';
import { rememberedSortedNumbers } from '../../../core/schema/values';

const schema = (
  columns: { name: string; type: 'numeric' | 'categorical' | 'boolean'; role?: string }[],
): DataSchema => ({
  columns: columns.map((column) => ({
    name: column.name,
    type: column.type,
    role: (column.role ?? 'feature') as 'feature',
    missingRate: 0,
    uniqueCount: 0,
  })),
  target: 'y',
  rowCount: 0,
});

describe('buildProfile', () => {
  it('summarises a numeric column with population std, missing and infinite counts', () => {
    // Given a numeric column with a missing cell, an unparseable infinity word and an infinity
    const table = tableFromRecords([{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }, { x: null }, { x: 'inf' }]);
    // When profiled
    const profile = buildProfile(table, schema([{ name: 'x', type: 'numeric' }]));
    // Then the statistics use only the finite values, and the rest is counted
    const column = profile.columns[0];
    if (column.type !== 'numeric') throw new Error('expected numeric');
    expect(column).toMatchObject({ rows: 6, count: 4, missing: 1, infinityCount: 1, mean: 2.5, min: 1, max: 4 });
    expect(column.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(column.missingRate).toBeCloseTo(1 / 6, 12);
    expect(column.quantiles).toHaveLength(QUANTILE_SKETCH_SIZE);
    expect(column.values).toEqual([1, 2, 3, 4]);
  });

  it('computes the quantile sketch with numpy’s linear interpolation', () => {
    // Given 0..10; when sketched with 5 points; then the quantiles are numpy.quantile at 0, .25, .5, .75, 1
    const sorted = Float64Array.from({ length: 11 }, (_, i) => i);
    expect(quantileSketch(sorted, 5)).toEqual([0, 2.5, 5, 7.5, 10]);
  });

  it('keeps only the top categories and pools the rest with their distinct count', () => {
    // Given more distinct categories than the limit
    const records = Array.from({ length: TOP_CATEGORIES_LIMIT + 10 }, (_, i) => ({ c: `v${i}` }));
    records.push({ c: 'v1' });
    // When profiled
    const column = buildProfile(tableFromRecords(records), schema([{ name: 'c', type: 'categorical' }])).columns[0];
    if (column.type === 'numeric') throw new Error('expected categorical');
    // Then the most frequent comes first and the tail is aggregated
    expect(column.topValues[0]).toEqual({ value: 'v1', count: 2 });
    expect(column.topValues).toHaveLength(TOP_CATEGORIES_LIMIT);
    expect(column.otherDistinct).toBe(10);
    expect(column.otherCount).toBe(10);
    expect(column.distinctCount).toBe(TOP_CATEGORIES_LIMIT + 10);
  });

  it('drops the exact values above the limit but keeps the sketch', () => {
    const random = createRandom(1);
    const records = Array.from({ length: EXACT_VALUES_LIMIT + 1 }, () => ({ x: random.normal() }));
    const column = buildProfile(tableFromRecords(records), schema([{ name: 'x', type: 'numeric' }])).columns[0];
    expect(column.type === 'numeric' && column.values).toBeFalsy();
  });

  it('is deterministic and valid against its own zod schema after a JSON round trip', () => {
    // Given the same table profiled twice
    const random = createRandom(7);
    const records = Array.from({ length: 500 }, () => ({
      x: random.normal(),
      c: random.pick(['a', 'b', 'c']),
      b: random.next() < 0.3,
      id: random.int(0, 1e9),
    }));
    const s = schema([
      { name: 'x', type: 'numeric' },
      { name: 'c', type: 'categorical' },
      { name: 'b', type: 'boolean' },
      { name: 'id', type: 'numeric', role: 'excluded' },
    ]);
    const first = JSON.stringify(buildProfile(tableFromRecords(records), s));
    const second = JSON.stringify(buildProfile(tableFromRecords(records), s));
    // Then the JSON is identical and parses back
    expect(first).toBe(second);
    const parsed = parseProfile(JSON.parse(first));
    expect(dataProfileSchema.safeParse(parsed).success).toBe(true);
    expect(parsed.ignoredColumns).toEqual(['id']);
    expect(parsed.columns.map((column) => column.type)).toEqual(['numeric', 'categorical', 'boolean']);
  });

  it('rejects a malformed profile naming the field', () => {
    expect(() => parseProfile({ format: 'mlops-profile', formatVersion: 1 }, 'model.json profile')).toThrow(
      /model.json profile is not a valid data profile: rowCount/,
    );
  });
});

describe('sortFloat64', () => {
  it('orders large arrays exactly as Float64Array.prototype.sort, signs, zeros and extremes included', () => {
    // Given values of every sign and magnitude, above the radix-sort size
    const random = createRandom(5);
    const specials = [-0, 0, -1e-300, 1e300, -1e300, 5e-324, -5e-324, 1, -1];
    const values = Float64Array.from({ length: 20_000 }, (_, i) =>
      i % 5 === 0 ? specials[i % specials.length] : random.normal() * 10 ** random.int(-5, 5),
    );
    // When sorted both ways; then the results are identical bit for bit
    const ours = sortFloat64(values.slice());
    const native = values.slice().sort();
    expect(ours.every((value, i) => Object.is(value, native[i]))).toBe(true);
  });

  it('sorts arrays of different lengths and shapes through one shared buffer', () => {
    // Given one buffer and a large array, a smaller one, and one whose upper digits never vary
    const buffer = new ColumnBuffers();
    const random = createRandom(8);
    const inputs = [
      Float64Array.from({ length: 30_000 }, () => random.normal()),
      Float64Array.from({ length: 5_000 }, () => -random.next() * 1e6),
      Float64Array.from({ length: 10_000 }, (_, i) => 1 + (i % 7) * 2 ** -52),
    ];
    // When each is sorted with the shared buffer; then each equals the native sort bit for bit
    for (const values of inputs) {
      const ours = sortFloat64(values.slice(), buffer);
      const native = values.slice().sort();
      expect(ours.every((value, i) => Object.is(value, native[i]))).toBe(true);
    }
  });
});

describe('readNumericColumn with shared buffers', () => {
  it('keeps the values of two slots apart and reads a column with gaps as a fresh array would', () => {
    // Given one set of buffers, a reference column in slot 0 and a current column with gaps in slot 1
    const buffers = new ColumnBuffers();
    const random = createRandom(9);
    const reference = Array.from({ length: 6_000 }, () => random.normal());
    const current = Array.from({ length: 5_000 }, (_, i) =>
      i % 10 === 0 ? null : i % 17 === 0 ? 'x' : random.normal(),
    );
    // When both are read through the buffers
    const referenceData = readNumericColumn(reference, buffers, 0);
    const currentData = readNumericColumn(current, buffers, 1);
    // Then each equals its read without buffers, counts included
    expect(Array.from(referenceData.sorted)).toEqual(Array.from(readNumericColumn(reference).sorted));
    const fresh = readNumericColumn(current);
    expect(Array.from(currentData.sorted)).toEqual(Array.from(fresh.sorted));
    expect([currentData.missing, currentData.unparseable]).toEqual([fresh.missing, fresh.unparseable]);
  });
});

describe('profile after schema inference', () => {
  it('is the same whether or not schema inference already sorted the numbers (reused, not re-sorted)', () => {
    const random = createRandom(9);
    const lines = ['x,y,target'];
    for (let i = 0; i < 6000; i++) {
      const x = i % 97 === 0 ? '' : String(Math.round(random.next() * 100_000 - 50_000) / 1000);
      lines.push(`${x},${Math.floor(random.next() * 7)},${i % 2}`);
    }
    const csv = lines.join('\n');
    const inferred = parseCsv(csv);
    const { schema: dataSchema } = inferSchema(inferred, { target: 'target' });
    expect(rememberedSortedNumbers(inferred.columns[0])).toBeDefined();
    const fresh = parseCsv(csv);
    expect(rememberedSortedNumbers(fresh.columns[0])).toBeUndefined();
    expect(JSON.stringify(buildProfile(inferred, dataSchema))).toBe(JSON.stringify(buildProfile(fresh, dataSchema)));
  });
});
