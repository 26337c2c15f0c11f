import { SFNClient } from '@aws-sdk/client-sfn';
import { executionArnFor, StepFunctionsExecutions } from '../../../adapters/step-functions';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { RetrainTriggerPorts } from '../../../core/trigger/handle-events';
import { ObjectStoreTriggerManifests } from '../../../core/trigger/manifests';
import { ObjectStoreModelLeases } from '../../../core/trigger/model-lease';
import { ObjectStorePendingMarkers } from '../../../core/trigger/pending-markers';
import { processTriggerRecords, type QueueRecord } from '../../../lambdas/retrain-trigger/queue-batch';
import { at, executionFinished, objectCreated } from '../../core/trigger/events';
import { StepFunctionsStandIn } from '../fixtures/sfn-stand-in';

const MACHINES = {
  churn: 'arn:aws:states:us-east-1:123456789012:stateMachine:churn',
  fraud: 'arn:aws:states:us-east-1:123456789012:stateMachine:fraud',
};

let messages = 0;
const record = (event: unknown): QueueRecord => ({ messageId: `m${++messages}`, body: JSON.stringify(event) });

/** Ports over in-memory state: starts are recorded, and a model listed in `failing` cannot start. */
function memoryPorts(failing: string[] = []) {
  const store = new MemoryObjectStore('artifacts');
  const running = new Map<string, string[]>();
  const starts: { model: string; name: string }[] = [];
  const ports: RetrainTriggerPorts = {
    listRunningExecutions: async (model) => running.get(model) ?? [],
    startExecution: async (model, name) => {
      if (failing.includes(model)) throw new Error(`StartExecution throttled for ${model}`);
      starts.push({ model, name });
      const arn = executionArnFor(MACHINES[model as keyof typeof MACHINES], name);
      running.set(model, [...(running.get(model) ?? []), arn]);
      return { executionArn: arn };
    },
    markers: new ObjectStorePendingMarkers(store),
    manifests: new ObjectStoreTriggerManifests(store),
  };
  const leases = new ObjectStoreModelLeases(store, { ttlMs: 60_000 });
  return { ports, leases, starts, running, store };
}

const config = { models: ['churn', 'fraud'], rawBucket: 'raw' };

describe('retrain trigger batch', () => {
  it('starts one run for a burst of uploads and ignores what is not data of a configured model', async () => {
    // given
    const { ports, leases, starts } = memoryPorts();
    const records = [
      ...Array.from({ length: 50 }, (_, index) => record(objectCreated(`churn/part-${index}.csv`, at(index)))),
      record(objectCreated('churn/readme.md', at(51))),
      record(objectCreated('other/data.csv', at(52))),
    ];
    // when
    const result = await processTriggerRecords(records, { config, ports, leases });
    // then
    expect(starts).toHaveLength(1);
    expect(result.started[0]?.input.dataKey).toBe('churn/part-49.csv');
    expect(result.ignored.map((ignored) => ignored.key)).toEqual(['churn/readme.md', 'other/data.csv']);
    expect(result.batchItemFailures).toEqual([]);
  });

  it('takes no lease for events of a model that is not configured', async () => {
    // given a lease store that refuses every model
    const { ports } = memoryPorts();
    const refusing = { withLease: async () => null };
    // when
    const result = await processTriggerRecords([record(objectCreated('other/a.csv', at(1)))], {
      config,
      ports,
      leases: refusing,
    });
    // then the event is ignored with its reason, not returned to the queue
    expect(result.batchItemFailures).toEqual([]);
    expect(result.ignored).toHaveLength(1);
  });

  it('returns a message that is not JSON to the queue on its own', async () => {
    // given
    const { ports, leases, starts } = memoryPorts();
    const good = record(objectCreated('churn/a.csv', at(1)));
    const bad: QueueRecord = { messageId: 'broken', body: '{"source": "aws.s3", ' };
    // when
    const result = await processTriggerRecords([good, bad], { config, ports, leases });
    // then
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'broken' }]);
    expect(starts).toHaveLength(1);
  });

  it("returns only the failing model's messages when its start fails", async () => {
    // given
    const { ports, leases, starts } = memoryPorts(['fraud']);
    const churn = record(objectCreated('churn/a.csv', at(1)));
    const fraud = [record(objectCreated('fraud/a.csv', at(2))), record(objectCreated('fraud/b.csv', at(3)))];
    const logged: string[] = [];
    // when
    const result = await processTriggerRecords([churn, ...fraud], {
      config,
      ports,
      leases,
      log: { info: () => undefined, error: (message) => logged.push(message) },
    });
    // then
    expect(starts.map((start) => start.model)).toEqual(['churn']);
    expect(result.batchItemFailures).toEqual(fraud.map((message) => ({ itemIdentifier: message.messageId })));
    expect(logged).toEqual(['retrain trigger failed for a model; its messages return to the queue']);
  });

  it('keeps uploads during a run as a marker and starts the follow-up when the run ends', async () => {
    // given
    const { ports, leases, starts, running } = memoryPorts();
    await processTriggerRecords([record(objectCreated('churn/a.csv', at(1)))], { config, ports, leases });
    const during = await processTriggerRecords([record(objectCreated('churn/b.csv', at(2)))], {
      config,
      ports,
      leases,
    });
    const firstRun = running.get('churn')![0]!;
    running.set('churn', []);
    // when
    const after = await processTriggerRecords([record(executionFinished('churn', firstRun))], {
      config,
      ports,
      leases,
    });
    // then
    expect(during.markersWritten).toHaveLength(1);
    expect(starts).toHaveLength(2);
    expect(after.started[0]?.input).toMatchObject({ dataKey: 'churn/b.csv', trigger: { objects: ['churn/b.csv'] } });
    expect(await ports.markers.list('churn')).toEqual([]);
  });
});

describe('Step Functions adapter', () => {
  let standIn: StepFunctionsStandIn;
  let client: SFNClient;

  beforeEach(async () => {
    standIn = new StepFunctionsStandIn(2);
    await standIn.start();
    client = new SFNClient({
      endpoint: standIn.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterEach(async () => {
    client.destroy();
    await standIn.stop();
  });

  it('treats ExecutionAlreadyExists for the same name as a start that already happened', async () => {
    // given
    const executions = new StepFunctionsExecutions(client, MACHINES);
    const first = await executions.startExecution('churn', 'churn-upload-abc', { model: 'churn' });
    standIn.finish(first.executionArn);
    // when
    const again = await executions.startExecution('churn', 'churn-upload-abc', { model: 'churn' });
    // then
    expect(again.executionArn).toBe(first.executionArn);
    expect(first.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:churn:churn-upload-abc');
    expect(standIn.executions.size).toBe(1);
  });

  it('lists every page of RUNNING executions of the model only', async () => {
    // given
    const executions = new StepFunctionsExecutions(client, MACHINES);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await executions.startExecution('churn', name, {});
    await executions.startExecution('fraud', 'f', {});
    standIn.finish(executionArnFor(MACHINES.churn, 'b'));
    // when
    const arns = await executions.listRunningExecutions('churn');
    // then
    expect(arns.map((arn) => arn.split(':').at(-1))).toEqual(['a', 'c', 'd', 'e']);
    expect(standIn.calls.filter((call) => call === 'ListExecutions')).toHaveLength(2);
  });

  it('names the configured models when asked for an unknown one', async () => {
    // given
    const executions = new StepFunctionsExecutions(client, MACHINES);
    // when
    const attempt = executions.listRunningExecutions('pricing');
    // then
    await expect(attempt).rejects.toThrow(
      'no retraining state machine for model pricing; the trigger knows churn, fraud',
    );
  });
});
