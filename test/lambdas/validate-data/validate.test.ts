import { churnCsv, generateChurn } from '../../../core/datasets/churn';
import { summarizeSchema } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import { readRunRecord } from '../../../core/runs/run-record';
import { inferSchema } from '../../../core/schema/infer';
import type { ObjectStore } from '../../../core/storage/object-store';
import { NAMES_IN_STATE } from '../../../core/workflow/contract';
import { snapshotKey } from '../../../core/workflow/layout';
import { validateStep } from '../../../lambdas/validate-data/validate';
import { churnData, churnModel, memoryZones, sequentialRunIds, steppingClock, uploadInput } from '../fixtures/workflow';

function deps(zones = memoryZones()) {
  return { model: churnModel(), ...zones, clock: steppingClock(), newRunId: sequentialRunIds() };
}

/** A production version 1 whose schema is the churn v1 batch's, as validate compares against. */
async function promoteVersionWithV1Schema(artifacts: ObjectStore): Promise<void> {
  const registry = new ModelRegistry({ store: artifacts });
  const v1 = inferSchema(generateChurn({ rows: 300, seed: 1 }), { target: 'churned' }).schema;
  const version = await registry.register({
    model: 'churn',
    artifact: '{}',
    lineage: {
      runId: 'earlier',
      dataSha256: 'a'.repeat(64),
      dataKey: 'churn/v1.csv',
      codeVersion: 'test',
      parameters: {},
      metrics: {},
      schema: summarizeSchema(v1),
    },
  });
  await registry.promote('churn', version.version);
}

describe('validate step', () => {
  it('writes a content-addressed snapshot and a running run record, and returns the validation result', async () => {
    // given
    const step = deps();
    await step.raw.put('churn/2026-11-29.csv', churnData());
    // when
    const result = await validateStep(uploadInput('churn/2026-11-29.csv'), step);
    // then
    expect(result).toMatchObject({
      runId: 'run-1',
      model: 'churn',
      rowCount: 600,
      columnCount: 14,
      championVersion: null,
    });
    expect(result.snapshotKey).toBe(snapshotKey('churn', result.dataSha256, '.csv'));
    expect((await step.curated.get(result.snapshotKey))?.body).toEqual(
      (await step.raw.get('churn/2026-11-29.csv'))?.body,
    );
    const record = await readRunRecord(step.artifacts, 'churn', 'run-1');
    expect(record).toMatchObject({
      outcome: 'running',
      trigger: { kind: 'upload' },
      inputs: { dataKey: 'churn/2026-11-29.csv', dataSha256: result.dataSha256, rows: 600, columns: 14 },
      parameters: { learner: 'linear', seed: 42 },
    });
    expect(record?.timings.validate?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('uses the run id the state machine passes', async () => {
    // given
    const step = deps();
    await step.raw.put('churn/a.csv', churnData());
    // when
    const result = await validateStep({ ...uploadInput('churn/a.csv'), runId: 'exec-42' }, step);
    // then
    expect(result.runId).toBe('exec-42');
    expect(await readRunRecord(step.artifacts, 'churn', 'exec-42')).not.toBeNull();
  });

  it.each([
    ['a space', 'churn/march data.csv', 'churn/march+data.csv'],
    ['a plus', 'churn/c++.csv', 'churn/c%2B%2B.csv'],
    ['a percent', 'churn/100%.csv', 'churn/100%25.csv'],
    ['non-ASCII', 'churn/données-été.csv', 'churn/donn%C3%A9es-%C3%A9t%C3%A9.csv'],
  ])('trains on a key with %s whether the event carries it raw or form-encoded', async (_what, key, encoded) => {
    for (const eventKey of [key, encoded]) {
      // given
      const step = deps();
      await step.raw.put(key, churnData());
      // when
      const result = await validateStep(uploadInput(eventKey), step);
      // then
      expect(result.dataKey).toBe(key);
    }
  });

  it('prefers a key that exists as given over its decoded reading', async () => {
    // given: both "a+b.csv" and "a b.csv" exist
    const step = deps();
    await step.raw.put('churn/a+b.csv', churnData(600, 1));
    await step.raw.put('churn/a b.csv', churnData(600, 2));
    // when
    const result = await validateStep(uploadInput('churn/a+b.csv'), step);
    // then
    expect(result.dataKey).toBe('churn/a+b.csv');
  });

  it('trains on the newest data file under the raw prefix when the input names none', async () => {
    // given
    const zones = memoryZones(steppingClock());
    const step = deps(zones);
    await step.raw.put('churn/old.csv', churnData(300, 1));
    await step.raw.put('churn/new.csv', churnData(300, 2));
    await step.raw.put('churn/notes.md', '# not data');
    // when
    const result = await validateStep({ model: 'churn', trigger: { kind: 'manual', objects: [] } }, step);
    // then
    expect(result.dataKey).toBe('churn/new.csv');
  });

  it('accepts a snapshot that already exists for the same data', async () => {
    // given
    const step = deps();
    await step.raw.put('churn/a.csv', churnData());
    await step.raw.put('churn/a-copy.csv', churnData());
    const first = await validateStep(uploadInput('churn/a.csv'), step);
    // when
    const second = await validateStep(uploadInput('churn/a-copy.csv'), step);
    // then
    expect(second.snapshotKey).toBe(first.snapshotKey);
    expect(second.runId).not.toBe(first.runId);
  });

  it("reports the new column against the production version's schema", async () => {
    // given
    const step = deps();
    await promoteVersionWithV1Schema(step.artifacts);
    await step.raw.put('churn/v2.csv', churnCsv({ rows: 400, seed: 2, batch: 'v2' }));
    // when
    const result = await validateStep(uploadInput('churn/v2.csv'), step);
    // then
    expect(result.championVersion).toBe(1);
    expect(result.schemaChanges.newColumns.map((column) => column.name)).toEqual(['time_spent_on_video_tutorials']);
    expect((await readRunRecord(step.artifacts, 'churn', result.runId))?.schemaChanges?.newColumns).toHaveLength(1);
  });

  it('returns counts and the first 20 of 20,000 new columns, and keeps all of them in the run record', async () => {
    // given a production version, then data with 20,000 columns it never saw
    const step = deps();
    await promoteVersionWithV1Schema(step.artifacts);
    await step.raw.put('churn/wide.csv', withExtraColumns(churnCsv({ rows: 40, seed: 3 }), 20_000));
    // when
    const result = await validateStep(uploadInput('churn/wide.csv'), step);
    // then
    expect(result.schemaChanges.newColumnCount).toBe(20_000);
    expect(result.schemaChanges.newColumns.map((column) => column.name)).toEqual(
      Array.from({ length: NAMES_IN_STATE }, (_, index) => `extra_${index}`),
    );
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(16_384);
    const record = await readRunRecord(step.artifacts, 'churn', result.runId);
    expect(record?.schemaChanges?.newColumns).toHaveLength(20_000);
  });

  it('refuses a file over training.maxDataMiB from its HEAD, without reading it, naming size, limit and fix', async () => {
    // given a limit of 1 KiB and a larger file
    const step = {
      ...deps(),
      model: { ...churnModel(), training: { ...churnModel().training, maxDataMiB: 1 / 1024 } },
    };
    await step.raw.put('churn/big.csv', churnData());
    const size = (await step.raw.head('churn/big.csv'))!.size;
    const reads: string[] = [];
    const raw = Object.assign(Object.create(step.raw), {
      get: async (key: string) => reads.push(key) && step.raw.get(key),
      getStream: async (key: string) => reads.push(key) && step.raw.getStream(key),
    });
    // when
    const attempt = validateStep(uploadInput('churn/big.csv'), { ...step, raw });
    // then
    await expect(attempt).rejects.toThrow(
      `s3://raw/churn/big.csv is ${size} bytes, over the limit of 0.0009765625 MiB (1024 bytes) for model churn; split the data into smaller files, or raise training.maxDataMiB in the config`,
    );
    expect(reads).toEqual([]);
  });

  it('stops reading a file that grew past the limit after its HEAD', async () => {
    // given a HEAD that still reports the small size the file had
    const step = {
      ...deps(),
      model: { ...churnModel(), training: { ...churnModel().training, maxDataMiB: 1 / 1024 } },
    };
    await step.raw.put('churn/grows.csv', churnData());
    const raw = Object.assign(Object.create(step.raw), {
      head: async (key: string) => ({ ...(await step.raw.head(key))!, size: 10 }),
    });
    // when
    const attempt = validateStep(uploadInput('churn/grows.csv'), { ...step, raw });
    // then
    await expect(attempt).rejects.toThrow('is more than 1024 bytes (it grew after the size check)');
    await expect(attempt).rejects.toMatchObject({ name: 'DataError' });
  });

  it('rejects a header-only file with a DataError naming it, and writes nothing', async () => {
    // given
    const step = deps();
    await step.raw.put('churn/empty.csv', 'age,plan,churned\n');
    // when
    const attempt = validateStep(uploadInput('churn/empty.csv'), step);
    // then
    await expect(attempt).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('churn/empty.csv'),
    });
    expect(await step.curated.list('')).toEqual([]);
    expect(await step.artifacts.list('runs/')).toEqual([]);
  });

  it('names the line and column of an unparseable row', async () => {
    // given
    const step = deps();
    await step.raw.put('churn/broken.csv', 'age,churned\n31,yes\n"40,no\n');
    // when
    const attempt = validateStep(uploadInput('churn/broken.csv'), step);
    // then
    await expect(attempt).rejects.toThrow(/churn\/broken\.csv line 3, column "age"/);
  });

  it('rejects data without the target column', async () => {
    // given
    const step = deps();
    await step.raw.put('churn/no-target.csv', 'age,plan\n31,basic\n');
    // when
    const attempt = validateStep(uploadInput('churn/no-target.csv'), step);
    // then
    await expect(attempt).rejects.toThrow('target column "churned" not found');
  });

  it('fails with a DataError when no data file exists under the raw prefix', async () => {
    // given
    const step = deps();
    // when
    const attempt = validateStep({ model: 'churn', trigger: { kind: 'drift', objects: [] } }, step);
    // then
    await expect(attempt).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('s3://raw/churn/'),
    });
  });

  it('refuses an event for another model', async () => {
    // given
    const step = deps();
    // when
    const attempt = validateStep({ model: 'fraud', trigger: { kind: 'manual', objects: [] } }, step);
    // then
    await expect(attempt).rejects.toMatchObject({ name: 'StepInputError' });
  });
});

/** The CSV with `count` more numeric columns (extra_0, extra_1, ...) on every line. */
function withExtraColumns(csv: string, count: number): string {
  const extra = (line: number) =>
    Array.from({ length: count }, (_, index) => (line === 0 ? `extra_${index}` : String(index % 7))).join(',');
  return csv
    .trimEnd()
    .split('\n')
    .map((text, line) => `${text},${extra(line)}`)
    .join('\n');
}
