import { parseCsv } from '../../../core/data/csv';
import { type Cell, type DataTable, getColumn } from '../../../core/data/table';
import { CHURN_TARGET, churnColumns, churnCsv, generateChurn } from '../../../core/datasets/churn';

const ROWS = 10_000;
const v1 = generateChurn({ rows: ROWS, seed: 42 });
const v2 = generateChurn({ rows: ROWS, seed: 42, batch: 'v2' });

function numbers(table: DataTable, name: string): number[] {
  return getColumn(table, name)
    .filter((cell): cell is string => cell !== null)
    .map(Number);
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function share(cells: ReadonlyArray<Cell>, predicate: (cell: Cell) => boolean): number {
  return cells.filter(predicate).length / cells.length;
}

function missingShare(table: DataTable, name: string): number {
  return share(getColumn(table, name), (cell) => cell === null);
}

/** Churn rate among the rows where `where` holds. */
function churnRate(table: DataTable, where: (row: number) => boolean): number {
  const churned = getColumn(table, CHURN_TARGET);
  let count = 0;
  let positives = 0;
  for (let row = 0; row < table.rowCount; row++) {
    if (!where(row)) continue;
    count++;
    if (churned[row] === 'yes') positives++;
  }
  return positives / count;
}

describe('generateChurn', () => {
  test('gives identical output for identical options', () => {
    // When the same options are used twice
    const first = generateChurn({ rows: 2_000, seed: 42, batch: 'v2' });
    const again = generateChurn({ rows: 2_000, seed: 42, batch: 'v2' });

    // Then the tables are equal cell for cell
    expect(again).toEqual(first);
  });

  test('gives different data for a different seed', () => {
    const other = generateChurn({ rows: 100, seed: 43 });

    expect(other.columns[1]).not.toEqual(v1.columns[1].slice(0, 100));
  });

  test('has the documented v1 columns with the target last', () => {
    expect(v1.columnNames).toEqual([
      'customer_id',
      'age',
      'tenure_months',
      'purchase_frequency',
      'avg_basket_value',
      'support_contacts',
      'days_since_last_login',
      'discount_usage_rate',
      'plan',
      'region',
      'payment_method',
      'is_mobile_user',
      'newsletter_subscriber',
      'churned',
    ]);
    expect(churnColumns('v1')).toEqual(v1.columnNames);
  });

  test('gives every customer a unique id', () => {
    const ids = getColumn(v1, 'customer_id');

    expect(new Set(ids).size).toBe(ROWS);
    expect(ids[122]).toBe('C000123');
  });

  test('churns about a quarter of customers', () => {
    const rate = share(getColumn(v1, CHURN_TARGET), (cell) => cell === 'yes');

    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.3);
  });

  test('leaves about 3% of ages, 2% of basket values and 4% of discount rates missing, and nothing else', () => {
    expect(missingShare(v1, 'age')).toBeCloseTo(0.03, 2);
    expect(missingShare(v1, 'avg_basket_value')).toBeCloseTo(0.02, 2);
    expect(missingShare(v1, 'discount_usage_rate')).toBeCloseTo(0.04, 2);
    const complete = v1.columnNames.filter(
      (name) => !['age', 'avg_basket_value', 'discount_usage_rate'].includes(name),
    );
    for (const name of complete) expect([name, missingShare(v1, name)]).toEqual([name, 0]);
  });

  test('uses only the documented category values', () => {
    expect(new Set(getColumn(v1, 'plan'))).toEqual(new Set(['basic', 'standard', 'premium']));
    expect(new Set(getColumn(v1, 'region'))).toEqual(new Set(['north', 'south', 'east', 'west']));
    expect(new Set(getColumn(v1, 'payment_method'))).toEqual(new Set(['card', 'paypal', 'bank_transfer']));
    expect(new Set(getColumn(v1, 'is_mobile_user'))).toEqual(new Set(['yes', 'no']));
    expect(new Set(getColumn(v1, 'newsletter_subscriber'))).toEqual(new Set(['true', 'false']));
    expect(new Set(getColumn(v1, CHURN_TARGET))).toEqual(new Set(['yes', 'no']));
  });

  test('keeps numeric columns in their plausible ranges', () => {
    const ages = numbers(v1, 'age');
    const discounts = numbers(v1, 'discount_usage_rate');

    expect(Math.min(...ages)).toBeGreaterThanOrEqual(18);
    expect(Math.max(...ages)).toBeLessThanOrEqual(85);
    expect(Math.min(...discounts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...discounts)).toBeLessThanOrEqual(1);
    expect(Math.max(...numbers(v1, 'tenure_months'))).toBeLessThanOrEqual(120);
    expect(numbers(v1, 'purchase_frequency').every((value) => value >= 0)).toBe(true);
  });

  describe('the churn mechanism', () => {
    const days = numbers(v1, 'days_since_last_login');
    const ages = getColumn(v1, 'age');
    const plans = getColumn(v1, 'plan');
    const support = numbers(v1, 'support_contacts');

    test('jumps after 30 days without a login', () => {
      const inactive = churnRate(v1, (row) => days[row] > 30);
      const active = churnRate(v1, (row) => days[row] <= 30);

      expect(inactive - active).toBeGreaterThan(0.2);
    });

    test('is U-shaped in age: the young and the old churn more than the middle-aged', () => {
      const age = (row: number): number => (ages[row] === null ? Number.NaN : Number(ages[row]));
      const young = churnRate(v1, (row) => age(row) < 28);
      const middle = churnRate(v1, (row) => age(row) >= 38 && age(row) <= 52);
      const old = churnRate(v1, (row) => age(row) > 62);

      expect(young - middle).toBeGreaterThan(0.05);
      expect(old - middle).toBeGreaterThan(0.05);
    });

    test('makes support contacts hurt on the basic plan but not on premium', () => {
      const basicMany = churnRate(v1, (row) => plans[row] === 'basic' && support[row] >= 3);
      const basicFew = churnRate(v1, (row) => plans[row] === 'basic' && support[row] === 0);
      const premiumMany = churnRate(v1, (row) => plans[row] === 'premium' && support[row] >= 3);
      const premiumFew = churnRate(v1, (row) => plans[row] === 'premium' && support[row] === 0);

      expect(basicMany - basicFew).toBeGreaterThan(0.2);
      expect(Math.abs(premiumMany - premiumFew)).toBeLessThan(0.1);
    });
  });

  describe('batch v2', () => {
    test('adds time_spent_on_video_tutorials before the target', () => {
      expect(v2.columnNames).toEqual([...v1.columnNames.slice(0, -1), 'time_spent_on_video_tutorials', 'churned']);
      expect(churnColumns('v2')).toEqual(v2.columnNames);
    });

    test('fills the new column for about 90% of rows with non-negative minutes', () => {
      expect(missingShare(v2, 'time_spent_on_video_tutorials')).toBeCloseTo(0.1, 1);
      expect(numbers(v2, 'time_spent_on_video_tutorials').every((minutes) => minutes >= 0)).toBe(true);
    });

    test('lowers churn for customers who watch more tutorials', () => {
      const minutes = getColumn(v2, 'time_spent_on_video_tutorials');
      const watched = (row: number): number => (minutes[row] === null ? Number.NaN : Number(minutes[row]));

      const many = churnRate(v2, (row) => watched(row) > 50);
      const few = churnRate(v2, (row) => watched(row) < 12);

      expect(few - many).toBeGreaterThan(0.05);
    });

    test('shifts to older customers, more support contacts and fewer purchases', () => {
      expect(mean(numbers(v2, 'age')) - mean(numbers(v1, 'age'))).toBeGreaterThan(5);
      expect(mean(numbers(v2, 'support_contacts')) - mean(numbers(v1, 'support_contacts'))).toBeGreaterThan(0.6);
      expect(mean(numbers(v2, 'purchase_frequency')) / mean(numbers(v1, 'purchase_frequency'))).toBeLessThan(0.85);
    });

    test('introduces the crypto payment method and more premium plans', () => {
      const crypto = share(getColumn(v2, 'payment_method'), (cell) => cell === 'crypto');
      const premiumV1 = share(getColumn(v1, 'plan'), (cell) => cell === 'premium');
      const premiumV2 = share(getColumn(v2, 'plan'), (cell) => cell === 'premium');

      expect(crypto).toBeGreaterThan(0.09);
      expect(crypto).toBeLessThan(0.15);
      expect(premiumV2 - premiumV1).toBeGreaterThan(0.08);
    });

    test('numbers its customers apart from v1', () => {
      const v1Ids = new Set(getColumn(v1, 'customer_id'));

      expect(getColumn(v2, 'customer_id').some((id) => v1Ids.has(id))).toBe(false);
    });
  });

  test('gives an empty table for zero rows', () => {
    expect(generateChurn({ rows: 0, seed: 1 }).rowCount).toBe(0);
  });

  test('rejects a row count that is not a non-negative integer', () => {
    expect(() => generateChurn({ rows: 1.5, seed: 1 })).toThrow('rows must be a non-negative integer; received 1.5');
    expect(() => generateChurn({ rows: -1, seed: 1 })).toThrow('received -1');
  });

  test('rejects an unknown batch', () => {
    expect(() => generateChurn({ rows: 1, seed: 1, batch: 'v3' as 'v1' })).toThrow('received v3');
  });
});

describe('churnCsv', () => {
  test('reads back with parseCsv as exactly the generated table', () => {
    // Given the CSV text of a batch with missing values
    const options = { rows: 500, seed: 5, batch: 'v2' as const };

    // When it is parsed
    const parsed = parseCsv(churnCsv(options), { source: 'churn.csv' });

    // Then it equals the table, empty cells included
    expect(parsed).toEqual(generateChurn(options));
  });

  test('is byte-identical for identical options', () => {
    expect(churnCsv({ rows: 200, seed: 9 })).toBe(churnCsv({ rows: 200, seed: 9 }));
  });
});
