import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createDynamoDbClient } from '../adapters/dynamodb-feature-store';
import { ONLINE_KEY_ATTRIBUTE } from '../core/feature-views/layout';

/**
 * DynamoDB on loopback: dynalite 4.0.0, in memory or on disk (LevelDB under `directory`), holding
 * the deployment's online feature store table as the CDK app defines it (partition key `pk`, S).
 */
export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  /** A client for the platform's own calls (local credentials). */
  readonly client: DynamoDBClient;
  /** The HTTP server, for a test that counts the operations it answers. */
  readonly server: Server;
  close(): Promise<void>;
}

export const DEFAULT_DYNAMODB_PORT = 4569;

export async function startLocalDynamoDb(options: {
  /** @default DEFAULT_DYNAMODB_PORT; 0 picks a free port */
  readonly port?: number;
  readonly host?: string;
  readonly region: string;
  /** LevelDB folder that survives restarts. @default - in memory */
  readonly directory?: string;
  /** Tables to create (an existing one is kept), each with the online store's key schema. */
  readonly tables: readonly string[];
}): Promise<LocalDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.directory ? { path: options.directory } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_DYNAMODB_PORT, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  const client = createDynamoDbClient({
    endpoint,
    region: options.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const close = async () => {
    client.destroy();
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    for (const table of options.tables) await createOnlineStoreTable(client, table);
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, port, client, server, close };
}

/** Creates the online store's table (an existing one is kept) and waits until it is ACTIVE. */
export async function createOnlineStoreTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: ONLINE_KEY_ATTRIBUTE, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: ONLINE_KEY_ATTRIBUTE, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const described = await client.send(new DescribeTableCommand({ TableName: name }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`local DynamoDB table ${name} did not become ACTIVE`);
}
