import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../adapters/s3-object-store';
import { type Platform, type PlatformOptions, startPlatform } from '../../local/platform';

export interface TestPlatform {
  readonly platform: Platform;
  /** A real SDK client for the platform's local S3. */
  readonly client: S3Client;
  readonly dataDir: string;
}

/**
 * The whole local platform in-process for a test: one linear churn model (trains in
 * milliseconds), free loopback ports, the TypeScript sources, no drift or quality timers, no seeded data.
 */
export async function startTestPlatform(options: {
  project: string;
  batchingWindowMs: number;
  /** Merged into the churn model's config entry. @default {} */
  model?: Record<string, unknown>;
  /** The config's `featureViews`. @default [] */
  featureViews?: readonly Record<string, unknown>[];
  /** Other top-level config fields beside the model. @default {} */
  config?: Record<string, unknown>;
  /** Platform options over the defaults above (e.g. `code: 'bundles'`). @default {} */
  platform?: Partial<PlatformOptions>;
}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), `mlops-${options.project}-`));
  const configPath = join(dataDir, 'mlops.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      project: options.project,
      models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', learner: 'linear', ...options.model }],
      ...(options.featureViews ? { featureViews: options.featureViews } : {}),
      ...options.config,
    }),
  );
  const platform = await startPlatform({
    configPath,
    dataDir,
    s3Port: 0,
    httpPort: 0,
    awsPort: 0,
    kinesisPort: 0,
    dynamodbPort: 0,
    code: 'sources',
    batchingWindowMs: options.batchingWindowMs,
    driftSchedules: false,
    qualitySchedules: false,
    seedBuiltInData: false,
    log: () => undefined,
    ...options.platform,
  });
  const client = createS3Client({
    endpoint: platform.info.s3Endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return { platform, client, dataDir };
}

/**
 * Waits until no run is going and a run's end started nothing new: its status event arrives
 * through the queue, so after each idle the platform gets `quietMs` to start a follow-up run.
 */
export async function settleRuns(platform: Platform, quietMs = 1_000): Promise<void> {
  for (let seen = -1; seen !== platform.stepFunctions.all().length; ) {
    seen = platform.stepFunctions.all().length;
    await platform.idle();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    await platform.idle();
  }
}
