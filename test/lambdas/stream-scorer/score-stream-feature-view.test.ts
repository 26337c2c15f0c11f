import type { KinesisStreamEvent } from 'aws-lambda';
import { type FeatureViewInput, featureViewSchema } from '../../../core/config/feature-view-schema';
import type { Cell } from '../../../core/data/table';
import { MemoryOnlineFeatureStore, type OnlineFeatureStore } from '../../../core/feature-views/online-store';
import type { ServingModel } from '../../../lambdas/shared/model-cache';
import {
  type DeadLetter,
  type StreamResult,
  type StreamScoringDeps,
  scoreStreamBatch,
} from '../../../lambdas/stream-scorer/score-stream';
import { kinesisRecords } from '../../../local/stream-shim';
import { churnRecords, gbdtScorer } from '../../core/score/fixtures';

/** The stream scorer with a feature view (issue 15): the same lookup as the endpoint, one read per Kinesis batch. */
const scorer = gbdtScorer();
const serving = { name: 'churn', version: 3, scorer } as unknown as ServingModel;
const customers = churnRecords(20, 9).map(({ churned: _target, ...features }) => features as Record<string, Cell>);

function event(data: unknown[]): KinesisStreamEvent {
  return {
    Records: kinesisRecords(
      data.map((item) => JSON.stringify(item)),
      { model: 'churn', partitionKey: 'p' },
    ),
  };
}

async function setup(view: Partial<FeatureViewInput> = {}, store?: OnlineFeatureStore, idField?: string) {
  const memory = new MemoryOnlineFeatureStore();
  await memory.write(
    'customer',
    customers.map((values, index) => ({
      entityKey: `c${index}`,
      eventTimeMicros: Date.now() * 1000,
      viewVersion: 'v1',
      values: { ...values, active: String(values.active) },
    })),
  );
  const results: StreamResult[] = [];
  const letters: DeadLetter[] = [];
  const deps: StreamScoringDeps = {
    model: async () => serving,
    results: {
      put: async (batch) => {
        results.push(...batch);
        return [];
      },
    },
    deadLetters: {
      send: async (batch) => {
        letters.push(...batch);
        return [];
      },
    },
    ...(idField ? { idField } : {}),
    featureLookup: {
      view: featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', ...view }),
      store: store ?? memory,
      storeName: 'DynamoDB table mlops-features',
    },
  };
  return { deps, results, letters, memory };
}

describe('stream scorer with a feature view', () => {
  test('scores entity-only records as the full ones, reading the store once for the batch', async () => {
    // Given records that carry only the key (one of them two instances)
    const { deps, results, memory } = await setup();
    const reads = memory.reads;
    await scoreStreamBatch(
      event([{ customer_id: 'c0' }, { instances: [{ customer_id: 'c1' }, { customer_id: 'c2' }] }]),
      deps,
    );
    // Then one read served the batch and the scores are those of the full rows
    expect(memory.reads - reads).toBe(1);
    const scores = results.flatMap((result) => result.predictions.map((prediction) => prediction.score));
    expect(scores).toEqual(customers.slice(0, 3).map((row) => scorer.scoreRecord(row).score));
    expect(results[1]!.predictions[1]!.from_store).toEqual(['age', 'plan', 'active']);
  });

  test('dead-letters the record of an unknown entity under onMissingEntity reject, and scores the others', async () => {
    const { deps, results, letters } = await setup({ onMissingEntity: 'reject' });
    const outcome = await scoreStreamBatch(event([{ customer_id: 'c0' }, { customer_id: 'nobody' }]), deps);
    expect(outcome.scored).toBe(1);
    expect(results).toHaveLength(1);
    expect(letters.map((letter) => letter.reason)).toEqual([
      'instances[0].customer_id: entity "nobody" is not in feature view "customer" (onMissingEntity: reject)',
    ]);
  });

  test('imputes an unknown entity with a warning on its result', async () => {
    const { deps, results } = await setup();
    await scoreStreamBatch(event([{ customer_id: 'nobody' }]), deps);
    expect(results[0]!.warnings).toContainEqual(expect.stringMatching(/not in the online store.*"nobody"/));
  });

  test('keeps the entity key as the prediction id when it is also predictions.idField', async () => {
    const { deps, results } = await setup({}, undefined, 'customer_id');
    await scoreStreamBatch(event([{ customer_id: 'c4' }]), deps);
    expect(results[0]!.predictions[0]).toMatchObject({ id: 'c4', score: scorer.scoreRecord(customers[4]!).score });
  });

  test('retries the whole batch when the store cannot be read, scoring nothing', async () => {
    const failing: OnlineFeatureStore = {
      read: () => Promise.reject(new Error('throttled')),
      write: () => Promise.reject(new Error('unused')),
    };
    const { deps, results } = await setup({}, failing);
    const outcome = await scoreStreamBatch(event([{ customer_id: 'c0' }, { customer_id: 'c1' }]), deps);
    expect(outcome.retried).toBe(2);
    expect(results).toEqual([]);
  });
});
