import type { JoinedRow } from '../../../core/ground-truth/records';
import { feedbackTrainingRows } from '../../../core/ground-truth/training-rows';

function joined(id: string, actual: JoinedRow['actual'], features?: JoinedRow['features']): JoinedRow {
  return {
    id,
    version: 1,
    time: '2026-12-01T00:00:00.000Z',
    score: 0.5,
    actual,
    receivedAt: '2026-12-02T00:00:00.000Z',
    ...(features ? { features } : {}),
  };
}

const binary = { name: 'churned', task: 'binary', positiveLabel: 'yes', negativeLabel: 'no' } as const;

describe('feedbackTrainingRows', () => {
  it("writes the outcome as the data's class label and the features under the data's columns", () => {
    // given outcomes posted as labels, 0/1 and booleans
    const rows = [
      joined('a', 'yes', { tenure: 3, plan: 'pro' }),
      joined('b', 0, { tenure: 5 }),
      joined('c', true, { tenure: 7, plan: 'free', extra: 'x' }),
    ];
    // when
    const result = feedbackTrainingRows(rows, ['tenure', 'plan', 'churned'], binary);
    // then
    expect(result.table.columnNames).toEqual(['tenure', 'plan', 'churned']);
    expect(result.table.columns).toEqual([
      [3, 5, 7],
      ['pro', null, 'free'],
      ['yes', 'no', 'yes'],
    ]);
  });

  it('leaves out rows without recorded features and outcomes that are not a class of the model, and counts them', () => {
    // given
    const rows = [joined('a', 'yes'), joined('b', 'maybe', { tenure: 1 }), joined('c', 'no', { tenure: 2 })];
    // when
    const result = feedbackTrainingRows(rows, ['tenure', 'churned'], binary);
    // then
    expect(result.table.rowCount).toBe(1);
    expect(result.withoutFeatures).toBe(1);
    expect(result.unreadableOutcomes).toBe(1);
  });

  it('takes a regression outcome as its number', () => {
    const result = feedbackTrainingRows([joined('a', '12.5', { size: 2 })], ['size', 'price'], {
      name: 'price',
      task: 'regression',
    });
    expect(result.table.columns).toEqual([[2], [12.5]]);
  });
});
