import * as z from 'zod';

/**
 * Schemas for the long number lists of stored tree models (one entry per node), checked in one
 * loop each: zod's parse of each element was most of loading a 100-tree model at an endpoint's
 * cold start (55 ms of the bench model's 60). The message names the rule; the path names the list.
 */
const NUMBER_LISTS = {
  number: { accepts: (item: unknown) => Number.isFinite(item), message: 'must be a list of finite numbers' },
  'non-negative number': {
    accepts: (item: unknown) => Number.isFinite(item) && (item as number) >= 0,
    message: 'must be a list of finite numbers >= 0',
  },
  'node index': {
    accepts: (item: unknown) => Number.isInteger(item) && (item as number) >= -1,
    message: 'must be a list of whole numbers >= -1',
  },
  'zero or one': {
    accepts: (item: unknown) => item === 0 || item === 1,
    message: 'must be a list of 0s and 1s',
  },
} as const;

export type NumberListKind = keyof typeof NUMBER_LISTS;

export function numberList(kind: 'zero or one'): z.ZodType<Array<0 | 1>>;
export function numberList(kind: NumberListKind): z.ZodType<number[]>;
export function numberList(kind: NumberListKind): z.ZodType<number[]> {
  const { accepts, message } = NUMBER_LISTS[kind];
  return z.custom<number[]>((value) => Array.isArray(value) && value.every(accepts), { message });
}
