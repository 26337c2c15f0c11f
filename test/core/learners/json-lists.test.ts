import * as z from 'zod';
import { type NumberListKind, numberList } from '../../../core/learners/json-lists';

describe('numberList', () => {
  it.each<[NumberListKind, unknown[], unknown[]]>([
    ['number', [0, -1.5, 1e300], [Number.NaN, Number.POSITIVE_INFINITY, '1', null]],
    ['non-negative number', [0, 2.5], [-0.1, Number.POSITIVE_INFINITY, null]],
    ['node index', [-1, 0, 7], [-2, 1.5, '3', null]],
    ['zero or one', [0, 1], [2, -1, true, '1']],
  ])('accepts a list of %s and rejects one holding any other value', (kind, good, bad) => {
    const schema = z.object({ nodes: numberList(kind) });
    expect(schema.parse({ nodes: good })).toEqual({ nodes: good });
    for (const value of bad) {
      const result = schema.safeParse({ nodes: [...good, value] });
      expect({ value, success: result.success }).toEqual({ value, success: false });
      expect(result.error?.issues[0]?.path).toEqual(['nodes']);
    }
  });

  it('rejects what is not a list', () => {
    expect(numberList('number').safeParse({ 0: 1 }).success).toBe(false);
  });
});
