import { conditionalPut, itemToRow, planEventTimeRead, planRowRead } from '../../../core/feature-views/online-item';

describe('the online item layout', () => {
  it('reads unique keys in batches of 100, projecting only the asked columns', () => {
    const keys = Array.from({ length: 250 }, (_, i) => `c${i}`);
    const plan = planRowRead('customer', [...keys, 'c0', 'c1'], ['age', 'plan.tier']);
    expect(plan.keyBatches.map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(plan.keyBatches[0]![0]).toEqual({ pk: { S: 'customer#c0' } });
    expect(plan.projection).toBe('#pk, #et, #vv, f.#c0, f.#c1');
    // a dotted column name is one attribute name, never a path
    expect(plan.names).toMatchObject({ '#c0': 'age', '#c1': 'plan.tier' });
    expect(planEventTimeRead('customer', ['c1']).projection).toBe('#pk, #et');
  });

  it('round-trips a row through a conditional put, a missing or non-finite value as null', () => {
    const put = conditionalPut('customer', {
      entityKey: '42',
      eventTimeMicros: 1_772_359_200_000_000,
      viewVersion: 'abc',
      values: { age: 30, plan: 'basic', spend: Number.NaN, city: null },
    });
    expect(put.ConditionExpression).toBe('attribute_not_exists(#pk) OR #et < :et');
    expect(put.ExpressionAttributeValues).toEqual({ ':et': { N: '1772359200000000' } });
    expect(itemToRow(put.Item, 'customer')).toEqual({
      entityKey: '42',
      eventTimeMicros: 1_772_359_200_000_000,
      viewVersion: 'abc',
      values: { age: 30, plan: 'basic', spend: null, city: null },
    });
  });

  it("ignores an item of another view (a key that only starts like this view's)", () => {
    expect(itemToRow({ pk: { S: 'customers#1' }, et: { N: '1' } }, 'customer')).toBeNull();
  });
});
