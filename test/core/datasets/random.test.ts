import { createRandom } from '../../../core/datasets/random';

function draw(count: number, sample: () => number): number[] {
  return Array.from({ length: count }, sample);
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

describe('createRandom', () => {
  test('gives the same sequence for the same seed', () => {
    // Given two generators with one seed
    const first = createRandom(42);
    const second = createRandom(42);

    // Then their draws match exactly
    expect(draw(100, first.next)).toEqual(draw(100, second.next));
  });

  test('gives different sequences for neighbouring seeds', () => {
    const zero = draw(5, createRandom(0).next);
    const one = draw(5, createRandom(1).next);

    expect(zero).not.toEqual(one);
  });

  test('draws uniform values in [0, 1)', () => {
    // Given 20,000 draws
    const values = draw(20_000, createRandom(7).next);

    // Then they stay in range and fill the deciles evenly
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const deciles = new Array(10).fill(0);
    for (const value of values) deciles[Math.floor(value * 10)]++;
    for (const count of deciles) expect(count).toBeGreaterThan(1_800);
    for (const count of deciles) expect(count).toBeLessThan(2_200);
  });

  test('draws standard normal values', () => {
    // Given 20,000 normal draws
    const random = createRandom(11);
    const values = draw(20_000, random.normal);

    // Then mean ~0, variance ~1, and about 95% within 1.96
    const average = mean(values);
    const variance = mean(values.map((value) => (value - average) ** 2));
    expect(Math.abs(average)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const inside = values.filter((value) => Math.abs(value) < 1.96).length / values.length;
    expect(Math.abs(inside - 0.95)).toBeLessThan(0.01);
  });

  test('draws integers over the whole inclusive range', () => {
    const random = createRandom(3);
    const values = draw(5_000, () => random.int(-2, 3));

    expect(new Set(values)).toEqual(new Set([-2, -1, 0, 1, 2, 3]));
  });

  test('rejects an integer range with lo above hi', () => {
    expect(() => createRandom(1).int(5, 4)).toThrow('received (5, 4)');
  });

  test('picks uniformly without weights', () => {
    const random = createRandom(5);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 10_000; i++) counts[random.pick(['a', 'b'] as const)]++;

    expect(Math.abs(counts.a - 5_000)).toBeLessThan(250);
  });

  test('picks in proportion to the weights and never a zero-weight item', () => {
    // Given weights 3:1:0
    const random = createRandom(9);
    const counts = { x: 0, y: 0, z: 0 };

    // When picking 10,000 times
    for (let i = 0; i < 10_000; i++) counts[random.pick(['x', 'y', 'z'] as const, [3, 1, 0])]++;

    // Then x is about three quarters and z never appears
    expect(Math.abs(counts.x / 10_000 - 0.75)).toBeLessThan(0.02);
    expect(counts.z).toBe(0);
  });

  test('rejects weights that do not match the items', () => {
    expect(() => createRandom(1).pick(['a', 'b'], [1])).toThrow('received 1 weights for 2 items');
    expect(() => createRandom(1).pick(['a'], [-1])).toThrow('non-negative');
    expect(() => createRandom(1).pick([], [])).toThrow('empty array');
  });

  test('rejects a seed that is not a finite number', () => {
    expect(() => createRandom(Number.NaN)).toThrow('received NaN');
  });
});
