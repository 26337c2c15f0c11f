import { type FeatureViewInput, featureViewSchema } from '../../../core/config/feature-view-schema';
import { formatCsv, parseCsv } from '../../../core/data/csv';
import { type Cell, tableFromRecords } from '../../../core/data/table';
import { MemoryOnlineFeatureStore, type OnlineFeatureStore } from '../../../core/feature-views/online-store';
import { type ScoringErrorLine, scoreCsvStream } from '../../../core/score/batch';
import { bytesOf, churnRecords, gbdtScorer, MemorySink } from './fixtures';

/** Batch scoring of a model with a feature view (issue 15): one store read per chunk. */
const scorer = gbdtScorer();
const customers = churnRecords(60, 13).map(({ churned: _target, ...features }) => features as Record<string, Cell>);

async function score(text: string, view: Partial<FeatureViewInput> = {}, store?: OnlineFeatureStore) {
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
  memory.reads = 0;
  const output = new MemorySink();
  const errors = new MemorySink();
  const counts = await scoreCsvStream(
    scorer,
    bytesOf(text),
    { output, errors },
    {
      source: 'input.csv',
      chunkChars: 200,
      featureLookup: {
        view: featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', ...view }),
        store: store ?? memory,
        storeName: 'DynamoDB table mlops-features',
      },
    },
  );
  const errorLines = errors.text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScoringErrorLine);
  return { counts, output: parseCsv(output.text), errorLines, reads: memory.reads };
}

const column = (table: ReturnType<typeof parseCsv>, name: string) => table.columns[table.columnNames.indexOf(name)];

describe('batch scoring with a feature view', () => {
  test('scores a file of entity keys as the full rows, one store read per chunk', async () => {
    // Given a file holding only customer ids, cut into chunks of 200 characters
    const text = formatCsv(tableFromRecords(customers.map((_, index) => ({ customer_id: `c${index}` }))));
    // When it is scored
    const { counts, output, reads } = await score(text);
    // Then every score is that of the full row, and the store was read once per chunk
    const expected = scorer.scoreTable(tableFromRecords(customers)).scores;
    expect(column(output, 'score')!.map(Number)).toEqual(Array.from(expected));
    expect(column(output, 'customer_id')).toEqual(customers.map((_, index) => `c${index}`));
    const chunks = Math.ceil(text.length / 200);
    expect(reads).toBeGreaterThan(1);
    expect(reads).toBeLessThanOrEqual(chunks + 1);
    expect(counts.rowsScored).toBe(60);
    expect(counts.warnings).toEqual(['feature view "customer": 60 row(s) read features from the online store']);
  });

  test('lets a value in the file win over the stored one', async () => {
    const text = 'customer_id,age\nc0,99\n';
    const { output } = await score(text);
    expect(Number(column(output, 'score')![0])).toBe(scorer.scoreRecord({ ...customers[0]!, age: 99 }).score);
  });

  test('sends the row of an unknown entity to the errors under onMissingEntity reject', async () => {
    const { counts, errorLines } = await score('customer_id\nc0\nnobody\nc1\n', { onMissingEntity: 'reject' });
    expect(counts).toMatchObject({ rowsScored: 2, rowsFailed: 1 });
    expect(errorLines).toEqual([
      {
        line: 3,
        reason: 'line 3 customer_id: entity "nobody" is not in feature view "customer" (onMissingEntity: reject)',
        record: 'nobody',
      },
    ]);
  });

  test('fails the object when the store cannot be read, never imputing every row', async () => {
    const failing: OnlineFeatureStore = {
      read: () => Promise.reject(new Error('throttled')),
      write: () => Promise.reject(new Error('unused')),
    };
    await expect(score('customer_id\nc0\n', {}, failing)).rejects.toThrow(/DynamoDB table mlops-features/);
  });
});
