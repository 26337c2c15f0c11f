import { createHash } from 'node:crypto';
import { parseArtifact } from '../../../core/artifact/format';
import { generateChurn } from '../../../core/datasets/churn';
import { toJsonLines } from '../../../core/ground-truth/join';
import { joinedKey } from '../../../core/ground-truth/layout';
import type { JoinedRow } from '../../../core/ground-truth/records';
import { readRunRecord } from '../../../core/runs/run-record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import { candidateArtifactKey, snapshotKey } from '../../../core/workflow/layout';
import { parseTrainingManifest } from '../../../core/workflow/training-manifest';
import { evaluateStep } from '../../../lambdas/evaluate-model/evaluate';
import { validateStep } from '../../../lambdas/validate-data/validate';
import {
  churnData,
  churnModel,
  memoryZones,
  sequentialRunIds,
  steppingClock,
  trainAsContainer,
  uploadInput,
} from '../fixtures/workflow';

const DAY = 86_400_000;
const RUN_AT = Date.parse('2026-12-07T12:00:00Z');

/** The zones with a raw bucket whose uploads are dated by `uploadedAt`, and a validate clock at RUN_AT. */
function windowDeps(source: 'newest' | 'window' | 'window-and-feedback' = 'window', windowDays = 30) {
  let uploadedAt = RUN_AT;
  const zones = memoryZones();
  const raw = new MemoryObjectStore('raw', () => new Date(uploadedAt));
  const reads: string[] = [];
  const countingRaw: ObjectStore = Object.assign(Object.create(raw), {
    getStream: (key: string) => {
      reads.push(key);
      return raw.getStream(key);
    },
  });
  return {
    deps: {
      ...zones,
      monitoring: new MemoryObjectStore('monitoring'),
      raw: countingRaw,
      model: churnModel({ training: { data: { source, windowDays } } }),
      clock: steppingClock(RUN_AT),
      newRunId: sequentialRunIds(),
    },
    reads,
    upload: async (key: string, body: string, daysAgo: number) => {
      uploadedAt = RUN_AT - daysAgo * DAY;
      await raw.put(key, body);
    },
  };
}

async function manifestOf(curated: ObjectStore, key: string) {
  const object = await curated.get(key);
  if (!object) throw new Error(`no manifest at ${key}`);
  return {
    manifest: parseTrainingManifest(new TextDecoder().decode(object.body), key),
    sha256: createHash('sha256').update(object.body).digest('hex'),
  };
}

describe('validate step: training data source', () => {
  it('trains on the snapshot alone by default (newest), as before', async () => {
    // given
    const { deps, upload } = windowDeps('newest');
    await upload('churn/old.csv', churnData(300, 1), 3);
    await upload('churn/new.csv', churnData(600, 2), 0);
    // when
    const result = await validateStep(uploadInput('churn/new.csv'), deps);
    // then
    expect(result.trainingInputKey).toBe(result.snapshotKey);
    expect(result.dataSha256).toBe(result.snapshotSha256);
    expect((await deps.curated.list('churn/manifests/')).length).toBe(0);
  });

  it('window: writes a manifest of the uploads in the window, and the data hash is the manifest hash', async () => {
    // given
    const { deps, upload } = windowDeps('window', 30);
    await upload('churn/too-old.csv', churnData(300, 1), 31);
    await upload('churn/old.csv', churnData(300, 2), 10);
    await upload('churn/new.csv', churnData(600, 3), 0);
    // when
    const result = await validateStep(uploadInput('churn/new.csv'), deps);
    // then
    const { manifest, sha256 } = await manifestOf(deps.curated, result.trainingInputKey);
    expect(result.dataSha256).toBe(sha256);
    expect(result.trainingInputKey).toBe(`churn/manifests/${sha256}.json`);
    expect(manifest.primary).toEqual({
      source: 'churn/new.csv',
      snapshotKey: result.snapshotKey,
      sha256: result.snapshotSha256,
      rows: 600,
    });
    const oldSha = createHash('sha256').update(churnData(300, 2)).digest('hex');
    expect(manifest.uploads).toEqual([
      { source: 'churn/old.csv', snapshotKey: snapshotKey('churn', oldSha, '.csv'), sha256: oldSha, rows: 300 },
    ]);
    expect(new TextDecoder().decode((await deps.curated.get(snapshotKey('churn', oldSha, '.csv')))?.body)).toBe(
      churnData(300, 2),
    );
    expect((await readRunRecord(deps.artifacts, 'churn', result.runId))?.inputs).toMatchObject({
      dataKey: 'churn/new.csv',
      dataSha256: sha256,
      manifestKey: result.trainingInputKey,
      uploads: 1,
      leftOutCount: 0,
    });
  });

  it('window: leaves out an upload that cannot train, with its reason in the run record', async () => {
    // given
    const { deps, upload } = windowDeps();
    await upload('churn/no-target.csv', 'a,b\n1,2\n', 2);
    await upload('churn/new.csv', churnData(600, 3), 0);
    // when
    const result = await validateStep(uploadInput('churn/new.csv'), deps);
    // then
    const { manifest } = await manifestOf(deps.curated, result.trainingInputKey);
    expect(manifest.uploads).toEqual([]);
    expect((await readRunRecord(deps.artifacts, 'churn', result.runId))?.inputs).toMatchObject({
      leftOut: [{ key: 'churn/no-target.csv', reason: 'churn/no-target.csv has no target column "churned"' }],
      leftOutCount: 1,
    });
  });

  it('window: reads each upload once in its life; a later run finds its snapshot by key and ETag', async () => {
    // given: a first run snapshotted old.csv
    const { deps, upload, reads } = windowDeps();
    await upload('churn/old.csv', churnData(300, 2), 5);
    await upload('churn/new.csv', churnData(600, 3), 1);
    const first = await validateStep(uploadInput('churn/new.csv'), deps);
    // when: a newer upload starts a second run
    await upload('churn/newer.csv', churnData(600, 4), 0);
    reads.length = 0;
    const second = await validateStep(uploadInput('churn/newer.csv'), deps);
    // then
    expect(reads).toEqual(['churn/newer.csv']);
    const { manifest } = await manifestOf(deps.curated, second.trainingInputKey);
    expect(manifest.uploads.map((input) => input.source)).toEqual(['churn/old.csv', 'churn/new.csv']);
    expect(manifest.uploads[1]?.sha256).toBe(first.snapshotSha256);
  });

  it('window: a replaced upload (same key, new bytes) is read again', async () => {
    // given
    const { deps, upload, reads } = windowDeps();
    await upload('churn/old.csv', churnData(300, 2), 5);
    await upload('churn/new.csv', churnData(600, 3), 1);
    await validateStep(uploadInput('churn/new.csv'), deps);
    await upload('churn/old.csv', churnData(300, 9), 4);
    reads.length = 0;
    // when
    const result = await validateStep(uploadInput('churn/new.csv'), deps);
    // then
    expect(reads).toEqual(['churn/new.csv', 'churn/old.csv']);
    const { manifest } = await manifestOf(deps.curated, result.trainingInputKey);
    expect(manifest.uploads[0]?.sha256).toBe(createHash('sha256').update(churnData(300, 9)).digest('hex'));
  });

  it("window: the trainer trains on every input and the gate scores the hold-out of the run's data file", async () => {
    // given
    const { deps, upload } = windowDeps();
    await upload('churn/old.csv', churnData(400, 2), 3);
    await upload('churn/new.csv', churnData(600, 3), 0);
    const validation = await validateStep(uploadInput('churn/new.csv'), deps);
    // when
    const trained = await trainAsContainer(deps, validation);
    const evaluation = await evaluateStep({ model: 'churn', validation }, deps);
    // then
    expect(trained.exitCode).toBe(0);
    expect(trained.log.join('\n')).toContain('training set: churn/old.csv: 400, churn/new.csv: 480;');
    const candidate = parseArtifact(
      new TextDecoder().decode((await deps.artifacts.get(candidateArtifactKey('churn', validation.runId)))?.body),
      'candidate',
    );
    expect(candidate.data.sha256).toBe(validation.dataSha256);
    expect(evaluation.reason).toContain('(120 held-out rows)');
  });

  it('window-and-feedback: adds the joined rows with recorded features as one snapshot, the outcome as the target', async () => {
    // given: 200 labelled predictions made yesterday, 150 of them recorded with their features
    const { deps, upload } = windowDeps('window-and-feedback');
    await upload('churn/new.csv', churnData(600, 3), 0);
    const traffic = generateChurn({ rows: 200, seed: 8 });
    const rows: JoinedRow[] = Array.from({ length: traffic.rowCount }, (_, row) => {
      const features = Object.fromEntries(
        traffic.columnNames.map((name, c) => [name, traffic.columns[c]![row]!]).filter(([name]) => name !== 'churned'),
      );
      return {
        id: `p-${row}`,
        version: 1,
        time: new Date(RUN_AT - DAY + row * 1000).toISOString(),
        score: 0.5,
        actual: traffic.columns[traffic.columnNames.indexOf('churned')]![row] === 'yes' ? 1 : 'no',
        receivedAt: new Date(RUN_AT - 1000).toISOString(),
        ...(row < 150 ? { features } : {}),
      };
    });
    await deps.monitoring.put(joinedKey('churn', new Date(RUN_AT - DAY), 'join-1'), toJsonLines(rows));
    const notes: string[] = [];
    // when
    const validation = await validateStep(uploadInput('churn/new.csv'), {
      ...deps,
      onNote: (note) => notes.push(note),
    });
    const trained = await trainAsContainer(deps, validation);
    // then
    const { manifest } = await manifestOf(deps.curated, validation.trainingInputKey);
    expect(manifest.feedback).toMatchObject({ source: 'joined/churn/', rows: 150 });
    expect(notes).toContain(
      `feedback: 150 joined row(s) of predictions made since ${new Date(RUN_AT - 30 * DAY).toISOString()} train; 50 without recorded features left out`,
    );
    expect(trained.exitCode).toBe(0);
    expect(trained.log.join('\n')).toMatch(/training set: churn\/new\.csv: \d+, joined\/churn\/: 150;/);
  });
});
