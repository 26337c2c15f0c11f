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

/** What zod calls a value's type in its messages. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * A list of records whose fields are number lists (a forest's trees: one record per tree), as
 * `z.array(z.object({ field: numberList(kind), ... }))` would check it, with the same messages and
 * paths (`trees.3.threshold`) and unknown fields dropped, in one plain loop: zod's parse of each
 * record was a third of loading a 600-tree model at a cold start.
 */
export function numberListRecords<R extends string, O extends string = never>(
  required: Readonly<Record<R, NumberListKind>>,
  optional: Readonly<Record<O, NumberListKind>> = {} as Record<O, NumberListKind>,
): z.ZodType<Array<Record<R, number[]> & Partial<Record<O, number[]>>>> {
  const fields = [
    ...Object.entries<NumberListKind>(required).map(([name, kind]) => ({ name, kind, optional: false })),
    ...Object.entries<NumberListKind>(optional).map(([name, kind]) => ({ name, kind, optional: true })),
  ].map(({ name, kind, optional: isOptional }) => ({ name, isOptional, ...NUMBER_LISTS[kind] }));
  return z.array(z.unknown()).transform((items, ctx) => {
    const records = new Array<Record<string, number[]>>(items.length);
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        ctx.issues.push({
          code: 'invalid_type',
          expected: 'object',
          message: `Invalid input: expected object, received ${typeName(item)}`,
          path: [index],
          input: item,
        });
        return z.NEVER;
      }
      const record: Record<string, number[]> = {};
      for (const { name, isOptional, accepts, message } of fields) {
        const value = (item as Record<string, unknown>)[name];
        if (value === undefined && isOptional) continue;
        if (!Array.isArray(value) || !everyAccepted(value, accepts)) {
          ctx.issues.push({ code: 'custom', message, path: [index, name], input: value });
          return z.NEVER;
        }
        record[name] = value;
      }
      records[index] = record;
    }
    return records as Array<Record<R, number[]> & Partial<Record<O, number[]>>>;
  }) as unknown as z.ZodType<Array<Record<R, number[]> & Partial<Record<O, number[]>>>>;
}

function everyAccepted(values: readonly unknown[], accepts: (item: unknown) => boolean): boolean {
  for (let i = 0; i < values.length; i++) if (!accepts(values[i])) return false;
  return true;
}
