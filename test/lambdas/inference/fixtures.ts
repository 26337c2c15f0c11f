import type { ModelArtifact } from '../../../core/artifact/format';
import { serializeArtifact } from '../../../core/artifact/format';
import type { Cell } from '../../../core/data/table';
import { tableFromRecords } from '../../../core/data/table';
import { summarizeSchema } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import type { ObjectStore } from '../../../core/storage/object-store';
import { trainModel } from '../../../core/train/train';
import type { InferenceConfig } from '../../../lambdas/inference/config';

export const MODEL = 'churn';

/** A seeded churn-like table: age (numeric), plan (categorical), active (boolean) -> churned yes/no. */
export function churnRecords(rows: number, seed = 7): Record<string, Cell>[] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const plans = ['basic', 'pro', 'team'];
  return Array.from({ length: rows }, () => {
    const age = Math.round(18 + random() * 60);
    const plan = plans[Math.floor(random() * plans.length)]!;
    const active = random() < 0.6;
    const risk = (age < 35 ? 0.3 : 0) + (plan === 'basic' ? 0.3 : 0) + (active ? -0.2 : 0.2) + random() * 0.4;
    return { age, plan, active, churned: risk > 0.5 ? 'yes' : 'no' };
  });
}

/** A real artifact trained by the core (a small linear model: fast to train and to load). */
export function trainChurnArtifact(options: { seed?: number; rows?: number } = {}): ModelArtifact {
  const table = tableFromRecords(churnRecords(options.rows ?? 300, options.seed));
  return trainModel(table, {
    target: 'churned',
    positiveLabel: 'yes',
    learner: 'linear',
    seed: options.seed ?? 42,
    dataSha256: 'a'.repeat(64),
    createdAt: '2026-11-29T10:00:00.000Z',
  });
}

/** Registers the artifact as the next version and, unless told otherwise, promotes it to production. */
export async function publish(
  store: ObjectStore,
  artifact: ModelArtifact,
  options: { promote?: boolean } = {},
): Promise<number> {
  const registry = new ModelRegistry({ store });
  const version = await registry.register({
    model: MODEL,
    artifact: serializeArtifact(artifact),
    approval: 'approved',
    lineage: {
      runId: `run-${Date.now()}`,
      dataSha256: artifact.data.sha256,
      dataKey: `${MODEL}/data.csv`,
      codeVersion: artifact.codeVersion,
      parameters: {},
      metrics: {},
      schema: summarizeSchema(artifact.schema),
    },
  });
  if (options.promote ?? true) await registry.promote(MODEL, version.version);
  return version.version;
}

export function testConfig(overrides: Partial<InferenceConfig> = {}): InferenceConfig {
  return {
    modelName: MODEL,
    artifactsBucket: 'artifacts',
    monitoringBucket: 'monitoring',
    maxInstances: 1000,
    maxBodyBytes: 6 * 1024 * 1024,
    unknownFeatures: 'warn',
    missingFeatures: 'impute',
    captureSampleRate: 0,
    captureMaxRows: 1000,
    captureMaxAgeSeconds: 60,
    modelRefreshSeconds: 60,
    logPredictions: true,
    ...overrides,
  };
}

/** A Function URL event (payload format 2.0) as Lambda delivers it. */
export function urlEvent(method: string, path: string, body?: string, isBase64Encoded = false) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: 'local.lambda-url.us-east-1.on.aws',
      domainPrefix: 'local',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '29/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded,
  };
}

/** Counts the reads an ObjectStore serves, to prove requests do not touch S3. */
export class CountingStore implements ObjectStore {
  reads = 0;
  writes = 0;
  /** Set to make every call fail (S3 outage). */
  failing = false;

  constructor(private readonly inner: ObjectStore) {}

  get bucket(): string {
    return this.inner.bucket;
  }

  private check(): void {
    if (this.failing) throw new Error('S3 is unavailable (simulated)');
  }

  async get(key: string) {
    this.reads++;
    this.check();
    return this.inner.get(key);
  }

  async head(key: string) {
    this.reads++;
    this.check();
    return this.inner.head(key);
  }

  async getStream(key: string) {
    this.reads++;
    this.check();
    return this.inner.getStream(key);
  }

  async list(prefix: string) {
    this.reads++;
    this.check();
    return this.inner.list(prefix);
  }

  async put(...args: Parameters<ObjectStore['put']>) {
    this.writes++;
    this.check();
    return this.inner.put(...args);
  }

  async delete(...args: Parameters<ObjectStore['delete']>) {
    this.writes++;
    this.check();
    return this.inner.delete(...args);
  }
}
