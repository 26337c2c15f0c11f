import { SNSClient } from '@aws-sdk/client-sns';
import { SNS_MESSAGE_MAX_BYTES, SnsPublisher, snsMessage, snsSubject } from '../../../adapters/sns-publisher';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import {
  capturePartitionPrefixes,
  parseCaptureLine,
  readCapturedTraffic,
  windowEndingAt,
} from '../../../lambdas/drift-monitor/capture-window';
import { dimensionValue } from '../../../lambdas/drift-monitor/handler';
import { MODEL, NOW } from './fixtures';

describe('capture window', () => {
  it('lists one partition per hour the window touches, across midnight', () => {
    // given a 3-hour window ending at 01:30
    const window = windowEndingAt(new Date('2026-11-29T01:30:00Z'), 3);
    // when / then
    expect(capturePartitionPrefixes(MODEL, window)).toEqual([
      'capture/churn/dt=2026-11-28/hour=22/',
      'capture/churn/dt=2026-11-28/hour=23/',
      'capture/churn/dt=2026-11-29/hour=00/',
      'capture/churn/dt=2026-11-29/hour=01/',
    ]);
  });

  it('does not list the hour that starts exactly at the window end', () => {
    expect(capturePartitionPrefixes(MODEL, windowEndingAt(NOW, 1))).toEqual(['capture/churn/dt=2026-11-29/hour=11/']);
  });

  it('skips lines that are not capture records and counts them', async () => {
    // given one object with a good line, a truncated line and a record without instances
    const store = new MemoryObjectStore('monitoring');
    const good = {
      requestId: 'r',
      time: '2026-11-29T11:10:00.000Z',
      model: MODEL,
      version: 3,
      instances: [{ age: 30 }],
    };
    await store.put(
      'capture/churn/dt=2026-11-29/hour=11/a.jsonl',
      `${JSON.stringify(good)}\n{"requestId":"x","ti\n${JSON.stringify({ time: good.time })}\n`,
    );
    // when
    const traffic = await readCapturedTraffic(store, MODEL, windowEndingAt(NOW, 1));
    // then
    expect(traffic).toMatchObject({ requests: 1, skippedLines: 2, versions: [3], truncated: false });
    expect(traffic.table).toEqual({ columnNames: ['age'], columns: [[30]], rowCount: 1 });
  });

  it('counts a request split over several lines once, with all its rows', async () => {
    // given one request written as three parts (the endpoint splits a request larger than a line)
    const store = new MemoryObjectStore('monitoring');
    const part = (index: number) =>
      JSON.stringify({
        requestId: 'r',
        time: '2026-11-29T11:10:00.000Z',
        model: MODEL,
        version: 3,
        part: index,
        parts: 3,
        instances: [{ age: index }],
      });
    await store.put('capture/churn/dt=2026-11-29/hour=11/a.jsonl', `${part(1)}\n${part(2)}\n${part(3)}\n`);
    // when
    const traffic = await readCapturedTraffic(store, MODEL, windowEndingAt(NOW, 1));
    // then
    expect(traffic.requests).toBe(1);
    expect(traffic.table.rowCount).toBe(3);
  });

  it('stops at maxRows, keeping the newest requests', async () => {
    // given two hours of one-row requests
    const store = new MemoryObjectStore('monitoring');
    const line = (time: string, age: number) => JSON.stringify({ time, version: 1, instances: [{ age }] });
    await store.put('capture/churn/dt=2026-11-29/hour=10/a.jsonl', `${line('2026-11-29T10:05:00Z', 1)}\n`);
    await store.put('capture/churn/dt=2026-11-29/hour=11/a.jsonl', `${line('2026-11-29T11:05:00Z', 2)}\n`);
    // when
    const traffic = await readCapturedTraffic(store, MODEL, windowEndingAt(NOW, 2), { maxRows: 1 });
    // then
    expect(traffic.truncated).toBe(true);
    expect(traffic.table.columns).toEqual([[2]]);
  });

  it('rejects values that are not capture records', () => {
    expect(parseCaptureLine('[1,2]')).toBeNull();
    expect(parseCaptureLine('{"time":"yesterday","instances":[]}')).toBeNull();
    expect(parseCaptureLine('{"time":"2026-11-29T11:00:00Z","instances":[{"a":1},7,null]}')?.instances).toEqual([
      { a: 1 },
    ]);
  });
});

describe('SNS alert publisher', () => {
  it('keeps subjects within what SNS accepts', () => {
    expect(snsSubject('Drift in churn:\n7 of 12 columns – drifted')).toBe('Drift in churn: 7 of 12 columns ? drifted');
    expect(snsSubject('x'.repeat(150))).toHaveLength(100);
    expect(snsSubject(' \n ')).toBe('mlops alert');
  });

  it('cuts a message over the size limit and says so', () => {
    const cut = snsMessage('é'.repeat(SNS_MESSAGE_MAX_BYTES));
    expect(new TextEncoder().encode(cut).length).toBeLessThan(SNS_MESSAGE_MAX_BYTES + 100);
    expect(cut).toMatch(/\[message truncated to \d+ bytes\]\n$/);
  });

  it('publishes to its topic and returns the message id', async () => {
    // given an SNS client whose send records the command
    const client = new SNSClient({ region: 'us-east-1' });
    const sent: unknown[] = [];
    client.send = (async (command: { input: unknown }) => {
      sent.push(command.input);
      return { MessageId: 'm-7' };
    }) as unknown as SNSClient['send'];
    // when
    const id = await new SnsPublisher(client, 'arn:aws:sns:us-east-1:0:t').publish({ subject: 'S', message: 'M' });
    // then
    expect(id).toBe('m-7');
    expect(sent).toEqual([{ TopicArn: 'arn:aws:sns:us-east-1:0:t', Subject: 'S', Message: 'M' }]);
  });
});

describe('metric dimensions', () => {
  it('turns a column name into a CloudWatch dimension value', () => {
    expect(dimensionValue('age')).toBe('age');
    expect(dimensionValue('größe')).toBe('gr__e');
    expect(dimensionValue('')).toBe('_');
  });
});
