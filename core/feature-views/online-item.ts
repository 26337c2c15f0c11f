import { ONLINE_KEY_ATTRIBUTE, onlineItemKey } from './layout';
import type { OnlineFeatureRow, OnlineValue } from './online-store';

/**
 * The online store's item layout in DynamoDB's JSON shape, shared by the SDK adapter (writes,
 * the CLI and jobs) and the scoring functions' signed-fetch reader, so the two cannot disagree:
 * pk = `<view>#<entity>`, et = event time (microseconds, N), vv = view version (S), f = the feature
 * values (M). Values sit in a map so a projection names `f.#col` and no feature column can collide
 * with the platform's attributes.
 */
export type ItemValue = { S?: string; N?: string; NULL?: boolean; M?: Record<string, ItemValue> };
export type Item = Record<string, ItemValue>;

export const EVENT_TIME_ATTRIBUTE = 'et';
export const VIEW_VERSION_ATTRIBUTE = 'vv';
export const VALUES_ATTRIBUTE = 'f';

/** BatchGetItem's limit of keys per request. */
export const KEYS_PER_BATCH_GET = 100;

/** The BatchGetItem requests of one read: keys in batches of 100, one projection for all. */
export interface BatchGetPlan {
  readonly keyBatches: readonly Item[][];
  readonly projection: string;
  readonly names: Record<string, string>;
}

function keyBatches(view: string, entityKeys: readonly string[]): Item[][] {
  const unique = [...new Set(entityKeys)];
  const batches: Item[][] = [];
  for (let start = 0; start < unique.length; start += KEYS_PER_BATCH_GET) {
    batches.push(
      unique
        .slice(start, start + KEYS_PER_BATCH_GET)
        .map((entityKey) => ({ [ONLINE_KEY_ATTRIBUTE]: { S: onlineItemKey(view, entityKey) } })),
    );
  }
  return batches;
}

/** A read of these entities' rows holding only `columns` of their values. */
export function planRowRead(view: string, entityKeys: readonly string[], columns: readonly string[]): BatchGetPlan {
  const names: Record<string, string> = {
    '#pk': ONLINE_KEY_ATTRIBUTE,
    '#et': EVENT_TIME_ATTRIBUTE,
    '#vv': VIEW_VERSION_ATTRIBUTE,
  };
  const projected = columns.map((column, index) => {
    names[`#c${index}`] = column;
    return `${VALUES_ATTRIBUTE}.#c${index}`;
  });
  return {
    keyBatches: keyBatches(view, entityKeys),
    projection: ['#pk', '#et', '#vv', ...projected].join(', '),
    names,
  };
}

/** A read of only the stored event times (what a write compares against). */
export function planEventTimeRead(view: string, entityKeys: readonly string[]): BatchGetPlan {
  return {
    keyBatches: keyBatches(view, entityKeys),
    projection: '#pk, #et',
    names: { '#pk': ONLINE_KEY_ATTRIBUTE, '#et': EVENT_TIME_ATTRIBUTE },
  };
}

function fromItemValue(value: ItemValue | undefined): OnlineValue {
  if (value === undefined) return null;
  if (value.N !== undefined) return Number(value.N);
  if (value.S !== undefined) return value.S;
  return null;
}

function toItemValue(value: OnlineValue): ItemValue {
  if (value === null) return { NULL: true };
  // DynamoDB numbers hold no NaN or infinities: a value that is not a finite number is missing.
  if (typeof value === 'number') return Number.isFinite(value) ? { N: String(value) } : { NULL: true };
  return { S: value };
}

/** The row an item of this view holds, or null for an item of another view. */
export function itemToRow(item: Item, view: string): OnlineFeatureRow | null {
  const key = item[ONLINE_KEY_ATTRIBUTE]?.S;
  const prefix = onlineItemKey(view, '');
  if (key === undefined || !key.startsWith(prefix)) return null;
  const values: Record<string, OnlineValue> = {};
  for (const [column, value] of Object.entries(item[VALUES_ATTRIBUTE]?.M ?? {})) values[column] = fromItemValue(value);
  return {
    entityKey: key.slice(prefix.length),
    eventTimeMicros: Number(item[EVENT_TIME_ATTRIBUTE]?.N ?? Number.NaN),
    viewVersion: item[VIEW_VERSION_ATTRIBUTE]?.S ?? '',
    values,
  };
}

/**
 * The conditional put of a row: written only when the store holds no row of the entity or an
 * older one (a compare-and-swap on the event time).
 */
export function conditionalPut(view: string, row: OnlineFeatureRow) {
  const values: Record<string, ItemValue> = {};
  for (const [column, value] of Object.entries(row.values)) values[column] = toItemValue(value);
  return {
    Item: {
      [ONLINE_KEY_ATTRIBUTE]: { S: onlineItemKey(view, row.entityKey) },
      [EVENT_TIME_ATTRIBUTE]: { N: String(row.eventTimeMicros) },
      [VIEW_VERSION_ATTRIBUTE]: { S: row.viewVersion },
      [VALUES_ATTRIBUTE]: { M: values },
    } satisfies Item,
    ConditionExpression: 'attribute_not_exists(#pk) OR #et < :et',
    ExpressionAttributeNames: { '#pk': ONLINE_KEY_ATTRIBUTE, '#et': EVENT_TIME_ATTRIBUTE },
    ExpressionAttributeValues: { ':et': { N: String(row.eventTimeMicros) } },
  };
}
