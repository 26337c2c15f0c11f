import { explanationColumns } from '../../../core/explain/explanation';
import {
  formatPredictionsCsv,
  formatPredictionsJson,
  formatPredictionsTable,
  predictionTable,
} from '../../../core/invoke/output';
import type { InvokeResult } from '../../../core/invoke/response';

const result: InvokeResult = {
  model: { name: 'churn', version: 5 },
  predictions: [
    { id: 'a', score: 0.8125, label: 'yes' },
    { id: 'b, c', score: 0.25, label: 'no' },
  ],
  warnings: [],
  requests: 1,
};

describe('printing predictions', () => {
  it('prints a table: row numbers from 1, then the fields in the order the endpoint sent them', () => {
    expect(formatPredictionsTable(result)).toBe(
      ['row  id    score   label', '1    a     0.8125  yes', '2    b, c  0.25    no', ''].join('\n'),
    );
  });

  it('prints CSV, quoting what needs it', () => {
    expect(formatPredictionsCsv(result)).toBe('row,id,score,label\n1,a,0.8125,yes\n2,"b, c",0.25,no\n');
  });

  it('prints an explanation as predict --explain does: shap_<feature> per feature, then shap_base', () => {
    // given explanations as the endpoint sends them, on one prediction only
    const explained: InvokeResult = {
      ...result,
      predictions: [
        { id: 'a', score: 0.8, label: 'yes', explanation: { base: -0.25, contributions: { age: 0.5, plan: 1.125 } } },
        { id: 'b', score: 0.2, label: 'no' },
      ],
    };
    // when
    const table = predictionTable(explained);
    // then the columns are the ones mlops predict --explain writes for the same features
    expect(table.columnNames).toEqual(['row', 'id', 'score', 'label', ...explanationColumns(['age', 'plan'])]);
    expect(table.columnNames.slice(4)).toEqual(['shap_age', 'shap_plan', 'shap_base']);
    expect(table.columns.slice(4)).toEqual([
      [0.5, null],
      [1.125, null],
      [-0.25, null],
    ]);
    expect(formatPredictionsCsv(explained)).toBe(
      'row,id,score,label,shap_age,shap_plan,shap_base\n1,a,0.8,yes,0.5,1.125,-0.25\n2,b,0.2,no,,,\n',
    );
  });

  it('gives other nested fields one column each, named by their path, and missing ones as empty', () => {
    // given a field that is not an explanation
    const nested: InvokeResult = {
      ...result,
      predictions: [
        { id: 'a', score: 0.8, extra: { source: 'cache', age: 3 } },
        { id: 'b', score: 0.2 },
      ],
    };
    // when
    const table = predictionTable(nested);
    // then
    expect(table.columnNames).toEqual(['row', 'id', 'score', 'extra.source', 'extra.age']);
    expect(table.columns[4]).toEqual([3, null]);
    expect(formatPredictionsTable(nested).split('\n')[2]).toBe('2    b   0.2    -             -');
  });

  it('prints --json as one line with model, predictions, warnings and the number of requests', () => {
    expect(JSON.parse(formatPredictionsJson(result))).toEqual({
      model: { name: 'churn', version: 5 },
      predictions: result.predictions,
      warnings: [],
      requests: 1,
    });
    expect(formatPredictionsJson(result).trimEnd()).not.toContain('\n');
  });
});
