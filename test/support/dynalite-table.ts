import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../adapters/dynamodb-feature-store';
import { ONLINE_KEY_ATTRIBUTE } from '../../core/feature-views/layout';

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
  /** Operations answered, by name (e.g. BatchGetItem). */
  readonly operations: Map<string, number>;
  stop(): Promise<void>;
}

type Dynalite = (options: { createTableMs?: number; path?: string }) => Server;

export async function startDynaliteTable(table = 'mlops-features'): Promise<DynaliteTable> {
  const dynalite = require('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0 });
  const operations = new Map<string, number>();
  server.on('request', (request: { headers: Record<string, string | string[] | undefined> }) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.split('.').pop() ?? '';
    operations.set(name, (operations.get(name) ?? 0) + 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createDynamoDbClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: ONLINE_KEY_ATTRIBUTE, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: ONLINE_KEY_ATTRIBUTE, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  operations.clear();
  return {
    endpoint,
    client,
    table,
    operations,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
