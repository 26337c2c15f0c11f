import type { Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceInUseException,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';

/**
 * Kinesis on loopback: kinesalite 3.3.3 (in memory) behind one port that speaks both HTTP/1.1 (the
 * AWS CLI) and HTTP/2 without TLS (the JavaScript SDK's Kinesis client, which always uses HTTP/2).
 * kinesalite serves HTTP/1.1 only, so each connection is spliced, by its first bytes, to kinesalite
 * or to an HTTP/2 server running kinesalite's own request handler.
 */
export interface LocalKinesis {
  readonly endpoint: string;
  readonly port: number;
  /** A client for the platform's own calls (local credentials). */
  readonly client: KinesisClient;
  close(): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

export async function startLocalKinesis(options: {
  port: number;
  host?: string;
  region: string;
  account: string;
  /** Streams to create, with their shard counts. */
  streams: ReadonlyArray<{ name: string; shardCount: number }>;
}): Promise<LocalKinesis> {
  const host = options.host ?? '127.0.0.1';
  // kinesalite reads the account for its ARNs from the environment when it creates its store.
  const previousAccount = process.env.AWS_ACCOUNT_ID;
  const previousRegion = process.env.AWS_REGION;
  process.env.AWS_ACCOUNT_ID = options.account;
  process.env.AWS_REGION = options.region;
  const http1: Server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  restore('AWS_ACCOUNT_ID', previousAccount);
  restore('AWS_REGION', previousRegion);
  const handler = http1.listeners('request')[0] as (...args: unknown[]) => void;
  const http2: Http2Server = createHttp2Server({}, handler as never);
  const sockets = new Set<Socket>();
  const front = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      const target = first.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE) ? http2 : http1;
      const upstream = connect((target.address() as AddressInfo).port, host);
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.write(first);
      socket.pipe(upstream).pipe(socket);
    });
  });
  await Promise.all([listenOn(http1, 0, host), listenOn(http2, 0, host), listenOn(front, options.port, host)]);
  const port = (front.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  const client = new KinesisClient({
    endpoint,
    region: options.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const close = async () => {
    client.destroy();
    for (const socket of sockets) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => front.close(() => resolve())),
      new Promise<void>((resolve) => http2.close(() => resolve())),
      new Promise<void>((resolve) => http1.close(() => resolve())),
    ]);
  };
  try {
    for (const stream of options.streams) await createStream(client, stream.name, stream.shardCount);
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, port, client, close };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function listenOn(
  server: {
    listen: (port: number, host: string, done: () => void) => unknown;
    once: (event: 'error', listener: (error: Error) => void) => unknown;
  },
  port: number,
  host: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Creates the stream (an existing one is kept) and waits until it is ACTIVE. */
export async function createStream(client: KinesisClient, name: string, shardCount: number): Promise<void> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`local Kinesis stream ${name} did not become ACTIVE`);
}
