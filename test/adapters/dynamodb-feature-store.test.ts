import { BatchGetItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbOnlineFeatureStore } from '../../adapters/dynamodb-feature-store';
import type { OnlineFeatureRow } from '../../core/feature-views/online-store';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-server';

const TABLE = 'features-test';
let dynamo: LocalDynamoDb;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb({ port: 0, region: 'us-east-1', tables: [TABLE] });
});
afterAll(() => dynamo.close());

/** A view name per test, so tests sharing the table never see each other's items. */
let views = 0;
const freshView = () => `view${++views}`;

const row = (entityKey: string, eventTimeMicros: number, values: OnlineFeatureRow['values']): OnlineFeatureRow => ({
  entityKey,
  eventTimeMicros,
  viewVersion: 'v1',
  values,
});

/** Counts the commands sent, by name, and lets a test see their inputs. */
function recordingClient(client: DynamoDBClient) {
  const sent: Array<{ name: string; input: unknown }> = [];
  const wrapped = {
    send: (command: { constructor: { name: string }; input: unknown }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return client.send(command as never);
    },
  } as unknown as DynamoDBClient;
  return { client: wrapped, sent };
}

describe('DynamoDbOnlineFeatureStore against dynalite', () => {
  test('reads back what it wrote: numbers, text and missing values', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(view, [row('1', 10, { spend: 1.5, plan: 'pro', tenure: null })]);
    const found = await store.read(view, ['1'], ['spend', 'plan', 'tenure']);
    expect(found.get('1')).toEqual({
      entityKey: '1',
      eventTimeMicros: 10,
      viewVersion: 'v1',
      values: { spend: 1.5, plan: 'pro', tenure: null },
    });
  });

  test('a read projects only the asked-for columns', async () => {
    const view = freshView();
    const { client, sent } = recordingClient(dynamo.client);
    const store = new DynamoDbOnlineFeatureStore(client, TABLE);
    await store.write(view, [row('1', 10, { spend: 1, plan: 'pro', secret: 'x' })]);
    sent.length = 0;
    const found = await store.read(view, ['1'], ['plan']);
    expect(found.get('1')?.values).toEqual({ plan: 'pro' });
    const request = sent.find((command) => command.name === 'BatchGetItemCommand')?.input as {
      RequestItems: Record<string, { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> }>;
    };
    const { ProjectionExpression, ExpressionAttributeNames } = request.RequestItems[TABLE];
    expect(ProjectionExpression).toBe('#pk, #et, #vv, f.#c0');
    expect(ExpressionAttributeNames['#c0']).toBe('plan');
  });

  test('reads more than 100 keys in requests of at most 100, repeated keys once', async () => {
    const view = freshView();
    const { client, sent } = recordingClient(dynamo.client);
    const store = new DynamoDbOnlineFeatureStore(client, TABLE);
    const keys = Array.from({ length: 250 }, (_, index) => String(index));
    await store.write(
      view,
      keys.map((key) => row(key, 1, { n: Number(key) })),
    );
    sent.length = 0;
    store.requests = 0;
    const found = await store.read(view, [...keys, '0', '1'], ['n']);
    expect(found.size).toBe(250);
    expect(found.get('249')?.values).toEqual({ n: 249 });
    const sizes = sent.map(
      (command) =>
        Object.values((command.input as { RequestItems: Record<string, { Keys: unknown[] }> }).RequestItems)[0].Keys
          .length,
    );
    expect(sizes.sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect(store.requests).toBe(3);
  });

  test('unknown entities are absent from the result', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(view, [row('known', 1, { n: 1 })]);
    const found = await store.read(view, ['known', 'unknown'], ['n']);
    expect([...found.keys()]).toEqual(['known']);
  });

  test("a read never returns another view's item of the same entity", async () => {
    const view = freshView();
    const other = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(other, [row('1', 1, { n: 1 })]);
    expect((await store.read(view, ['1'], ['n'])).size).toBe(0);
  });

  test('an older write after a newer one leaves the newer row', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    expect(await store.write(view, [row('1', 20, { n: 2 })])).toEqual({ written: 1, skipped: 0 });
    expect(await store.write(view, [row('1', 10, { n: 1 })])).toEqual({ written: 0, skipped: 1 });
    expect((await store.read(view, ['1'], ['n'])).get('1')?.values).toEqual({ n: 2 });
  });

  test('a newer write replaces the row, values it lacks included', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(view, [row('1', 10, { n: 1, old: 'x' })]);
    await store.write(view, [row('1', 20, { n: 2 })]);
    expect((await store.read(view, ['1'], ['n', 'old'])).get('1')?.values).toEqual({ n: 2 });
  });

  test('a re-run sends no write and leaves every item as it was', async () => {
    const view = freshView();
    const { client, sent } = recordingClient(dynamo.client);
    const store = new DynamoDbOnlineFeatureStore(client, TABLE);
    const rows = Array.from({ length: 40 }, (_, index) => row(String(index), 5, { n: index }));
    expect(await store.write(view, rows)).toEqual({ written: 40, skipped: 0 });
    const before = await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `${view}#7` } } }));
    sent.length = 0;
    expect(await store.write(view, rows)).toEqual({ written: 0, skipped: 40 });
    expect(sent.map((command) => command.name)).toEqual(['BatchGetItemCommand']);
    const after = await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `${view}#7` } } }));
    expect(after.Item).toEqual(before.Item);
  });

  test('two writers racing on one entity leave the newest row, whatever their order', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    const versions = Array.from({ length: 20 }, (_, index) => row('1', index + 1, { n: index + 1 }));
    await Promise.all([...versions].reverse().map((version) => store.write(view, [version])));
    expect((await store.read(view, ['1'], ['n'])).get('1')).toMatchObject({ eventTimeMicros: 20, values: { n: 20 } });
  });

  test('a non-finite number is stored as missing', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(view, [row('1', 1, { n: Number.POSITIVE_INFINITY })]);
    expect((await store.read(view, ['1'], ['n'])).get('1')?.values).toEqual({ n: null });
  });

  test('a column name that is a DynamoDB reserved word or has dots is read and written', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(view, [row('1', 1, { size: 3, 'a.b': 'x' })]);
    expect((await store.read(view, ['1'], ['size', 'a.b'])).get('1')?.values).toEqual({ size: 3, 'a.b': 'x' });
  });

  test('an item written by hand without values reads as a row with none', async () => {
    const view = freshView();
    await dynamo.client.send(
      new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `${view}#1` }, et: { N: '1' }, vv: { S: 'v' } } }),
    );
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    expect((await store.read(view, ['1'], ['n'])).get('1')?.values).toEqual({});
  });

  test('BatchGetItem is the only read call', async () => {
    const view = freshView();
    const { client, sent } = recordingClient(dynamo.client);
    const store = new DynamoDbOnlineFeatureStore(client, TABLE);
    await store.read(view, ['a', 'b'], ['n']);
    expect(sent.map((command) => command.name)).toEqual([BatchGetItemCommand.name]);
  });

  test('keys BatchGetItem leaves unprocessed (throttling) are asked again', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(view, [row('1', 1, { n: 1 }), row('2', 1, { n: 2 })]);
    let calls = 0;
    const throttling = {
      send: async (command: BatchGetItemCommand) => {
        calls++;
        if (calls > 1) return dynamo.client.send(command);
        // The first answer holds nothing and hands every key back, as DynamoDB does when throttled.
        return { Responses: { [TABLE]: [] }, UnprocessedKeys: command.input.RequestItems };
      },
    } as unknown as DynamoDBClient;
    const reader = new DynamoDbOnlineFeatureStore(throttling, TABLE);
    const found = await reader.read(view, ['1', '2'], ['n']);
    expect([...found.keys()].sort()).toEqual(['1', '2']);
    expect(reader.requests).toBe(2);
  });

  test('when the read of stored event times is stale, the conditional put still keeps the newer row', async () => {
    const view = freshView();
    const store = new DynamoDbOnlineFeatureStore(dynamo.client, TABLE);
    await store.write(view, [row('1', 20, { n: 2 })]);
    const staleReads = {
      send: (command: { constructor: { name: string } }) =>
        command.constructor.name === 'BatchGetItemCommand'
          ? Promise.resolve({ Responses: { [TABLE]: [] } })
          : dynamo.client.send(command as never),
    } as unknown as DynamoDBClient;
    const stale = new DynamoDbOnlineFeatureStore(staleReads, TABLE);
    expect(await stale.write(view, [row('1', 10, { n: 1 })])).toEqual({ written: 0, skipped: 1 });
    expect((await store.read(view, ['1'], ['n'])).get('1')?.values).toEqual({ n: 2 });
  });
});
