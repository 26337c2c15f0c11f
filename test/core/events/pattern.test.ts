import { matchesEventPattern, PatternNotEmulatedError } from '../../../core/events/pattern';

const upload = (bucket: string, key: string) => ({
  source: 'aws.s3',
  'detail-type': 'Object Created',
  resources: [`arn:aws:s3:::${bucket}`],
  detail: { bucket: { name: bucket }, object: { key, size: 10 } },
});

const scoringUploads = {
  source: ['aws.s3'],
  'detail-type': ['Object Created'],
  detail: { bucket: { name: ['curated'] }, object: { key: [{ prefix: 'churn/score/input/' }] } },
};

describe('matchesEventPattern', () => {
  it('matches an upload under the prefix in the named bucket', () => {
    expect(matchesEventPattern(scoringUploads, upload('curated', 'churn/score/input/rows.csv'))).toBe(true);
  });

  it('does not match another prefix, another bucket or another detail type', () => {
    expect(matchesEventPattern(scoringUploads, upload('curated', 'churn/score/output/rows.scored.csv'))).toBe(false);
    expect(matchesEventPattern(scoringUploads, upload('raw', 'churn/score/input/rows.csv'))).toBe(false);
    expect(
      matchesEventPattern(scoringUploads, {
        ...upload('curated', 'churn/score/input/a.csv'),
        'detail-type': 'Object Deleted',
      }),
    ).toBe(false);
  });

  it('matches any element of an array field, and a field the event lacks only with exists false', () => {
    expect(matchesEventPattern({ resources: ['arn:aws:s3:::curated'] }, upload('curated', 'k'))).toBe(true);
    expect(matchesEventPattern({ detail: { reason: [{ exists: false }] } }, upload('curated', 'k'))).toBe(true);
    expect(matchesEventPattern({ detail: { reason: ['PutObject'] } }, upload('curated', 'k'))).toBe(false);
  });

  it('reads suffix and anything-but', () => {
    const event = upload('curated', 'churn/score/input/rows.csv');
    expect(matchesEventPattern({ detail: { object: { key: [{ suffix: '.csv' }] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { bucket: { name: [{ 'anything-but': ['raw'] }] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { bucket: { name: [{ 'anything-but': 'curated' }] } } }, event)).toBe(false);
  });

  it('refuses an operator it does not emulate instead of matching wrongly', () => {
    expect(() =>
      matchesEventPattern({ detail: { object: { size: [{ numeric: ['>', 0] }] } } }, upload('curated', 'k')),
    ).toThrow(PatternNotEmulatedError);
  });
});
