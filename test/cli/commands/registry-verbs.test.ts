import { S3ObjectStore } from '../../../adapters/s3-object-store';
import type { HistoryRow } from '../../../cli/commands/registry';
import { main } from '../../../cli/main';
import { ModelRegistry } from '../../../core/registry/registry';
import { lineageFor, steppingClock } from '../../core/registry/fixtures';
import { captureIo } from '../../support/cli-io';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

/** `mlops history` against a deployed-style target (MLOPS_ARTIFACTS_BUCKET) served by the local S3. */
let s3: LocalS3Harness;
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await startLocalS3Harness(['artifacts']);
  const registry = new ModelRegistry({ store: new S3ObjectStore(s3.client, 'artifacts'), clock: steppingClock() });
  for (const run of ['run-1', 'run-2', 'run-3']) {
    await registry.register({ model: 'churn', artifact: `{"${run}":1}`, lineage: lineageFor(run) });
  }
  await registry.promote('churn', 1, 'production', {
    runId: 'run-1',
    reason: 'first model',
    actor: 'retraining-workflow',
  });
  await registry.promote('churn', 2, 'production', { expectedVersion: 1, runId: 'run-2', reason: 'gain 0.01' });
  await registry.rollback('churn', { reason: 'bad latency', actor: 'alice' });
  await registry.promote('churn', 3, 'staging');
  Object.assign(process.env, {
    MLOPS_ARTIFACTS_BUCKET: 'artifacts',
    AWS_ENDPOINT_URL_S3: s3.server.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
  });
});

afterAll(async () => {
  process.env = saved;
  await s3.stop();
});

describe('mlops history', () => {
  it('prints every production move with its sequence, versions, kind, run and reason', async () => {
    // when
    const run = captureIo();
    const code = await main(['history', 'churn'], run.io);
    // then
    expect(code).toBe(0);
    const lines = run.out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+TIME\s+VERSION\s+PREVIOUS\s+KIND\s+RUN\s+REASON$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/).filter((cell) => !/^\d{4}-/.test(cell)))).toEqual([
      ['1', 'v1', '-', 'promote', 'run-1', 'first model (by retraining-workflow)'],
      ['2', 'v2', 'v1', 'promote', 'run-2', 'gain 0.01'],
      ['3', 'v1', 'v2', 'rollback', '-', 'bad latency (by alice)'],
    ]);
  });

  it('prints small, stable JSON', async () => {
    // when
    const run = captureIo();
    await main(['history', 'churn', '--json'], run.io);
    // then
    const rows = JSON.parse(run.out.join('')) as HistoryRow[];
    expect(rows.map((row) => Object.keys(row))).toEqual(
      rows.map(() => ['sequence', 'movedAt', 'version', 'previousVersion', 'kind', 'runId', 'reason', 'actor']),
    );
    expect(rows.map((row) => [row.sequence, row.version, row.previousVersion, row.runId])).toEqual([
      [1, 1, null, 'run-1'],
      [2, 2, 1, 'run-2'],
      [3, 1, 2, null],
    ]);
  });

  it('lists another alias with --alias', async () => {
    // when
    const run = captureIo();
    await main(['history', 'churn', '--alias', 'staging', '--json'], run.io);
    // then
    expect((JSON.parse(run.out.join('')) as HistoryRow[]).map((row) => row.version)).toEqual([3]);
  });

  it('says so for an alias that never moved', async () => {
    const run = captureIo();
    expect(await main(['history', 'churn', '--alias', 'canary'], run.io)).toBe(0);
    expect(run.out.join('')).toBe('churn has never had a canary version.\n');
  });

  it('exits 2 naming a bad alias or a missing model', async () => {
    const bad = captureIo();
    expect(await main(['history', 'churn', '--alias', 'Not An Alias'], bad.io)).toBe(2);
    expect(bad.err.join('')).toContain('alias "Not An Alias" must match');
    const missing = captureIo();
    expect(await main(['history'], missing.io)).toBe(2);
    expect(missing.err.join('')).toContain('mlops history needs a model name');
  });

  it('has --help', async () => {
    const run = captureIo();
    expect(await main(['history', '--help'], run.io)).toBe(0);
    expect(run.out.join('')).toContain('usage: mlops history <model> [--alias <name>] [--json]');
  });
});
