/**
 * Issue 15's serving measurement: what reading a model's feature view from the online store adds
 * to one POST /predict, for 1 and 100 entities, against dynalite (the local platform's DynamoDB)
 * started in this process and reached through the real @aws-sdk/client-dynamodb over loopback.
 * Each entity-only request is paired with the same request sending every feature (the same
 * values: what the store holds), run alternately in one loop so load on the machine hits both
 * alike; the added latency is the difference of their percentiles. Also the DynamoDB requests per
 * request (the reader's `requests`). The store is read as the deployed function reads it
 * (adapters/dynamodb-http-reader.ts, SigV4-signed BatchGetItem over fetch). The app is the endpoint's own InferenceApp, model cached,
 * capture and prediction log off, so the timings are the handler's work alone.
 *
 * `npm run bench -- feature-lookup`. dynalite keeps its table in memory (LevelDB's memdown):
 * DynamoDB itself answers a BatchGetItem in a few milliseconds inside a region, more than this.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DynamoDbOnlineFeatureStore } from '../adapters/dynamodb-feature-store';
import { DynamoDbHttpFeatureReader } from '../adapters/dynamodb-http-reader';
import { featureViewSchema } from '../core/config/feature-view-schema';
import type { OnlineValue } from '../core/feature-views/online-store';
import { MemoryObjectStore } from '../core/storage/memory-store';
import { InferenceApp } from '../lambdas/inference/app';
import type { InferenceConfig } from '../lambdas/inference/config';
import { inProcessBackend } from '../lambdas/inference/predict';
import { startDynaliteTable } from '../test/support/dynalite-table';
import { publish, syntheticRecords, trainBenchModel } from './inference';

const ENTITIES = 5_000;
const SIZES = [
  { entities: 1, requests: 600 },
  { entities: 100, requests: 200 },
] as const;
const WARMUP = 30;

export interface FeatureLookupRow {
  readonly entities: number;
  readonly requests: number;
  readonly features: number;
  /** Entity-only requests: the lookup plus scoring. */
  readonly entityOnlyP50Ms: number;
  readonly entityOnlyP99Ms: number;
  /** The same rows with every feature sent: scoring alone. */
  readonly fullP50Ms: number;
  readonly fullP99Ms: number;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
  /** DynamoDB requests per entity-only request, and per full request. */
  readonly dynamoRequestsPerRequest: number;
  readonly dynamoRequestsPerFullRequest: number;
}

export interface FeatureLookupBenchResult {
  readonly machine: { readonly cpus: number; readonly loadAverage: number };
  readonly rows: readonly FeatureLookupRow[];
}

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]!;
}

const round = (value: number) => Number(value.toFixed(3));

const predictEvent = (instances: unknown[]) => ({
  rawPath: '/predict',
  requestContext: { http: { method: 'POST', path: '/predict' } },
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ instances }),
  isBase64Encoded: false,
});

export async function runFeatureLookupBench(options: {
  log: (line: string) => void;
}): Promise<FeatureLookupBenchResult> {
  const { log } = options;
  const dynamo = await startDynaliteTable('mlops-features-bench');
  try {
    const { artifact } = trainBenchModel(2_000, 'gbdt');
    const artifacts = new MemoryObjectStore('artifacts');
    await publish(artifacts, artifact);
    // The store holds numbers and text: a boolean feature is kept (and sent, in the full request) as its text.
    const stored = syntheticRecords(ENTITIES, 23).records.map(
      (record) =>
        Object.fromEntries(
          Object.entries(record).map(([name, value]) => [name, typeof value === 'boolean' ? String(value) : value]),
        ) as Record<string, OnlineValue>,
    );
    const eventTimeMicros = Date.now() * 1000;
    await new DynamoDbOnlineFeatureStore(dynamo.client, dynamo.table).write(
      'customer',
      stored.map((values, index) => ({ entityKey: `e${index}`, eventTimeMicros, viewVersion: 'v1', values })),
    );
    // The reader the endpoint uses (BatchGetItem over HTTPS with SigV4), as handler.ts builds it.
    const store = new DynamoDbHttpFeatureReader({
      table: dynamo.table,
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const view = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id' });
    const config: InferenceConfig = {
      modelName: 'bench',
      artifactsBucket: 'artifacts',
      monitoringBucket: 'monitoring',
      maxInstances: 1000,
      maxBodyBytes: 6 * 1024 * 1024,
      unknownFeatures: 'warn',
      missingFeatures: 'impute',
      captureSampleRate: 0,
      captureMaxRows: 1000,
      captureMaxAgeSeconds: 60,
      modelRefreshSeconds: 3600,
      logPredictions: false,
      featureLookup: { view, table: dynamo.table },
    };
    const app = new InferenceApp({
      config,
      artifacts,
      monitoring: new MemoryObjectStore('monitoring'),
      backend: inProcessBackend,
      featureStore: store,
    });
    const features = Object.keys(stored[0]!).length;
    const rows: FeatureLookupRow[] = [];
    let next = 0;
    const pick = (count: number) =>
      Array.from({ length: count }, () => {
        next = (next + 7919) % ENTITIES; // a prime step: entities spread over the table
        return next;
      });
    for (const { entities, requests } of SIZES) {
      const byKey: number[] = [];
      const full: number[] = [];
      let byKeyRequests = 0;
      let fullRequests = 0;
      for (let iteration = -WARMUP; iteration < requests; iteration++) {
        const chosen = pick(entities);
        const keyEvent = predictEvent(chosen.map((index) => ({ customer_id: `e${index}` })));
        const fullEvent = predictEvent(chosen.map((index) => ({ customer_id: `e${index}`, ...stored[index]! })));
        // Alternate which goes first, so neither always runs on a warmer cache.
        const order = iteration % 2 === 0 ? (['key', 'full'] as const) : (['full', 'key'] as const);
        for (const kind of order) {
          const before = store.requests;
          const started = performance.now();
          const outcome = await app.handle(kind === 'key' ? keyEvent : fullEvent, 'bench');
          const elapsed = performance.now() - started;
          if (outcome.response.statusCode !== 200) throw new Error(`predict answered ${outcome.response.statusCode}`);
          if (iteration < 0) continue;
          if (kind === 'key') {
            byKey.push(elapsed);
            byKeyRequests += store.requests - before;
          } else {
            full.push(elapsed);
            fullRequests += store.requests - before;
          }
        }
      }
      const row: FeatureLookupRow = {
        entities,
        requests,
        features,
        entityOnlyP50Ms: round(percentile(byKey, 50)),
        entityOnlyP99Ms: round(percentile(byKey, 99)),
        fullP50Ms: round(percentile(full, 50)),
        fullP99Ms: round(percentile(full, 99)),
        addedP50Ms: round(percentile(byKey, 50) - percentile(full, 50)),
        addedP99Ms: round(percentile(byKey, 99) - percentile(full, 99)),
        dynamoRequestsPerRequest: byKeyRequests / requests,
        dynamoRequestsPerFullRequest: fullRequests / requests,
      };
      rows.push(row);
      log(
        `  ${String(entities).padStart(3)} entit${entities === 1 ? 'y  ' : 'ies'} x ${requests} requests (${features} features): ` +
          `entity-only p50 ${row.entityOnlyP50Ms} ms p99 ${row.entityOnlyP99Ms} ms; full p50 ${row.fullP50Ms} ms p99 ${row.fullP99Ms} ms; ` +
          `added p50 ${row.addedP50Ms} ms p99 ${row.addedP99Ms} ms; DynamoDB requests per request ${row.dynamoRequestsPerRequest} (full: ${row.dynamoRequestsPerFullRequest})`,
      );
    }
    return { machine: { cpus: cpus().length, loadAverage: round(loadavg()[0]!) }, rows };
  } finally {
    await dynamo.stop();
  }
}

if (require.main === module) {
  runFeatureLookupBench({ log: (line) => process.stdout.write(`${line}\n`) }).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack}\n`);
      process.exit(1);
    },
  );
}
