import { Pipeline } from '../../../core/features/pipeline';
import {
  compareCodePoints,
  holdsLabels,
  isBooleanLike,
  labelCodeStep,
  labelsAsPandasSortsThem,
  largestCodeUsed,
  parseCategoriesFile,
} from '../../../core/import/categories';
import { parseXgboostModel } from '../../../core/import/xgboost';
import { fixtureBytes } from './parity-helpers';

describe('labelsAsPandasSortsThem', () => {
  test("sorts as pandas' astype('category') does: by code point, numbers by their spelling", () => {
    // given text labels pandas 1.5.3 sorted to ['10', '9', 'B', 'Z', 'basic', 'é', '！', '😀'] (measured)
    const column = ['basic', '😀', 9, '！', 'é', 'Z', null, '10', 'B', 'basic', ''];
    // then the same order, missing cells left out, each label once
    expect(labelsAsPandasSortsThem(column)).toEqual(['10', '9', 'B', 'Z', 'basic', 'é', '！', '😀']);
  });

  test('a character beyond U+FFFF sorts after U+FF01, unlike UTF-16 order', () => {
    expect(compareCodePoints('😀', '！')).toBeGreaterThan(0);
    expect('😀' < '！').toBe(true);
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
  });
});

describe('what a column holds', () => {
  test('labels are text that is not a number; codes are numbers, also spelled as text', () => {
    expect(holdsLabels(['basic', null, 2])).toBe(true);
    expect(holdsLabels([0, '1', null, 3])).toBe(false);
  });

  test('boolean-like: every value a boolean word or 0/1, and at least one word', () => {
    expect(isBooleanLike(['yes', 'no', null, 'Yes'])).toBe(true);
    expect(isBooleanLike(['true', 0, 1, 'false'])).toBe(true);
    expect(isBooleanLike([0, 1, 1])).toBe(false);
    expect(isBooleanLike(['yes', 'maybe'])).toBe(false);
  });
});

describe('parseCategoriesFile', () => {
  test('reads {column: [labels in code order]}, numbers as their text', () => {
    const labels = parseCategoriesFile('{"plan": ["basic", "plus"], "store": [10, 9, "x1"]}', 'c.json');
    expect([...labels]).toEqual([
      ['plan', ['basic', 'plus']],
      ['store', ['10', '9', 'x1']],
    ]);
  });

  test.each([
    ['not JSON', '{plan:', '--categories c.json is not valid JSON'],
    [
      'not an object of lists',
      '{"plan": "basic"}',
      '--categories c.json must be {"column": [labels in code order], ...}: at plan',
    ],
    ['an empty list', '{"plan": []}', 'at plan'],
    ['a label twice', '{"plan": ["basic", " basic"]}', '--categories c.json: "plan" lists "basic" twice'],
    ['a blank label', '{"plan": ["basic", ""]}', '--categories c.json: "plan" has a blank label at index 1'],
  ])('rejects %s', (_, text, message) => {
    expect(() => parseCategoriesFile(text, 'c.json')).toThrow(message);
  });
});

describe('labelCodeStep', () => {
  test('a label takes its index; an unseen label and a missing one reach the model as NaN', () => {
    // given the step for two labels in code order
    const pipeline = new Pipeline({ steps: [labelCodeStep('plan', ['basic', 'plus'])] });
    const code = (cell: string | number | null) => pipeline.transformRecord({ plan: cell })[0];
    // then
    expect(code('basic')).toBe(0);
    expect(code(' plus ')).toBe(1);
    expect(code('enterprise')).toBeNaN();
    expect(code(null)).toBeNaN();
    expect(code('')).toBeNaN();
    // and the table path agrees with the record path
    const table = { columnNames: ['plan'], columns: [['plus', null, 'gold']], rowCount: 3 };
    expect(Array.from(pipeline.transformTable(table).columns[0])).toEqual([1, Number.NaN, Number.NaN]);
  });

  test('round-trips through the pipeline schema', () => {
    const json = { steps: [labelCodeStep('plan', ['basic', 'plus'])] };
    expect(Pipeline.fromJson(JSON.parse(JSON.stringify(json))).json).toEqual(json);
  });
});

test('largestCodeUsed: the largest code in any category set of that feature', () => {
  const imported = parseXgboostModel(fixtureBytes('xgb-labels.json'), 'xgb-labels.json');
  // plan and store each have four training categories, codes 0..3 (features: age, plan, store, score)
  expect(largestCodeUsed(imported.model, 1)).toBe(3);
  expect(largestCodeUsed(imported.model, 0)).toBe(-1);
});
