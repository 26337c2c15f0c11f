import { classifyEvents, type ModelView, planRetrains } from '../../../core/trigger/retrain-plan';
import { NAMES_IN_STATE, STATES_PAYLOAD_LIMIT_BYTES } from '../../../core/workflow/contract';
import { at, executionFinished, objectCreated } from './events';

const config = { models: ['churn', 'fraud'], rawBucket: 'raw' };
const NOW = new Date('2026-01-01T02:00:00Z');
const idle: ModelView = { running: [], pending: [] };

function plan(events: unknown[], views: Record<string, ModelView> = {}) {
  const classified = classifyEvents(events, config);
  return { classified, ...planRetrains(classified, new Map(Object.entries(views)), NOW) };
}

describe('classifying a batch', () => {
  it('never starts a retrain for actuals uploaded under feedback/<model>/', () => {
    // given a CSV of outcomes uploaded for a configured model
    const { classified, starts } = plan([objectCreated('feedback/churn/outcomes.csv', at(1))], { churn: idle });
    // then nothing starts, and the event is ignored with the reason
    expect(starts).toEqual([]);
    expect(classified.uploads.size).toBe(0);
    expect(classified.ignored[0]?.reason).toBe(
      's3://raw/feedback/churn/outcomes.csv is an actuals upload: the ground-truth join reads it, it never starts a retrain',
    );
  });

  it('ignores an object outside any configured model prefix with a reason', () => {
    // when
    const { ignored } = classifyEvents([objectCreated('unknown/a.csv', at(1))], config);
    // then
    expect(ignored[0]?.reason).toBe('s3://raw/unknown/a.csv is not under a configured model prefix (churn/, fraud/)');
  });

  it('ignores a file that is not data with a reason', () => {
    // when
    const { ignored } = classifyEvents([objectCreated('churn/notes.md', at(1))], config);
    // then
    expect(ignored[0]?.reason).toMatch(/churn\/notes\.md is not a data file \(data files end in \.csv, \.tsv/);
  });

  it('accepts data extensions in any case', () => {
    // when
    const { uploads } = classifyEvents([objectCreated('churn/A.CSV', at(1))], config);
    // then
    expect(uploads.get('churn')?.map((upload) => upload.key)).toEqual(['churn/A.CSV']);
  });

  it('ignores an object in another bucket', () => {
    // when
    const { ignored } = classifyEvents([objectCreated('churn/a.csv', at(1), 'other')], config);
    // then
    expect(ignored[0]?.reason).toBe('s3://other/churn/a.csv is not in the raw bucket raw');
  });

  it('ignores an execution that started rather than finished', () => {
    // when
    const { ignored, finished } = classifyEvents([executionFinished('churn', 'arn:exec:1', 'RUNNING')], config);
    // then
    expect(finished.size).toBe(0);
    expect(ignored[0]?.reason).toBe('execution arn:exec:1 is RUNNING, not finished');
  });

  it('ignores an event of another kind and says what it was', () => {
    // when
    const { ignored } = classifyEvents(
      [{ id: 'x', source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change' }],
      config,
    );
    // then
    expect(ignored[0]).toEqual({
      eventId: 'x',
      reason:
        'not an S3 Object Created or Step Functions status event: source aws.ec2, detail-type EC2 Instance State-change',
    });
  });

  it('counts the same key uploaded twice once', () => {
    // when
    const { uploads } = classifyEvents(
      [objectCreated('churn/a.csv', at(1)), objectCreated('churn/a.csv', at(2))],
      config,
    );
    // then
    expect(uploads.get('churn')).toHaveLength(1);
    expect(uploads.get('churn')?.[0]?.at).toBe(at(2));
  });
});

describe('object keys from EventBridge', () => {
  it.each(['churn/new data.csv', 'churn/c++ batch+1.csv', 'churn/100% done %20.csv', 'churn/données-日本.csv'])(
    'takes %s literally: EventBridge carries the key itself, not form-encoded',
    (key) => {
      // when
      const { starts } = plan([objectCreated(key, at(1))], { churn: idle });
      // then
      expect(starts[0]?.input).toMatchObject({ dataKey: key, trigger: { objects: [key] } });
    },
  );
});

describe('planning starts', () => {
  it('starts one run for a burst of 50 uploads, training on the newest', () => {
    // given
    const events = Array.from({ length: 50 }, (_, index) => objectCreated(`churn/part-${index}.csv`, at(index)));
    // when
    const { starts, markers } = plan(events, { churn: idle });
    // then
    expect(starts).toHaveLength(1);
    expect(markers).toHaveLength(0);
    expect(starts[0]?.input.trigger.kind).toBe('upload');
    expect(starts[0]?.input.dataKey).toBe('churn/part-49.csv');
  });

  it('puts the first 20 keys and the count of a 50-upload burst in the input, and all 50 in the manifest', () => {
    // given
    const events = Array.from({ length: 50 }, (_, index) => objectCreated(`churn/part-${index}.csv`, at(index)));
    // when
    const { starts } = plan(events, { churn: idle });
    // then
    const start = starts[0]!;
    expect(start.input.trigger.objects).toEqual(
      Array.from({ length: NAMES_IN_STATE }, (_, i) => `churn/part-${i}.csv`),
    );
    expect(start.input.trigger.objectCount).toBe(50);
    expect(start.input.trigger.manifestKey).toBe(`triggers/churn/manifests/${start.executionName}.json`);
    expect(start.manifest?.objects).toHaveLength(50);
  });

  it('writes no manifest when every key fits in the input', () => {
    // when
    const { starts } = plan([objectCreated('churn/a.csv', at(1))], { churn: idle });
    // then
    expect(starts[0]?.input.trigger).toMatchObject({ objects: ['churn/a.csv'], objectCount: 1 });
    expect(starts[0]?.input.trigger.manifestKey).toBeUndefined();
    expect(starts[0]?.manifest).toBeUndefined();
  });

  it('keeps the input of 1,000 queued uploads with 1,024-byte keys far under 256 KiB', () => {
    // given the worst key: 1,024 bytes, each a control character JSON escapes to six bytes
    const key = (i: number) => `churn/${String(i).padStart(4, '0')}${'\u0001'.repeat(1024 - 14)}.csv`;
    const markers = Array.from({ length: 50 }, (_, m) => ({
      id: `marker-${m}`,
      model: 'churn',
      objects: Array.from({ length: 20 }, (_, i) => key(m * 20 + i)),
      newestKey: key(m * 20 + 19),
      newestAt: at(m),
      createdAt: at(m),
    }));
    expect(Buffer.byteLength(key(0))).toBe(1024);
    // when the run ends and the follow-up starts over all of them
    const { starts } = plan([executionFinished('churn', 'arn:run-1')], {
      churn: { running: ['arn:run-1'], pending: markers },
    });
    // then
    const input = starts[0]!.input;
    expect(input.trigger.objectCount).toBe(1000);
    expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(STATES_PAYLOAD_LIMIT_BYTES / 2);
  });

  it('starts one run per model when two models receive uploads', () => {
    // when
    const { starts } = plan([objectCreated('churn/a.csv', at(1)), objectCreated('fraud/b.csv', at(2))]);
    // then
    expect(starts.map((start) => start.input.model)).toEqual(['churn', 'fraud']);
  });

  it('names the execution after the events, so a redelivered batch starts the same execution', () => {
    // given
    const events = [objectCreated('churn/a.csv', at(1)), objectCreated('churn/b.csv', at(2))];
    // when
    const first = plan(events).starts[0]?.executionName;
    const redelivered = plan([...events].reverse()).starts[0]?.executionName;
    // then
    expect(first).toMatch(/^churn-upload-[0-9a-f]{24}$/);
    expect(redelivered).toBe(first);
  });

  it('writes a pending marker instead of starting while a run is in progress', () => {
    // when
    const { starts, markers } = plan([objectCreated('churn/a.csv', at(1)), objectCreated('churn/b.csv', at(2))], {
      churn: { running: ['arn:exec:1'], pending: [] },
    });
    // then
    expect(starts).toHaveLength(0);
    expect(markers).toEqual([
      expect.objectContaining({ model: 'churn', objects: ['churn/a.csv', 'churn/b.csv'], newestKey: 'churn/b.csv' }),
    ]);
  });

  it('starts a follow-up that consumes pending markers when the run finishes', () => {
    // given
    const marker = plan([objectCreated('churn/late.csv', at(5))], { churn: { running: ['arn:exec:1'], pending: [] } })
      .markers[0]!;
    // when the finished execution is still listed as running (eventual consistency)
    const { starts } = plan([executionFinished('churn', 'arn:exec:1')], {
      churn: { running: ['arn:exec:1'], pending: [marker] },
    });
    // then
    expect(starts).toHaveLength(1);
    expect(starts[0]?.input).toMatchObject({ dataKey: 'churn/late.csv', trigger: { objects: ['churn/late.csv'] } });
    expect(starts[0]?.input.trigger.reason).toMatch(/^follow-up run/);
    expect(starts[0]?.consumesMarkers).toEqual([marker.id]);
  });

  it('starts nothing when a run finishes with no pending uploads', () => {
    // when
    const { starts } = plan([executionFinished('churn', 'arn:exec:1')], {
      churn: { running: ['arn:exec:1'], pending: [] },
    });
    // then
    expect(starts).toHaveLength(0);
  });

  it('merges pending markers and new uploads into one start, newest data last', () => {
    // given
    const marker = plan([objectCreated('churn/old.csv', at(1))], { churn: { running: ['arn:exec:1'], pending: [] } })
      .markers[0]!;
    // when
    const { starts } = plan([executionFinished('churn', 'arn:exec:1'), objectCreated('churn/new.csv', at(9))], {
      churn: { running: ['arn:exec:1'], pending: [marker] },
    });
    // then
    expect(starts).toHaveLength(1);
    expect(starts[0]?.input.trigger.objects).toEqual(['churn/old.csv', 'churn/new.csv']);
    expect(starts[0]?.input.dataKey).toBe('churn/new.csv');
  });
});
