import { main } from '../../../cli/main';
import { featureViewSchema } from '../../../core/config/feature-view-schema';
import { featureViewsToEnv } from '../../../core/feature-views/runtime';
import { captureIo } from '../../support/cli-io';

/** The verb dispatch and the AWS checks; materializing against the local platform: test/local/feature-materialization.test.ts. */

const saved = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

test('without a verb it lists the verbs and exits 2', async () => {
  const run = captureIo();
  expect(await main(['features'], run.io)).toBe(2);
  expect(run.out.join('')).toMatch(
    /verbs:\n {2}join +build a point-in-time[^\n]*\n {2}materialize +load a feature view's files/,
  );
});

test('an unknown verb is a usage error naming the verbs', async () => {
  const run = captureIo();
  expect(await main(['features', 'frobnicate'], run.io)).toBe(2);
  expect(run.err.join('')).toContain('unknown verb "frobnicate"; verbs are: join, materialize');
});

test('on AWS without the backfill job queue it says which stack output to set', async () => {
  process.env.MLOPS_ARTIFACTS_BUCKET = 'artifacts';
  process.env.MLOPS_FEATURE_VIEWS = featureViewsToEnv([featureViewSchema.parse({ name: 'customer', entityKey: 'id' })]);
  delete process.env.MLOPS_FEATURE_JOB_QUEUE;
  const run = captureIo();
  expect(await main(['features', 'materialize', 'customer'], run.io)).toBe(2);
  expect(run.err.join('')).toContain(
    '--job-queue or MLOPS_FEATURE_JOB_QUEUE is required (stack output FeatureBackfillJobQueue)',
  );
});

test('on AWS with --here but without the curated bucket and table it names both variables', async () => {
  process.env.MLOPS_ARTIFACTS_BUCKET = 'artifacts';
  process.env.MLOPS_FEATURE_VIEWS = featureViewsToEnv([featureViewSchema.parse({ name: 'customer', entityKey: 'id' })]);
  delete process.env.MLOPS_CURATED_BUCKET;
  const run = captureIo();
  expect(await main(['features', 'materialize', 'customer', '--here'], run.io)).toBe(2);
  expect(run.err.join('')).toContain('set MLOPS_CURATED_BUCKET and MLOPS_FEATURE_TABLE');
});

test('a shard index outside the shards is a usage error', async () => {
  process.env.MLOPS_FEATURE_VIEWS = featureViewsToEnv([featureViewSchema.parse({ name: 'customer', entityKey: 'id' })]);
  const run = captureIo();
  expect(await main(['features', 'materialize', 'customer', '--shards', '2', '--shard-index', '2'], run.io)).toBe(2);
  expect(run.err.join('')).toContain('the shard index must be 0 to 1, received "2"');
});
