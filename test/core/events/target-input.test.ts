import { readJsonPath, renderTargetInput } from '../../../core/events/target-input';

const rule = { name: 'UploadRule', arn: 'arn:aws:events:us-east-1:123456789012:rule/UploadRule' };
const event = {
  version: '0',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  time: '2026-12-07T23:00:00Z',
  resources: ['arn:aws:s3:::curated'],
  detail: { bucket: { name: 'curated' }, object: { key: 'churn/score/input/a "quoted" name.csv', size: 12 } },
};

describe('renderTargetInput', () => {
  it('fills a JSON template: text inside quotes (escaped), JSON values outside', () => {
    // given the transformer the batch-scoring upload rule synthesizes, plus an unquoted number
    const input = renderTargetInput(
      {
        InputTransformer: {
          InputPathsMap: { bucket: '$.detail.bucket.name', key: '$.detail.object.key', size: '$.detail.object.size' },
          InputTemplate: '{"input":"s3://<bucket>/<key>","shards":"1","size":<size>}',
        },
      },
      event,
      rule,
    );
    // then the result is JSON whose input names the object, quotes and all
    expect(JSON.parse(input)).toEqual({
      input: 's3://curated/churn/score/input/a "quoted" name.csv',
      shards: '1',
      size: 12,
    });
  });

  it('gives an empty string inside quotes and null outside for a path the event lacks, and knows the predefined variables', () => {
    const input = renderTargetInput(
      {
        InputTransformer: {
          InputPathsMap: { missing: '$.detail.nothing' },
          InputTemplate: '{"a":"<missing>","b":<missing>,"rule":"<aws.events.rule-name>","event":<aws.events.event>}',
        },
      },
      event,
      rule,
    );
    expect(JSON.parse(input)).toEqual({ a: '', b: null, rule: 'UploadRule', event });
  });

  it('fills a text template with each value’s text', () => {
    const input = renderTargetInput(
      { InputTransformer: { InputPathsMap: { size: '$.detail.object.size' }, InputTemplate: 'size is <size>' } },
      event,
      rule,
    );
    expect(input).toBe('size is 12');
  });

  it('sends constant Input as given, InputPath’s part of the event, and with neither the whole event', () => {
    expect(renderTargetInput({ Input: '{"shards":"2"}' }, event, rule)).toBe('{"shards":"2"}');
    expect(JSON.parse(renderTargetInput({ InputPath: '$.detail.bucket' }, event, rule))).toEqual({ name: 'curated' });
    expect(JSON.parse(renderTargetInput({}, event, rule))).toEqual(event);
  });
});

describe('readJsonPath', () => {
  it('reads dot notation and array indices, undefined where the event has nothing', () => {
    expect(readJsonPath(event, '$.resources[0]')).toBe('arn:aws:s3:::curated');
    expect(readJsonPath(event, '$.detail.object.size')).toBe(12);
    expect(readJsonPath(event, '$.detail.nope.deeper')).toBeUndefined();
    expect(readJsonPath(event, '$')).toBe(event);
  });

  it('refuses syntax it does not emulate', () => {
    expect(() => readJsonPath(event, '$..key')).toThrow(/not emulated/);
  });
});
