import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb } from '../../local/dynamodb-server';

/**
 * dynalite (the local platform's DynamoDB) in this process on a loopback port, with the online
 * store's table created, for tests and benchmarks that go through the real @aws-sdk/client-dynamodb.
 * Counts the DynamoDB operations it answers by name (x-amz-target), so a test can prove one
 * BatchGetItem per request.
 */
export interface DynaliteTable {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly table: string;
  /** Operations answered after the table was created, by name (e.g. BatchGetItem). */
  readonly operations: Map<string, number>;
  stop(): Promise<void>;
}

export async function startDynaliteTable(table = 'mlops-features'): Promise<DynaliteTable> {
  const dynamo = await startLocalDynamoDb({ port: 0, region: 'us-east-1', tables: [table] });
  const operations = new Map<string, number>();
  dynamo.server.on('request', (request: { headers: Record<string, string | string[] | undefined> }) => {
    const name =
      String(request.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    operations.set(name, (operations.get(name) ?? 0) + 1);
  });
  return { endpoint: dynamo.endpoint, client: dynamo.client, table, operations, stop: () => dynamo.close() };
}
