import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type BatchGetPlan,
  conditionalPut,
  type Item,
  itemToRow,
  planEventTimeRead,
  planRowRead,
} from '../core/feature-views/online-item';
import type { OnlineFeatureRow, OnlineFeatureStore, OnlineWriteSummary } from '../core/feature-views/online-store';

/** Conditional puts in flight at once per write call. */
const PUTS_IN_FLIGHT = 16;
/** Retries of keys BatchGetItem left unprocessed (throttling), with doubling backoff from 25 ms. */
const UNPROCESSED_RETRIES = 8;

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
    const found = new Map<string, OnlineFeatureRow>();
    for (const item of await this.batchGetAll(planRowRead(view, entityKeys, columns))) {
      const row = itemToRow(item, view);
      if (row) found.set(row.entityKey, row);
    }
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
    const plan = planEventTimeRead(
      view,
      rows.map((row) => row.entityKey),
    );
    const times = new Map<string, number>();
    for (const item of await this.batchGetAll(plan)) {
      const row = itemToRow(item, view);
      if (row && Number.isFinite(row.eventTimeMicros)) times.set(row.entityKey, row.eventTimeMicros);
    }
    return times;
  }

  private async putIfNewer(view: string, row: OnlineFeatureRow): Promise<boolean> {
    this.requests++;
    const put = conditionalPut(view, row);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          ...put,
          Item: put.Item as Record<string, AttributeValue>,
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

  /** Every item of a plan's batches (sent at once). */
  private async batchGetAll(plan: BatchGetPlan): Promise<Item[]> {
    const batches = await Promise.all(
      plan.keyBatches.map((keys) =>
        this.batchGet(keys as Record<string, AttributeValue>[], plan.projection, plan.names),
      ),
    );
    return batches.flat() as Item[];
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
