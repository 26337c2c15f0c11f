import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { handleRetrainEvents, type RetrainTriggerPorts } from '../../../core/trigger/handle-events';
import { ObjectStoreTriggerManifests } from '../../../core/trigger/manifests';
import { ObjectStorePendingMarkers } from '../../../core/trigger/pending-markers';
import type { ExecutionInput } from '../../../core/workflow/contract';
import { at, executionFinished, objectCreated } from './events';

const config = { models: ['churn'], rawBucket: 'raw' };

/** A fake state machine host: executions run until finish() is called. */
function fakePorts() {
  const store = new MemoryObjectStore('artifacts');
  const running = new Map<string, string>();
  const started: { name: string; input: ExecutionInput }[] = [];
  let failNextStart = false;
  const ports: RetrainTriggerPorts = {
    listRunningExecutions: async (model) => [...running].filter(([, owner]) => owner === model).map(([arn]) => arn),
    startExecution: async (model, name, input) => {
      if (failNextStart) {
        failNextStart = false;
        throw new Error('StartExecution throttled');
      }
      const executionArn = `arn:exec:${name}`;
      running.set(executionArn, model);
      started.push({ name, input });
      return { executionArn };
    },
    markers: new ObjectStorePendingMarkers(store),
    manifests: new ObjectStoreTriggerManifests(store),
  };
  return {
    ports,
    store,
    started,
    finish: (arn: string) => running.delete(arn),
    failNextStart: () => {
      failNextStart = true;
    },
  };
}

describe('handling trigger batches', () => {
  it('starts once for a burst, then holds an upload during the run and starts a follow-up after it', async () => {
    // given a first burst starts a run
    const host = fakePorts();
    const first = await handleRetrainEvents(
      Array.from({ length: 50 }, (_, index) => objectCreated(`churn/p${index}.csv`, at(index))),
      config,
      host.ports,
    );
    // when an upload arrives during the run, then the run finishes
    const during = await handleRetrainEvents([objectCreated('churn/late.csv', at(60))], config, host.ports);
    host.finish(first.started[0]!.executionArn);
    const after = await handleRetrainEvents(
      [executionFinished('churn', first.started[0]!.executionArn)],
      config,
      host.ports,
    );
    // then
    expect(first.started).toHaveLength(1);
    expect(during.started).toHaveLength(0);
    expect(during.markersWritten).toHaveLength(1);
    expect(after.started[0]?.input.dataKey).toBe('churn/late.csv');
    expect(host.store.keys().filter((key) => key.includes('/pending/'))).toEqual([]);
  });

  it('writes the manifest of a long burst before the start, at the key the input names', async () => {
    // given
    const host = fakePorts();
    const events = Array.from({ length: 50 }, (_, index) => objectCreated(`churn/p${index}.csv`, at(index)));
    // when
    const outcome = await handleRetrainEvents(events, config, host.ports);
    // then
    const manifestKey = outcome.started[0]!.input.trigger.manifestKey!;
    const manifest = JSON.parse(new TextDecoder().decode((await host.store.get(manifestKey))!.body));
    expect(manifest.objects).toHaveLength(50);
  });

  it('keeps pending markers when the follow-up start fails, for the next attempt', async () => {
    // given a marker held during a run
    const host = fakePorts();
    const first = await handleRetrainEvents([objectCreated('churn/a.csv', at(1))], config, host.ports);
    await handleRetrainEvents([objectCreated('churn/b.csv', at(2))], config, host.ports);
    host.finish(first.started[0]!.executionArn);
    host.failNextStart();
    // when
    const attempt = handleRetrainEvents(
      [executionFinished('churn', first.started[0]!.executionArn)],
      config,
      host.ports,
    );
    // then
    await expect(attempt).rejects.toThrow('StartExecution throttled');
    expect(host.store.keys().filter((key) => key.startsWith('triggers/churn/pending/'))).toHaveLength(1);
  });

  it('starts the follow-up itself when the run finished while the marker was being written', async () => {
    // given a run listed as running at look-up time, finished by the time the marker is written
    const host = fakePorts();
    const first = await handleRetrainEvents([objectCreated('churn/a.csv', at(1))], config, host.ports);
    const markers = host.ports.markers;
    const write = markers.write.bind(markers);
    markers.write = async (marker) => {
      await write(marker);
      host.finish(first.started[0]!.executionArn);
    };
    // when
    const outcome = await handleRetrainEvents([objectCreated('churn/b.csv', at(2))], config, host.ports);
    // then
    expect(outcome.started.map((start) => start.input.dataKey)).toEqual(['churn/b.csv']);
    expect(host.store.keys().filter((key) => key.startsWith('triggers/churn/pending/'))).toEqual([]);
  });

  it('returns ignored events with their reasons for the log', async () => {
    // when
    const outcome = await handleRetrainEvents(
      [objectCreated('churn/readme.txt.bak', at(1))],
      config,
      fakePorts().ports,
    );
    // then
    expect(outcome.ignored.map((item) => item.key)).toEqual(['churn/readme.txt.bak']);
  });
});
