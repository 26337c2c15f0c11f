import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ONLINE_KEY_ATTRIBUTE, onlineItemKey } from '../core/feature-views/layout';
import type {
  OnlineFeatureRow,
  OnlineFeatureStore,
  OnlineValue,
  OnlineWriteSummary,
} from '../core/feature-views/online-store';

/** BatchGetItem's limit of keys per request. */
const KEYS_PER_BATCH_GET = 100;
/** Conditional puts in flight at once per write call. */
const PUTS_IN_FLIGHT = 16;
/** Retries of keys BatchGetItem left unprocessed (throttling), with doubling backoff from 25 ms. */
const UNPROCESSED_RETRIES = 8;

// Item layout: pk = `<view>#<entity>`, et = event time (microseconds, N), vv = view version (S),
// f = the feature values (M). Values in a map so a projection names `f.#col` and a feature column
// can never collide with the platform's attributes.
const EVENT_TIME = 'et';
const VIEW_VERSION = 'vv';
const VALUES = 'f';

export interface DynamoDbClientOptions {
  /** A DynamoDB-compatible endpoint such as the local platform's dynalite. @default - AWS_ENDPOINT_URL_DYNAMODB, else AWS */
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function createDynamoDbClient(options: DynamoDbClientOptions = {}): DynamoDBClient {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const region = options.region ?? process.env.AWS_REGION ?? (endpoint ? 'us-east-1' : undefined);
  return new DynamoDBClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}

/**
 * The online store on one DynamoDB table. Reads are BatchGetItem (100 keys a request, only the
 * asked-for attributes, unprocessed keys retried). Writes read the stored event times first and
 * put only rows newer than those, each put a compare-and-swap conditioned on the stored event
 * time being older, so two materializations racing on an entity leave the newer row whatever
 * their order, and a re-run sends no write.
 */
export class DynamoDbOnlineFeatureStore implements OnlineFeatureStore {
  /** DynamoDB requests sent, for benchmarks and tests that count calls. */
  requests = 0;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async read(
    view: string,
    entityKeys: readonly string[],
    columns: readonly string[],
  ): Promise<Map<string, OnlineFeatureRow>> {
    const unique = [...new Set(entityKeys)];
    const names: Record<string, string> = { '#pk': ONLINE_KEY_ATTRIBUTE, '#et': EVENT_TIME, '#vv': VIEW_VERSION };
    const projected = columns.map((column, index) => {
      names[`#c${index}`] = column;
      return `${VALUES}.#c${index}`;
    });
    const projection = ['#pk', '#et', '#vv', ...projected].join(', ');
    const found = new Map<string, OnlineFeatureRow>();
    const prefix = `${view}#`;
    const batches: Promise<void>[] = [];
    for (let start = 0; start < unique.length; start += KEYS_PER_BATCH_GET) {
      const keys = unique
        .slice(start, start + KEYS_PER_BATCH_GET)
        .map((entityKey) => ({ [ONLINE_KEY_ATTRIBUTE]: { S: onlineItemKey(view, entityKey) } }));
      batches.push(
        this.batchGet(keys, projection, names).then((items) => {
          for (const item of items) {
            const row = toRow(item, prefix);
            if (row) found.set(row.entityKey, row);
          }
        }),
      );
    }
    await Promise.all(batches);
    return found;
  }

  async write(view: string, rows: readonly OnlineFeatureRow[]): Promise<OnlineWriteSummary> {
    // A read of the stored event times first (100 keys a request) leaves out rows the store already
    // holds as new: a re-run sends no write at all, where a refused conditional put would still
    // cost a write unit on DynamoDB. The conditional put still decides: the read may be stale.
    const stored = await this.storedEventTimes(view, rows);
    const candidates = rows.filter(
      (row) => !(row.eventTimeMicros <= (stored.get(row.entityKey) ?? Number.NEGATIVE_INFINITY)),
    );
    let written = 0;
    let skipped = rows.length - candidates.length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < candidates.length) {
        const row = candidates[next++] as OnlineFeatureRow;
        if (await this.putIfNewer(view, row)) written++;
        else skipped++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUTS_IN_FLIGHT, candidates.length) }, worker));
    return { written, skipped };
  }

  /** The event time the store holds for each of these entities (absent when it holds none). */
  private async storedEventTimes(view: string, rows: readonly OnlineFeatureRow[]): Promise<Map<string, number>> {
    const unique = [...new Set(rows.map((row) => row.entityKey))];
    const names = { '#pk': ONLINE_KEY_ATTRIBUTE, '#et': EVENT_TIME };
    const prefix = `${view}#`;
    const times = new Map<string, number>();
    const batches: Promise<void>[] = [];
    for (let start = 0; start < unique.length; start += KEYS_PER_BATCH_GET) {
      const keys = unique
        .slice(start, start + KEYS_PER_BATCH_GET)
        .map((entityKey) => ({ [ONLINE_KEY_ATTRIBUTE]: { S: onlineItemKey(view, entityKey) } }));
      batches.push(
        this.batchGet(keys, '#pk, #et', names).then((items) => {
          for (const item of items) {
            const key = item[ONLINE_KEY_ATTRIBUTE]?.S;
            const time = Number(item[EVENT_TIME]?.N);
            if (key?.startsWith(prefix) && Number.isFinite(time)) times.set(key.slice(prefix.length), time);
          }
        }),
      );
    }
    await Promise.all(batches);
    return times;
  }

  private async putIfNewer(view: string, row: OnlineFeatureRow): Promise<boolean> {
    const values: Record<string, AttributeValue> = {};
    for (const [column, value] of Object.entries(row.values)) values[column] = toAttribute(value);
    this.requests++;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [ONLINE_KEY_ATTRIBUTE]: { S: onlineItemKey(view, row.entityKey) },
            [EVENT_TIME]: { N: String(row.eventTimeMicros) },
            [VIEW_VERSION]: { S: row.viewVersion },
            [VALUES]: { M: values },
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #et < :et',
          ExpressionAttributeNames: { '#pk': ONLINE_KEY_ATTRIBUTE, '#et': EVENT_TIME },
          ExpressionAttributeValues: { ':et': { N: String(row.eventTimeMicros) } },
        }),
      );
      return true;
    } catch (error) {
      // By name too: a bundle may hold a second copy of the SDK's exception classes.
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      )
        return false;
      throw error;
    }
  }

  private async batchGet(
    keys: Record<string, AttributeValue>[],
    projection: string,
    names: Record<string, string>,
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let pending = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) {
        throw new Error(
          `DynamoDB left ${pending.length} keys of table ${this.tableName} unprocessed after ${UNPROCESSED_RETRIES} retries (throttled)`,
        );
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** (attempt - 1)));
      this.requests++;
      const response = await this.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.tableName]: { Keys: pending, ProjectionExpression: projection, ExpressionAttributeNames: names },
          },
        }),
      );
      items.push(...(response.Responses?.[this.tableName] ?? []));
      pending = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, AttributeValue>[];
    }
    return items;
  }
}

function toAttribute(value: OnlineValue): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'number') {
    // DynamoDB numbers hold no NaN or infinities: a value that is not a finite number is missing.
    return Number.isFinite(value) ? { N: String(value) } : { NULL: true };
  }
  return { S: value };
}

function fromAttribute(value: AttributeValue | undefined): OnlineValue {
  if (value === undefined) return null;
  if ('N' in value && value.N !== undefined) return Number(value.N);
  if ('S' in value && value.S !== undefined) return value.S;
  return null;
}

function toRow(item: Record<string, AttributeValue>, prefix: string): OnlineFeatureRow | null {
  const key = item[ONLINE_KEY_ATTRIBUTE]?.S;
  if (key === undefined || !key.startsWith(prefix)) return null;
  const values: Record<string, OnlineValue> = {};
  for (const [column, value] of Object.entries(item[VALUES]?.M ?? {})) values[column] = fromAttribute(value);
  return {
    entityKey: key.slice(prefix.length),
    eventTimeMicros: Number(item[EVENT_TIME]?.N ?? Number.NaN),
    viewVersion: item[VIEW_VERSION]?.S ?? '',
    values,
  };
}
