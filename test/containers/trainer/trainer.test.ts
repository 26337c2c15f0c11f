import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { TRAINER_EXIT, TRAINER_OUTPUTS } from '../../../core/workflow/contract';
import { trainerOutputKey } from '../../../core/workflow/run-ids';
import { validateStep } from '../../../lambdas/validate-data/validate';
import {
  churnData,
  churnModel,
  memoryZones,
  sequentialRunIds,
  steppingClock,
  trainAsContainer,
  uploadInput,
} from '../../lambdas/fixtures/workflow';

describe('trainer: a training manifest as input', () => {
  it('refuses a snapshot whose bytes no longer have the hash the manifest records (exit 2, error.json)', async () => {
    // given: a window run whose older upload's snapshot was overwritten after validation
    let now = Date.parse('2026-12-07T00:00:00Z');
    const zones = { ...memoryZones(), raw: new MemoryObjectStore('raw', () => new Date(now)) };
    const deps = {
      ...zones,
      model: churnModel({ training: { data: { source: 'window' } } }),
      clock: steppingClock(now),
      newRunId: sequentialRunIds(),
    };
    await zones.raw.put('churn/old.csv', churnData(300, 1));
    now += 60_000;
    await zones.raw.put('churn/new.csv', churnData(600, 2));
    const validation = await validateStep(uploadInput('churn/new.csv'), { ...deps, clock: steppingClock(now) });
    const older = (await zones.curated.list('churn/snapshots/')).find(
      (item) => item.key.endsWith('.csv') && item.key !== validation.snapshotKey,
    );
    await zones.curated.put(older!.key, churnData(300, 5));
    // when
    const trained = await trainAsContainer(zones, validation);
    // then
    expect(trained.exitCode).toBe(TRAINER_EXIT.badInput);
    const error = await zones.artifacts.get(trainerOutputKey('churn', validation.runId, TRAINER_OUTPUTS.error));
    expect(JSON.parse(new TextDecoder().decode(error?.body)).error).toMatch(
      new RegExp(`^s3://curated/${older!.key} has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64} as the manifest records`),
    );
  });
});
