import { featureRowCsv, parseSageMakerScores } from '../../../lambdas/inference/sagemaker';
import { HttpError } from '../../../lambdas/shared/http';

function upstreamError(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('SageMaker payloads', () => {
  it('writes a feature vector as one CSV row in pipeline order', () => {
    expect(featureRowCsv(Float64Array.from([1, 0.25, -3e-7]))).toBe('1,0.25,-3e-7');
  });

  it.each([
    ['one score per line', '0.1\n0.9\n', 'text/csv'],
    ['comma-separated scores', '0.1,0.9', 'text/csv'],
    ['a JSON list', '[0.1, 0.9]', 'application/json'],
    ['JSON predictions of numbers', '{"predictions": [0.1, 0.9]}', 'application/json'],
    ['JSON predictions of objects', '{"predictions": [{"score": 0.1}, {"score": 0.9}]}', ''],
  ])('reads %s', (_case, body, contentType) => {
    expect(parseSageMakerScores(body, 2, contentType)).toEqual([0.1, 0.9]);
  });

  it('answers 502 when the endpoint returns fewer scores than instances', () => {
    const error = upstreamError(() => parseSageMakerScores('0.1', 2, 'text/csv'));
    expect(error.statusCode).toBe(502);
    expect(error.message).toMatch(/1 score\(s\) for 2 instance/);
  });

  it('answers 502 for a score that is not a number', () => {
    expect(upstreamError(() => parseSageMakerScores('{"predictions": ["high"]}', 1)).statusCode).toBe(502);
  });

  it('answers 502 for JSON that does not parse', () => {
    expect(upstreamError(() => parseSageMakerScores('{"predictions": [', 1, 'application/json')).statusCode).toBe(502);
  });
});
