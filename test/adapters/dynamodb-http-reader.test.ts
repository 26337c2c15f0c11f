import { DynamoDbOnlineFeatureStore } from '../../adapters/dynamodb-feature-store';
import { DynamoDbHttpFeatureReader, DynamoDbRequestError } from '../../adapters/dynamodb-http-reader';
import { type DynaliteTable, startDynaliteTable } from '../support/dynalite-table';

/** The scoring functions' reader against dynalite, checked against the SDK adapter that wrote the rows. */
let dynamo: DynaliteTable;
let reader: DynamoDbHttpFeatureReader;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

beforeAll(async () => {
  dynamo = await startDynaliteTable();
  const writer = new DynamoDbOnlineFeatureStore(dynamo.client, dynamo.table);
  await writer.write(
    'customer',
    Array.from({ length: 250 }, (_, index) => ({
      entityKey: `c${index}`,
      eventTimeMicros: 1_780_000_000_000_000 + index,
      viewVersion: 'v1',
      values: { tenure: index, plan: index % 2 === 0 ? 'pro' : 'basic', spend: index % 5 === 0 ? null : index / 4 },
    })),
  );
  await writer.write('store', [{ entityKey: 'c1', eventTimeMicros: 1, viewVersion: 'v1', values: { tenure: -1 } }]);
  reader = new DynamoDbHttpFeatureReader({
    table: dynamo.table,
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials,
  });
});

afterAll(() => dynamo.stop());

describe('DynamoDbHttpFeatureReader', () => {
  it('reads what the SDK adapter reads, 100 keys a request', async () => {
    // Given 250 entities of which 3 are unknown
    const keys = [...Array.from({ length: 247 }, (_, index) => `c${index}`), 'x1', 'x2', 'x3'];
    const sdk = new DynamoDbOnlineFeatureStore(dynamo.client, dynamo.table);
    dynamo.operations.clear();
    // When both read them
    const read = await reader.read('customer', keys, ['tenure', 'spend']);
    // Then the rows are equal, three BatchGetItem calls were made, and only the asked columns came back
    expect(reader.requests).toBe(3);
    expect(dynamo.operations.get('BatchGetItem')).toBe(3);
    expect(read).toEqual(await sdk.read('customer', keys, ['tenure', 'spend']));
    expect(read.size).toBe(247);
    expect(read.get('c10')).toEqual({
      entityKey: 'c10',
      eventTimeMicros: 1_780_000_000_000_010,
      viewVersion: 'v1',
      values: { tenure: 10, spend: null },
    });
    expect(read.get('c3')!.values).toEqual({ tenure: 3, spend: 0.75 });
  });

  it("reads only its view's items", async () => {
    const read = await reader.read('store', ['c1', 'c2'], ['tenure']);
    expect([...read.values()]).toEqual([
      { entityKey: 'c1', eventTimeMicros: 1, viewVersion: 'v1', values: { tenure: -1 } },
    ]);
  });

  it('fails naming the table and the error type when the table does not exist', async () => {
    const missing = new DynamoDbHttpFeatureReader({
      table: 'no-such-table',
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials,
    });
    const attempt = missing.read('customer', ['c1'], ['tenure']);
    await expect(attempt).rejects.toThrow(DynamoDbRequestError);
    await expect(attempt).rejects.toThrow(/BatchGetItem on table no-such-table: ResourceNotFoundException/);
  });

  it('refuses to write: materialization goes through the SDK adapter', async () => {
    await expect(reader.write()).rejects.toThrow(/only reads/);
  });
});
