import { once, requiredEnv, zoneBucketFromEnv } from '../../../lambdas/shared/environment';

describe('requiredEnv', () => {
  it('names the variable and says what it is when it is unset or blank', () => {
    expect(() => requiredEnv('MLOPS_TOPIC_ARN', 'the SNS topic ARN', { MLOPS_TOPIC_ARN: ' ' })).toThrow(
      /MLOPS_TOPIC_ARN:\n {2}- \(root\): is not set: the SNS topic ARN/,
    );
  });

  it('returns the value trimmed', () => {
    expect(requiredEnv('MLOPS_EVENT_BUS_NAME', 'the bus', { MLOPS_EVENT_BUS_NAME: ' default ' })).toBe('default');
  });
});

describe('zoneBucketFromEnv', () => {
  it("names the zone's variable when it is not set", () => {
    expect(() => zoneBucketFromEnv('artifacts', {})).toThrow(
      /MLOPS_ARTIFACTS_BUCKET[\s\S]*artifacts zone's bucket name/,
    );
  });
});

describe('once', () => {
  it('builds on first use and keeps the value', () => {
    let builds = 0;
    const get = once(() => ++builds);
    expect([get(), get()]).toEqual([1, 1]);
  });

  it('does not keep a failed build, so the next call tries again', () => {
    let calls = 0;
    const get = once(() => {
      calls += 1;
      if (calls === 1) throw new Error('misconfigured');
      return 'built';
    });
    expect(get).toThrow('misconfigured');
    expect(get()).toBe('built');
  });
});
