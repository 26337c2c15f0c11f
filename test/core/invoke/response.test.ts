import type { PlannedRequest } from '../../../core/invoke/requests';
import {
  EndpointResponseError,
  endpointErrorLine,
  exitCodeOfStatus,
  mergeAnswers,
  parsePredictAnswer,
} from '../../../core/invoke/response';

const request = (index: number, firstRow: number, rows: number): PlannedRequest => ({
  index,
  firstRow,
  rows,
  body: '',
});

const answer = (version: number, scores: number[], warnings: string[] = []) => ({
  model: { name: 'churn', version },
  predictions: scores.map((score) => ({ id: `p${score}`, score })),
  warnings,
});

describe('reading the endpoint answers', () => {
  it('reads a predict response and keeps fields it does not know', () => {
    // given
    const text = JSON.stringify({
      model: { name: 'churn', version: 3 },
      predictions: [{ id: 'a', score: 0.5, label: 'yes', explanation: { base: 0.1 } }],
    });
    // when
    const parsed = parsePredictAnswer(text, request(0, 0, 1));
    // then
    expect(parsed).toEqual({ ...JSON.parse(text), warnings: [] });
  });

  it('refuses an answer that is not a predict response, or with a prediction count other than the rows sent', () => {
    expect(() => parsePredictAnswer('<html>', request(0, 0, 1))).toThrow(EndpointResponseError);
    expect(() => parsePredictAnswer('{"model": {"name": "churn"}}', request(0, 0, 1))).toThrow(
      /is not a predict response \(model\.version: /,
    );
    expect(() => parsePredictAnswer(JSON.stringify(answer(1, [0.1])), request(0, 0, 2))).toThrow(
      'the endpoint answered 1 predictions for 2 rows',
    );
  });

  it('joins answers in order and sums the per-request counts of the same warning', () => {
    // when
    const merged = mergeAnswers([
      answer(2, [0.1, 0.2], ['feature "plan" missing in 2 instance(s); imputed as in training', 'other']),
      answer(2, [0.3], ['feature "plan" missing in 1 instance(s); imputed as in training', 'other']),
    ]);
    // then
    expect(merged).toEqual({
      model: { name: 'churn', version: 2 },
      predictions: [
        { id: 'p0.1', score: 0.1 },
        { id: 'p0.2', score: 0.2 },
        { id: 'p0.3', score: 0.3 },
      ],
      warnings: ['feature "plan" missing in 3 instance(s); imputed as in training', 'other'],
      requests: 2,
    });
  });

  it('warns when a promotion between requests made two versions answer', () => {
    expect(mergeAnswers([answer(2, [0.1]), answer(3, [0.2])]).warnings).toEqual([
      'versions 2, 3 of churn answered: production moved while the requests were sent',
    ]);
  });
});

describe('a failed request as one line', () => {
  it("gives the status, the endpoint's message, and the input row a field names", () => {
    const body = JSON.stringify({ error: { message: 'instances[2].age must be a number', field: 'instances[2].age' } });
    expect(endpointErrorLine(400, body, request(1, 1000, 1000), 3)).toBe(
      '400 (request 2 of 3): instances[2].age must be a number [input row 1003]',
    );
  });

  it("reads AWS's own error bodies and plain text", () => {
    const only = request(0, 0, 1);
    expect(endpointErrorLine(403, '{"Message":"Forbidden. For troubleshooting ..."}', only, 1)).toBe(
      '403: Forbidden. For troubleshooting ...',
    );
    expect(endpointErrorLine(502, '{"message":"Internal Server Error"}', only, 1)).toBe('502: Internal Server Error');
    expect(endpointErrorLine(504, 'upstream timed out', only, 1)).toBe('504: upstream timed out');
    expect(endpointErrorLine(500, '', only, 1)).toBe('500: no message');
  });

  it('exits 2 for a 4xx (the request was at fault) and 1 for anything else', () => {
    expect([400, 403, 413, 429, 500, 502, 503].map(exitCodeOfStatus)).toEqual([2, 2, 2, 2, 1, 1, 1]);
  });
});
