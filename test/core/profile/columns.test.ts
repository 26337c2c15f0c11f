import { createRandom } from '../../../core/datasets/random';
import { selectFloat64, sortFloat64 } from '../../../core/profile/columns';

function sample(n: number, seed: number, distinct: number): Float64Array {
  const random = createRandom(seed);
  return Float64Array.from({ length: n }, () => Math.floor(random.next() * distinct) - distinct / 2 + random.next());
}

describe('selectFloat64', () => {
  it.each([
    ['distinct values', sample(10_001, 1, 1e9)],
    ['many duplicates', sample(10_000, 2, 3).map(Math.floor)],
    ['all equal', new Float64Array(5_000).fill(7)],
    ['already sorted', Float64Array.from({ length: 6_000 }, (_, i) => i)],
    ['reversed', Float64Array.from({ length: 6_000 }, (_, i) => -i)],
    ['organ pipe', Float64Array.from({ length: 6_001 }, (_, i) => Math.min(i, 6_000 - i))],
    ['two elements', Float64Array.of(3, -1)],
    ['one element', Float64Array.of(4)],
  ])('puts the k-th smallest at k with smaller before and larger after: %s', (_, values) => {
    const sorted = sortFloat64(values.slice());
    for (const k of [0, values.length >> 1, values.length - 1, Math.floor(values.length / 3)]) {
      const work = values.slice();
      expect(selectFloat64(work, k)).toBe(sorted[k]);
      for (let i = 0; i < k; i++) expect(work[i] <= work[k]).toBe(true);
      for (let i = k + 1; i < work.length; i++) expect(work[i] >= work[k]).toBe(true);
      expect(sortFloat64(work)).toEqual(sorted);
    }
  });

  it('refuses a k outside the array, naming it', () => {
    expect(() => selectFloat64(Float64Array.of(1, 2), 2)).toThrow('k 2 outside 0..1');
  });
});
