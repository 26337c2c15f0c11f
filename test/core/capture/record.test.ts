import { capturedRowsSchema, captureLineSchema } from '../../../core/capture/record';

const line = {
  requestId: 'r1',
  time: '2026-11-29T10:00:00.000Z',
  model: 'churn',
  version: 3,
  instances: [{ age: 30, plan: 'pro', active: true, note: null }],
  predictions: [{ score: 0.7, label: 'yes' }],
  warnings: [],
};

describe('capture line', () => {
  it('accepts a line as the endpoint writes it, whole or as a part', () => {
    expect(captureLineSchema.parse(line)).toEqual(line);
    expect(captureLineSchema.parse({ part: 2, parts: 3, ...line })).toMatchObject({ part: 2, parts: 3 });
  });

  it('refuses a line whose time is not a time, naming the field', () => {
    const result = captureLineSchema.safeParse({ ...line, time: 'yesterday' });
    expect(result.error?.issues[0]).toMatchObject({ path: ['time'], message: 'must be an ISO time' });
  });

  it('reads an unknown version as null for the drift monitor, keeping the line', () => {
    expect(capturedRowsSchema.parse({ ...line, version: 'three' }).version).toBeNull();
    expect(capturedRowsSchema.parse({ time: line.time, instances: [] }).version).toBeNull();
  });

  it('leaves rows that are not objects out of a line the drift monitor reads', () => {
    expect(capturedRowsSchema.parse({ ...line, instances: [{ a: 1 }, 7, null, [1]] }).instances).toEqual([{ a: 1 }]);
  });

  it('is not a line for the drift monitor without instances or with an unreadable part', () => {
    expect(capturedRowsSchema.safeParse({ time: line.time }).success).toBe(false);
    expect(capturedRowsSchema.safeParse({ ...line, part: 'two' }).success).toBe(false);
  });
});
