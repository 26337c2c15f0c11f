import * as z from 'zod';
import { type NumberListKind, numberList, numberListRecords } from '../../../core/learners/json-lists';

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

describe('numberListRecords', () => {
  // The schema it stands for, zod's own parse of each record.
  const asZod = z.object({
    trees: z.array(
      z.object({
        left: numberList('node index'),
        value: numberList('number'),
        cover: numberList('non-negative number').optional(),
      }),
    ),
  });
  const fast = z.object({
    trees: numberListRecords({ left: 'node index', value: 'number' }, { cover: 'non-negative number' }),
  });

  it.each<[string, unknown]>([
    [
      'records with and without the optional list',
      [
        { left: [-1], value: [0.5], cover: [3] },
        { left: [1, -1], value: [0, 2] },
      ],
    ],
    ['a record with a field no list names (dropped)', [{ left: [-1], value: [1], extra: 'x' }]],
    ['no records', []],
  ])('parses %s as zod would', (_case, trees) => {
    expect(fast.parse({ trees })).toEqual(asZod.parse({ trees }));
  });

  it.each<[string, unknown]>([
    ['a record that is no object', [{ left: [-1], value: [1] }, 'tree']],
    ['a record that is a list', [[1]]],
    ['a record that is null', [null]],
    ['a missing list', [{ left: [-1] }]],
    [
      'a bad value in a list',
      [
        { left: [-1], value: [1] },
        { left: [0.5], value: [1] },
      ],
    ],
    ['a bad value in the optional list', [{ left: [-1], value: [1], cover: [-1] }]],
    ['an optional list that is null', [{ left: [-1], value: [1], cover: null }]],
    ['no list of records', { left: [] }],
  ])('rejects %s with the path and message zod gives', (_case, trees) => {
    const expected = asZod.safeParse({ trees }).error?.issues[0];
    const actual = fast.safeParse({ trees }).error?.issues[0];
    expect(expected).toBeDefined();
    expect({ path: actual?.path, message: actual?.message }).toEqual({
      path: expected?.path,
      message: expected?.message,
    });
  });
});
