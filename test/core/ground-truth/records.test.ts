import { randomBytes } from 'node:crypto';
import {
  assignPredictionIds,
  GroundTruthInputError,
  MAX_PREDICTION_ID_CHARS,
  newPredictionId,
  parseFeedbackRequest,
  predictionIdsAt,
  predictionIdTime,
  predictionRecordSchema,
} from '../../../core/ground-truth/records';

function feedbackError(body: unknown, maxActuals?: number): GroundTruthInputError {
  try {
    parseFeedbackRequest(body, maxActuals);
  } catch (error) {
    if (error instanceof GroundTruthInputError) return error;
    throw error;
  }
  throw new Error('the body was accepted');
}

describe('parseFeedbackRequest', () => {
  it('accepts class labels, 0/1, booleans and numbers', () => {
    const body = {
      actuals: [
        { id: 'a', label: 'yes' },
        { id: 'b', label: 0 },
        { id: 'c', label: true },
        { id: 'd', label: 12.5 },
      ],
    };
    expect(parseFeedbackRequest(body)).toEqual(body.actuals);
  });

  it('accepts the same id twice: the later one wins in the join', () => {
    const actuals = [
      { id: 'a', label: 'yes' },
      { id: 'a', label: 'no' },
    ];
    expect(parseFeedbackRequest({ actuals })).toEqual(actuals);
  });

  it.each([
    ['a list body', [], undefined, 'must be a JSON object {"actuals": [...]}, got a list'],
    ['an unknown field', { actuals: [], extra: 1 }, 'extra', 'unknown field "extra"'],
    ['no actuals', {}, 'actuals', 'actuals is required'],
    ['actuals not a list', { actuals: 'x' }, 'actuals', 'actuals must be a list, got a string'],
    ['empty actuals', { actuals: [] }, 'actuals', 'actuals is empty'],
    ['an entry that is not an object', { actuals: [3] }, 'actuals[0]', 'actuals[0] must be an object'],
    ['a missing id', { actuals: [{ label: 1 }] }, 'actuals[0].id', 'actuals[0].id is required'],
    [
      'a numeric id',
      { actuals: [{ id: 7, label: 1 }] },
      'actuals[0].id',
      'actuals[0].id must be a string, got a number',
    ],
    ['an empty id', { actuals: [{ id: '', label: 1 }] }, 'actuals[0].id', 'must not be empty'],
    ['an id with a trailing space', { actuals: [{ id: 'a ', label: 1 }] }, 'actuals[0].id', 'must not start or end'],
    ['an id with a newline', { actuals: [{ id: 'a\nb', label: 1 }] }, 'actuals[0].id', 'control characters'],
    [
      'an id that is too long',
      { actuals: [{ id: 'x'.repeat(MAX_PREDICTION_ID_CHARS + 1), label: 1 }] },
      'actuals[0].id',
      `at most ${MAX_PREDICTION_ID_CHARS} characters`,
    ],
    ['a missing label', { actuals: [{ id: 'a' }] }, 'actuals[0].label', 'actuals[0].label is required'],
    ['a null label', { actuals: [{ id: 'a', label: null }] }, 'actuals[0].label', 'got null'],
    ['an object label', { actuals: [{ id: 'a', label: {} }] }, 'actuals[0].label', 'got an object'],
    ['an empty label', { actuals: [{ id: 'a', label: '' }] }, 'actuals[0].label', 'must not be empty'],
    ['an extra field on an actual', { actuals: [{ id: 'a', label: 1, at: 2 }] }, 'actuals[0].at', 'unknown field "at"'],
  ])('rejects %s, naming the field', (_case, body, field, message) => {
    const error = feedbackError(body);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('names the entry at fault in a longer list', () => {
    const error = feedbackError({
      actuals: [
        { id: 'a', label: 1 },
        { id: 'b', label: [1] },
      ],
    });
    expect(error.field).toBe('actuals[1].label');
  });

  it('rejects more actuals than the limit, saying how to split', () => {
    const actuals = Array.from({ length: 3 }, (_, i) => ({ id: `${i}`, label: 1 }));
    expect(feedbackError({ actuals }, 2).message).toBe(
      'actuals holds 3 entries; at most 2 per request, split the batch (or upload a file)',
    );
  });

  it('clips a huge field name it echoes', () => {
    const error = feedbackError({ actuals: [{ id: 'a', label: 1 }], ['k'.repeat(100_000)]: 1 });
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('prediction ids', () => {
  it('are 26 characters that sort by the time they were made', () => {
    // Given ids made a millisecond apart, with the largest and smallest randomness
    const earlier = newPredictionId(new Date('2026-05-01T10:00:00.000Z'), new Uint8Array(10).fill(255));
    const later = newPredictionId(new Date('2026-05-01T10:00:00.001Z'), new Uint8Array(10));
    // Then the later sorts after the earlier
    expect(earlier).toHaveLength(26);
    expect(earlier < later).toBe(true);
  });

  it('carry the time they were made, to the millisecond', () => {
    const at = new Date('2031-12-31T23:59:59.999Z');
    expect(predictionIdTime(newPredictionId(at))).toEqual(at);
  });

  it('match the ULID spec example encoding', () => {
    // The spec's 48-bit time 1469918176385 encodes as 01ARYZ6S41; ten 0 bytes as sixteen 0s.
    expect(newPredictionId(new Date(1469918176385), new Uint8Array(10))).toBe('01ARYZ6S410000000000000000');
  });

  it('are unique when many are made in the same millisecond', () => {
    const at = new Date();
    const ids = new Set(Array.from({ length: 10_000 }, () => newPredictionId(at)));
    expect(ids.size).toBe(10_000);
  });

  it('are not read as ours when they are a caller id', () => {
    expect(predictionIdTime('order-17')).toBeNull();
    expect(predictionIdTime('01ARYZ6S41000000000000000')).toBeNull();
  });
});

describe('assignPredictionIds', () => {
  const fieldOf = (index: number) => `instances[${index}].id`;
  const at = new Date('2026-05-01T10:00:00.000Z');

  it("keeps a caller's ids and makes ours for the rest", () => {
    const ids = assignPredictionIds(['order-1', undefined, 'order-2'], fieldOf, at);
    expect(ids[0]).toBe('order-1');
    expect(predictionIdTime(ids[1])).toEqual(at);
    expect(ids[2]).toBe('order-2');
  });

  it('rejects a caller id used twice in one request, naming both places', () => {
    expect(() => assignPredictionIds(['order-1', 'x', 'order-1'], fieldOf, at)).toThrow(
      'instances[2].id "order-1" repeats instances[0].id; prediction ids must be unique within a request',
    );
  });

  it('rejects a caller id that is not a valid id, naming the field', () => {
    try {
      assignPredictionIds(['ok', 42], fieldOf, at);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(GroundTruthInputError);
      expect((error as GroundTruthInputError).field).toBe('instances[1].id');
    }
  });
});

describe('predictionRecordSchema', () => {
  it('rejects a non-finite score and an unknown model name', () => {
    const record = { id: 'a', model: 'churn', version: 1, time: '2026-01-01T00:00:00Z', score: 0.4, label: 'no' };
    expect(predictionRecordSchema.safeParse(record).success).toBe(true);
    expect(predictionRecordSchema.safeParse({ ...record, score: Number.NaN }).success).toBe(false);
    expect(predictionRecordSchema.safeParse({ ...record, model: 'Churn!' }).success).toBe(false);
  });
});

describe('predictionIdsAt', () => {
  test('makes exactly the ids newPredictionId makes from the same time and bytes', () => {
    // given 300 ids' worth of random bytes
    const at = new Date('2026-12-07T10:11:12.345Z');
    const randomness = randomBytes(3000);
    // when made in one call, then each equals the one-at-a-time id
    const ids = predictionIdsAt(at, 300, randomness);
    expect(ids).toEqual(ids.map((_, i) => newPredictionId(at, randomness.subarray(10 * i, 10 * i + 10))));
    expect(new Set(ids).size).toBe(300);
    expect(predictionIdTime(ids[0]!)).toEqual(at);
  });

  test('refuses randomness of the wrong length, and makes nothing for a count of 0', () => {
    expect(() => predictionIdsAt(new Date(), 2, new Uint8Array(10))).toThrow('2 ids need 20 random bytes, got 10');
    expect(predictionIdsAt(new Date(), 0)).toEqual([]);
  });
});
