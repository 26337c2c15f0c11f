import type { RetrainTriggerPorts } from '../../../core/trigger/handle-events';
import { ObjectStoreTriggerManifests } from '../../../core/trigger/manifests';
import { leaseKey, ObjectStoreModelLeases } from '../../../core/trigger/model-lease';
import { ObjectStorePendingMarkers } from '../../../core/trigger/pending-markers';
import { processTriggerRecords, type QueueRecord } from '../../../lambdas/retrain-trigger/queue-batch';
import { FaultyStore } from '../../support/faulty-store';
import { useEmptiedLocalS3Bucket } from '../../support/local-s3-harness';
import { at, objectCreated } from './events';

const BUCKET = 'artifacts';
const store = useEmptiedLocalS3Bucket(BUCKET);

const leases = (now = new Date()) => new ObjectStoreModelLeases(store(), { ttlMs: 60_000, clock: () => now });

describe('ObjectStoreModelLeases (local S3)', () => {
  it('starts exactly one run when two trigger invocations for one model run at once', async () => {
    // given a state machine host that takes a while to start, so both invocations overlap
    const running: string[] = [];
    const ports: RetrainTriggerPorts = {
      listRunningExecutions: async () => [...running],
      startExecution: async (_model, name) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        running.push(name);
        return { executionArn: `arn:exec:${name}` };
      },
      markers: new ObjectStorePendingMarkers(store()),
      manifests: new ObjectStoreTriggerManifests(store()),
    };
    const deps = { config: { models: ['churn'], rawBucket: 'raw' }, ports, leases: leases() };
    const batch = (id: string): QueueRecord[] => [
      { messageId: id, body: JSON.stringify(objectCreated(`churn/${id}.csv`, at(1))) },
    ];
    // when
    const [first, second] = await Promise.all([
      processTriggerRecords(batch('a'), deps),
      processTriggerRecords(batch('b'), deps),
    ]);
    // then one started, the other's message went back to the queue
    expect(running).toHaveLength(1);
    expect([...first.batchItemFailures, ...second.batchItemFailures]).toHaveLength(1);
    expect(await store().head(leaseKey('churn'))).toBeNull();
  });

  it('refuses a lease another live holder has', async () => {
    // given
    await leases().acquire('churn', 'holder');
    // when
    const lease = await leases().acquire('churn', 'late');
    // then
    expect(lease).toBeNull();
  });

  it('takes over an expired lease of a crashed holder, exactly one of two racing takers', async () => {
    // given a lease whose holder crashed two minutes ago
    const past = new Date(Date.now() - 120_000);
    await leases(past).acquire('churn', 'crashed');
    // when
    const taken = await Promise.all([leases().acquire('churn', 'x'), leases().acquire('churn', 'y')]);
    // then
    expect(taken.filter((lease) => lease !== null)).toHaveLength(1);
  });

  it('releases the lease when the work throws', async () => {
    // when
    const attempt = leases().withLease('churn', 'holder', async () => {
      throw new Error('StartExecution throttled');
    });
    // then
    await expect(attempt).rejects.toThrow('StartExecution throttled');
    expect(await store().head(leaseKey('churn'))).toBeNull();
  });

  it('leaves a lease alone that another holder took over', async () => {
    // given our lease expired and another holder took it over
    const ours = await leases(new Date(Date.now() - 120_000)).acquire('churn', 'slow');
    const theirs = await leases().acquire('churn', 'new');
    // when
    await leases().release(ours!);
    // then
    expect((await store().head(leaseKey('churn')))?.etag).toBe(theirs?.etag);
  });

  it('keeps a take-over that lands just before our release deletes (one conditional delete, not a look then a delete)', async () => {
    // given our lease expired, and another holder takes it over right before our delete reaches S3
    const ours = await leases(new Date(Date.now() - 120_000)).acquire('churn', 'slow');
    const racing = new FaultyStore(store());
    let theirs: Awaited<ReturnType<ReturnType<typeof leases>['acquire']>> = null;
    racing.onFirstWrite(leaseKey('churn'), async () => {
      theirs = await leases().acquire('churn', 'new');
    });
    // when
    await new ObjectStoreModelLeases(racing, { ttlMs: 60_000 }).release(ours!);
    // then
    expect(theirs).not.toBeNull();
    expect((await store().head(leaseKey('churn')))?.etag).toBe(theirs!.etag);
  });
});
