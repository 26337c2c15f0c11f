import { SeenIds } from '../../../core/ground-truth/seen-ids';

describe('SeenIds', () => {
  test('a first sighting gives undefined and a repeat gives where the id was first seen', () => {
    // given an empty set
    const seen = new SeenIds();
    // when ids are met on lines 2, 3 and 4, the third repeating the first
    const answers = [seen.firstSeen('A-1', 2), seen.firstSeen('A-2', 3), seen.firstSeen('A-1', 4)];
    // then only the repeat answers, with line 2
    expect(answers).toEqual([undefined, undefined, 2]);
    expect(seen.size).toBe(2);
  });

  test('200,000 distinct ids, through many growths, are all new, and each repeat finds its first position', () => {
    // given a set that starts with 16 slots
    const seen = new SeenIds(16);
    const ids = Array.from({ length: 200_000 }, (_, i) => `order-${i}`);
    // when every id is met once, then every one again
    const firsts = ids.map((id, index) => seen.firstSeen(id, index));
    const repeats = ids.map((id, index) => seen.firstSeen(id, 200_000 + index));
    // then none of the first pass is taken for a repeat, and the second pass finds each first position
    expect(firsts.every((answer) => answer === undefined)).toBe(true);
    expect(repeats.every((answer, index) => answer === index)).toBe(true);
    expect(seen.size).toBe(200_000);
  });

  test('ids that differ only in case, spacing or one character are different ids', () => {
    const seen = new SeenIds();
    for (const id of ['ab', 'AB', 'ba', 'a b', 'ab ', 'ac', '']) expect(seen.firstSeen(id, 1)).toBeUndefined();
  });

  test('a position outside 0 to 2^32 - 2 is refused', () => {
    const seen = new SeenIds();
    expect(() => seen.firstSeen('a', -1)).toThrow(RangeError);
    expect(() => seen.firstSeen('a', 2 ** 32 - 1)).toThrow('position must be an integer from 0 to 4294967294');
  });
});
