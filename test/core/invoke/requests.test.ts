import fc from 'fast-check';
import { planRequests } from '../../../core/invoke/requests';

const rows = (count: number) => Array.from({ length: count }, (_, i) => ({ i, name: `row-${i}` }));

describe('planning requests under the endpoint limits', () => {
  it('puts at most maxRows rows in a request, in input order', () => {
    // when
    const planned = planRequests(rows(2500), { maxRows: 1000, maxBytes: 10_000_000 });
    // then
    expect(planned.map((request) => [request.index, request.firstRow, request.rows])).toEqual([
      [0, 0, 1000],
      [1, 1000, 1000],
      [2, 2000, 500],
    ]);
    expect(JSON.parse(planned[1]!.body).instances[0]).toEqual({ i: 1000, name: 'row-1000' });
  });

  it('keeps every body within maxBytes and sends an oversized row alone', () => {
    // given rows of about 30 bytes and one of 500
    const input = [...rows(5), { i: 5, name: 'x'.repeat(500) }, ...rows(3)];
    // when
    const planned = planRequests(input, { maxRows: 1000, maxBytes: 100 });
    // then
    for (const request of planned) {
      if (request.rows > 1) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(100);
    }
    expect(planned.find((request) => request.firstRow === 5)?.rows).toBe(1);
  });

  it('loses, repeats and reorders no row, whatever the limits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string(), fc.constant(null))), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 400 }),
        (input, maxRows, maxBytes) => {
          const planned = planRequests(input, { maxRows, maxBytes });
          const sent = planned.flatMap((request) => JSON.parse(request.body).instances);
          expect(sent).toEqual(input);
          for (const request of planned) {
            expect(request.rows).toBeLessThanOrEqual(maxRows);
            if (request.rows > 1) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(maxBytes);
          }
        },
      ),
    );
  });
});
