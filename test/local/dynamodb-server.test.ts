import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbOnlineFeatureStore } from '../../adapters/dynamodb-feature-store';
import { startLocalDynamoDb } from '../../local/dynamodb-server';

describe('startLocalDynamoDb', () => {
  test('creates the table with the online store key schema, on demand', async () => {
    const dynamo = await startLocalDynamoDb({ port: 0, region: 'us-east-1', tables: ['mlops-features'] });
    try {
      expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`);
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'mlops-features' }));
      expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    } finally {
      await dynamo.close();
    }
  });

  test('with a directory, items survive a restart and the existing table is kept', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'dynamo-'));
    try {
      const first = await startLocalDynamoDb({ port: 0, region: 'us-east-1', directory, tables: ['mlops-features'] });
      await new DynamoDbOnlineFeatureStore(first.client, 'mlops-features').write('customer', [
        { entityKey: '1', eventTimeMicros: 1, viewVersion: 'v', values: { n: 1 } },
      ]);
      await first.close();
      const second = await startLocalDynamoDb({ port: 0, region: 'us-east-1', directory, tables: ['mlops-features'] });
      try {
        expect((await second.client.send(new ListTablesCommand({}))).TableNames).toEqual(['mlops-features']);
        const found = await new DynamoDbOnlineFeatureStore(second.client, 'mlops-features').read(
          'customer',
          ['1'],
          ['n'],
        );
        expect(found.get('1')?.values).toEqual({ n: 1 });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
