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

  it('gives nested fields one column each, named by their path, and missing ones as empty', () => {
    // given an explanation on one prediction only
    const explained: InvokeResult = {
      ...result,
      predictions: [
        { id: 'a', score: 0.8, explanation: { base: 0.1, contributions: { age: 0.5 } } },
        { id: 'b', score: 0.2 },
      ],
    };
    // when
    const table = predictionTable(explained);
    // then
    expect(table.columnNames).toEqual(['row', 'id', 'score', 'explanation.base', 'explanation.contributions.age']);
    expect(table.columns[4]).toEqual([0.5, null]);
    expect(formatPredictionsTable(explained).split('\n')[2]).toBe('2    b   0.2    -                 -');
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
