import type { KinesisStreamEvent } from 'aws-lambda';
import { tableFromRecords } from '../../../core/data/table';
import { predictionRecordSchema } from '../../../core/ground-truth/records';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ServingModel } from '../../../lambdas/shared/model-cache';
import { ModelUnavailableError } from '../../../lambdas/shared/model-cache';
import {
  type DeadLetter,
  type StreamResult,
  type StreamScoringDeps,
  scoreStreamBatch,
} from '../../../lambdas/stream-scorer/score-stream';
import { kinesisRecords } from '../../../local/stream-shim';
import { churnRecords, gbdtScorer } from '../../core/score/fixtures';

const scorer = gbdtScorer();
const serving = { name: 'churn', version: 3, scorer } as unknown as ServingModel;

function event(data: string[]): KinesisStreamEvent {
  return { Records: kinesisRecords(data, { model: 'churn', partitionKey: 'device-1' }) };
}

function recordingDeps(overrides: Partial<StreamScoringDeps> = {}) {
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
    ...overrides,
  };
  return { deps, results, letters };
}

const features = (rows: number) => churnRecords(rows, 9).map(({ churned: _target, ...rest }) => rest);

describe('stream scorer', () => {
  test('scores each record exactly as Scorer.scoreTable scores the same rows, in order', async () => {
    // given 100 records: single feature objects and one {"instances": [...]} record
    const rows = features(103);
    const data = [
      ...rows.slice(0, 99).map((row) => JSON.stringify(row)),
      JSON.stringify({ instances: rows.slice(99) }),
    ];
    const { deps, results } = recordingDeps();
    // when the batch is scored
    const outcome = await scoreStreamBatch(event(data), deps);
    // then every score equals scoreTable's bit for bit, with the model version and partition key
    const expected = scorer.scoreTable(tableFromRecords(rows));
    const scores = results.flatMap((result) => result.predictions.map((prediction) => prediction.score));
    expect(scores).toEqual(Array.from(expected.scores));
    expect(results.flatMap((r) => r.predictions.map((p) => p.label))).toEqual(expected.labels);
    expect(results[0]).toMatchObject({ model: 'churn', version: 3, partitionKey: 'device-1' });
    expect(outcome).toMatchObject({ batchItemFailures: [], scored: 100, deadLettered: 0 });
  });

  test('a record whose 900 KB field name holds an object is dead-lettered with a reason that fits an SQS message', async () => {
    // given a record (Kinesis allows 1 MiB) with a 900 KB field name
    const name = 'f'.repeat(900_000);
    const { deps, letters } = recordingDeps();
    // when scored
    await scoreStreamBatch(event([JSON.stringify({ [name]: { nested: true } })]), deps);
    // then the reason names the clipped field, and stays small
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toBe(
      `instances[0].${'f'.repeat(100)}…(900000 chars) must be a number, string, boolean or null`,
    );
  });

  test('warnings about made-up fields are clipped and capped in a scored result', async () => {
    // given a record whose instance carries 50 long unknown fields
    const [row] = features(1);
    const extra = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}_${'u'.repeat(10_000)}`, 1]));
    const { deps, results } = recordingDeps();
    // when scored
    await scoreStreamBatch(event([JSON.stringify({ ...row, ...extra })]), deps);
    // then 20 clipped warnings and a count of the rest come back
    const { warnings } = results[0]!;
    expect(warnings).toHaveLength(21);
    expect(warnings[20]).toBe('... and 30 more warning(s)');
    expect(warnings.join('').length).toBeLessThan(5000);
  });

  test('a poison record goes to the dead letters with its reason and does not hold back its shard', async () => {
    // given a batch with non-JSON data and a record with a wrong type between good ones
    const [a, b] = features(2);
    const data = [JSON.stringify(a), 'not json', JSON.stringify({ ...b, age: 'old' }), JSON.stringify(b)];
    const { deps, results, letters } = recordingDeps();
    const input = event(data);
    // when scored
    const outcome = await scoreStreamBatch(input, deps);
    // then both bad records are dead-lettered with reasons, none is reported for retry, the good ones are scored
    expect(letters.map((letter) => letter.reason)).toEqual([
      expect.stringMatching(/^data is not JSON/),
      'instances[0].age must be a number, got "old"',
    ]);
    expect(letters[0]).toMatchObject({
      kind: 'mlops-stream-bad-record',
      shardId: 'shardId-000000000000',
      truncated: false,
    });
    expect(Buffer.from(letters[0]!.data, 'base64').toString()).toBe('not json');
    expect(outcome.batchItemFailures).toEqual([]);
    expect(results.map((result) => result.sequenceNumber)).toEqual(
      [0, 3].map((index) => input.Records[index]!.kinesis.sequenceNumber),
    );
  });

  test('records whose results could not be written are reported for retry, in input order', async () => {
    // given an output sink that fails the second record
    const data = features(3).map((row) => JSON.stringify(row));
    const input = event(data);
    const second = input.Records[1]!.kinesis.sequenceNumber;
    const { deps } = recordingDeps({ results: { put: async () => [second] } });
    // when scored, then only that record is reported
    const outcome = await scoreStreamBatch(input, deps);
    expect(outcome.batchItemFailures).toEqual([{ itemIdentifier: second }]);
    expect(outcome.scored).toBe(2);
  });

  test('a bad record whose dead letter could not be sent is reported for retry rather than lost', async () => {
    // given a dead-letter sink that fails
    const input = event(['{"age": [1]}']);
    const { deps } = recordingDeps({ deadLetters: { send: async (batch) => batch.map((l) => l.sequenceNumber) } });
    // when scored, then the record is reported
    const outcome = await scoreStreamBatch(input, deps);
    expect(outcome.batchItemFailures).toEqual([{ itemIdentifier: input.Records[0]!.kinesis.sequenceNumber }]);
  });

  test('without a model every record is reported for retry and nothing is written', async () => {
    // given no production model
    const { deps, results, letters } = recordingDeps({
      model: async () => {
        throw new ModelUnavailableError('model churn has no production version yet');
      },
    });
    const input = event(['{}', '{}']);
    // when scored, then both records are reported
    const outcome = await scoreStreamBatch(input, deps);
    expect(outcome.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      input.Records.map((r) => r.kinesis.sequenceNumber),
    );
    expect([results.length, letters.length]).toEqual([0, 0]);
  });
});

describe('prediction ids and the prediction log', () => {
  const NOW = new Date('2026-11-29T10:15:00.000Z');

  test('gives each prediction an id, the caller’s from the id field, and records the batch as one object', async () => {
    // given an order_id field and a monitoring store
    const monitoring = new MemoryObjectStore('monitoring');
    const { deps, results } = recordingDeps({ idField: 'order_id', predictionLog: monitoring, now: () => NOW });
    const [first, second] = features(2);
    // when one record with an order id and one without are scored
    const outcome = await scoreStreamBatch(
      event([JSON.stringify({ ...first, order_id: 'o-1' }), JSON.stringify(second)]),
      deps,
    );
    // then the ids are the caller's and ours, the scores are those without the id field, and one object records both
    const predictions = results.flatMap((result) => result.predictions);
    expect(predictions.map((prediction) => prediction.id)).toEqual(['o-1', expect.stringMatching(/^[0-9A-Z]{26}$/)]);
    expect(predictions[0]!.score).toBe(scorer.scoreRecord(first!).score);
    expect(results[0]!.warnings).toEqual([]);
    const keys = monitoring.keys();
    expect(keys).toEqual([expect.stringMatching(/^predictions\/churn\/dt=2026-11-29\/hour=10\/[0-9A-Z]{26}\.jsonl$/)]);
    const lines = new TextDecoder()
      .decode((await monitoring.get(keys[0]!))!.body)
      .trim()
      .split('\n');
    expect(lines.map((line) => predictionRecordSchema.parse(JSON.parse(line)))).toEqual(
      predictions.map(({ id, score, label }) => ({
        id,
        model: 'churn',
        version: 3,
        time: NOW.toISOString(),
        score,
        label,
      })),
    );
    expect(outcome.predictionLogFailures).toBe(0);
  });

  test("records each instance's feature values when the model trains on its feedback", async () => {
    // given
    const monitoring = new MemoryObjectStore('monitoring');
    const { deps } = recordingDeps({ predictionLog: monitoring, recordFeatures: true, now: () => NOW });
    const [row] = features(1);
    // when
    await scoreStreamBatch(event([JSON.stringify({ ...row, note: 'no feature' })]), deps);
    // then
    const [key] = monitoring.keys();
    const record = predictionRecordSchema.parse(
      JSON.parse(new TextDecoder().decode((await monitoring.get(key!))!.body)),
    );
    expect(record.features).toEqual(row);
  });

  test('dead-letters a record whose caller ids repeat, naming the field', async () => {
    const { deps, letters, results } = recordingDeps({ idField: 'order_id' });
    const [row] = features(1);
    await scoreStreamBatch(
      event([
        JSON.stringify({
          instances: [
            { ...row, order_id: 'x' },
            { ...row, order_id: 'x' },
          ],
        }),
      ]),
      deps,
    );
    expect(results).toEqual([]);
    expect(letters[0]!.reason).toBe(
      'instances[1].order_id "x" repeats instances[0].order_id; prediction ids must be unique within a request',
    );
  });

  test('sends the results when the prediction log cannot be written, counting the failure', async () => {
    const failing = Object.assign(Object.create(new MemoryObjectStore('monitoring')), {
      put: async () => {
        throw new Error('S3 unavailable');
      },
    });
    const warnings: string[] = [];
    const { deps, results } = recordingDeps({
      predictionLog: failing,
      logger: { warn: (message: string) => void warnings.push(message) },
    });
    const outcome = await scoreStreamBatch(event(features(3).map((row) => JSON.stringify(row))), deps);
    expect(results).toHaveLength(3);
    expect(outcome).toMatchObject({ batchItemFailures: [], scored: 3, predictionLogFailures: 3 });
    expect(warnings).toEqual(['prediction log write failed; the results were sent but are not recorded for the join']);
  });
});
