import { type Item, itemToRow, planRowRead } from '../core/feature-views/online-item';
import type { OnlineFeatureRow, OnlineFeatureStore, OnlineWriteSummary } from '../core/feature-views/online-store';
import { sigV4Signer } from './sigv4-signer';

/**
 * The online store's read path for the scoring functions: BatchGetItem over HTTPS (DynamoDB's JSON
 * protocol, SigV4 with @smithy/signature-v4, which the S3 client already brings), not the DynamoDB
 * SDK client. That client added 117 KB to the inference bundle, past its 1 MB bound
 * (test/lib/bundles.test.ts), for one operation. Same behaviour as DynamoDbOnlineFeatureStore.read
 * (100 keys a request, only the asked-for attributes, unprocessed keys retried) on the same item
 * layout (core/feature-views/online-item.ts); writes (materialization) go through that adapter.
 */

/** Retries of unprocessed keys and of throttled or failed calls, with doubling backoff from 25 ms. */
const RETRIES = 8;
const RETRYABLE =
  /ProvisionedThroughputExceeded|Throttling|RequestLimitExceeded|InternalServerError|ServiceUnavailable/;

type Credentials = Parameters<typeof sigV4Signer>[0]['credentials'];

export interface DynamoDbHttpReaderOptions {
  readonly table: string;
  readonly region: string;
  /** A DynamoDB-compatible endpoint (dynalite). @default - https://dynamodb.<region>.amazonaws.com */
  readonly endpoint?: string;
  /** Fixed credentials or a provider such as the SDK's default chain. */
  readonly credentials: Credentials;
}

/** A DynamoDB error answer, with its type (e.g. ResourceNotFoundException). */
export class DynamoDbRequestError extends Error {
  override readonly name = 'DynamoDbRequestError';
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class DynamoDbHttpFeatureReader implements OnlineFeatureStore {
  /** DynamoDB requests sent, as DynamoDbOnlineFeatureStore counts them. */
  requests = 0;
  readonly tableName: string;
  private readonly url: URL;
  private readonly sign: ReturnType<typeof sigV4Signer>;

  constructor(options: DynamoDbHttpReaderOptions) {
    this.tableName = options.table;
    this.url = new URL(options.endpoint ?? `https://dynamodb.${options.region}.amazonaws.com/`);
    this.sign = sigV4Signer({ region: options.region, service: 'dynamodb', credentials: options.credentials });
  }

  async read(
    view: string,
    entityKeys: readonly string[],
    columns: readonly string[],
  ): Promise<Map<string, OnlineFeatureRow>> {
    const plan = planRowRead(view, entityKeys, columns);
    const found = new Map<string, OnlineFeatureRow>();
    const batches = await Promise.all(plan.keyBatches.map((keys) => this.batchGet(keys, plan.projection, plan.names)));
    for (const item of batches.flat()) {
      const row = itemToRow(item, view);
      if (row) found.set(row.entityKey, row);
    }
    return found;
  }

  write(): Promise<OnlineWriteSummary> {
    return Promise.reject(
      new Error('DynamoDbHttpFeatureReader only reads; materialize with DynamoDbOnlineFeatureStore'),
    );
  }

  private async batchGet(keys: Item[], projection: string, names: Record<string, string>): Promise<Item[]> {
    const items: Item[] = [];
    let pending = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** (attempt - 1)));
      let response: { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, { Keys?: Item[] }> };
      try {
        response = (await this.call('BatchGetItem', {
          RequestItems: {
            [this.tableName]: { Keys: pending, ProjectionExpression: projection, ExpressionAttributeNames: names },
          },
        })) as typeof response;
      } catch (error) {
        const retryable = error instanceof DynamoDbRequestError && (error.status >= 500 || RETRYABLE.test(error.type));
        if (!retryable || attempt >= RETRIES) throw error;
        continue;
      }
      items.push(...(response.Responses?.[this.tableName] ?? []));
      pending = response.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (pending.length > 0 && attempt >= RETRIES) {
        throw new Error(
          `DynamoDB left ${pending.length} keys of table ${this.tableName} unprocessed after ${RETRIES} retries (throttled)`,
        );
      }
    }
    return items;
  }

  private async call(operation: string, input: object): Promise<unknown> {
    const body = JSON.stringify(input);
    const headers = await this.sign({
      method: 'POST',
      url: this.url,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      body,
    });
    this.requests++;
    const response = await fetch(this.url, { method: 'POST', headers, body });
    const text = await response.text();
    if (!response.ok) {
      let answer: { __type?: string; message?: string; Message?: string } = {};
      try {
        answer = JSON.parse(text);
      } catch {
        answer = { message: text.slice(0, 200) };
      }
      const type = (answer.__type ?? `HTTP ${response.status}`).split('#').pop()!;
      throw new DynamoDbRequestError(
        type,
        response.status,
        `${operation} on table ${this.tableName}: ${type}: ${answer.message ?? answer.Message ?? ''}`.trim(),
      );
    }
    return JSON.parse(text);
  }
}

/**
 * The reader of a function's online store: its region and the SDK's default credential chain (the
 * function's role on AWS), AWS_ENDPOINT_URL_DYNAMODB off AWS (dynalite on the local platform).
 */
export function featureReaderFromEnv(table: string, env: NodeJS.ProcessEnv = process.env): DynamoDbHttpFeatureReader {
  const { defaultProvider } =
    require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || undefined;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return new DynamoDbHttpFeatureReader({
    table,
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: defaultProvider(),
  });
}
