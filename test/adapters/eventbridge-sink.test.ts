import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeSink } from '../../adapters/eventbridge-sink';

/** A loopback stand-in for the EventBridge API that records PutEvents requests. */
function fakeEventBridge(response: object) {
  const requests: { target: string; body: { Entries: Record<string, string>[] } }[] = [];
  const server: Server = createServer((request, reply) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      requests.push({ target: String(request.headers['x-amz-target']), body: JSON.parse(body) });
      reply.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(response));
    });
  });
  return { server, requests };
}

async function clientFor(server: Server): Promise<EventBridgeClient> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new EventBridgeClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('EventBridge sink', () => {
  it('sends the registry event with its source, detail type and JSON detail', async () => {
    // given
    const { server, requests } = fakeEventBridge({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const client = await clientFor(server);
    // when
    await new EventBridgeSink(client, 'mlops').publish({
      source: 'mlops.registry',
      detailType: 'ModelAliasMoved',
      detail: { model: 'churn', alias: 'production', version: 2 },
    });
    // then
    expect(requests[0]?.target).toBe('AWSEvents.PutEvents');
    expect(requests[0]?.body.Entries[0]).toEqual({
      EventBusName: 'mlops',
      Source: 'mlops.registry',
      DetailType: 'ModelAliasMoved',
      Detail: '{"model":"churn","alias":"production","version":2}',
    });
    client.destroy();
    server.close();
  });

  it('throws with the error code when EventBridge refuses the entry', async () => {
    // given
    const { server } = fakeEventBridge({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const client = await clientFor(server);
    // when
    const attempt = new EventBridgeSink(client).publish({
      source: 'mlops.registry',
      detailType: 'ModelVersionRegistered',
      detail: {},
    });
    // then
    await expect(attempt).rejects.toThrow(
      'EventBridge refused ModelVersionRegistered on bus default: InternalFailure try again',
    );
    client.destroy();
    server.close();
  });
});
