import {
  EndpointLookupError,
  endpointFromStackOutputs,
  predictUrl,
  regionOfFunctionUrl,
  signsRequests,
} from '../../../core/invoke/endpoint-url';

describe('the endpoint address', () => {
  it('makes the predict URL from a Function URL root, a local route, or the predict URL itself', () => {
    expect(predictUrl('https://abc123.lambda-url.eu-west-1.on.aws/').href).toBe(
      'https://abc123.lambda-url.eu-west-1.on.aws/predict',
    );
    expect(predictUrl('https://abc123.lambda-url.eu-west-1.on.aws').href).toBe(
      'https://abc123.lambda-url.eu-west-1.on.aws/predict',
    );
    expect(predictUrl('http://127.0.0.1:3000/churn/').href).toBe('http://127.0.0.1:3000/churn/predict');
    expect(predictUrl('http://127.0.0.1:3000/churn/predict').href).toBe('http://127.0.0.1:3000/churn/predict');
  });

  it('adds ?explain=true when asked, and drops any other query', () => {
    expect(predictUrl('https://x.lambda-url.us-east-1.on.aws/?a=1', { explain: true }).href).toBe(
      'https://x.lambda-url.us-east-1.on.aws/predict?explain=true',
    );
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => predictUrl('abc.lambda-url.eu-west-1.on.aws')).toThrow(EndpointLookupError);
    expect(() => predictUrl('ftp://host/')).toThrow('"ftp://host/" is not an http(s) URL');
  });

  it('reads the region from a Function URL host, and none from any other host', () => {
    expect(regionOfFunctionUrl(new URL('https://abc123.lambda-url.ap-southeast-2.on.aws/predict'))).toBe(
      'ap-southeast-2',
    );
    expect(regionOfFunctionUrl(new URL('https://models.example.com/predict'))).toBeUndefined();
    expect(regionOfFunctionUrl(new URL('http://127.0.0.1:3000/churn/predict'))).toBeUndefined();
  });

  it('signs https URLs and not http ones by default; iam and none decide by themselves', () => {
    const aws = new URL('https://abc.lambda-url.eu-west-1.on.aws/predict');
    const local = new URL('http://127.0.0.1:3000/churn/predict');
    expect([signsRequests(aws, 'auto'), signsRequests(local, 'auto')]).toEqual([true, false]);
    expect([signsRequests(local, 'iam'), signsRequests(aws, 'none')]).toEqual([true, false]);
  });

  it("finds a model's endpoint in the stack outputs, or names the ones there are", () => {
    const outputs = [
      { OutputKey: 'ChurnEuEndpointUrl', OutputValue: 'https://a.lambda-url.eu-west-1.on.aws/' },
      { OutputKey: 'RawBucketName', OutputValue: 'raw' },
    ];
    expect(endpointFromStackOutputs(outputs, 'churn-eu', 'mlops')).toBe('https://a.lambda-url.eu-west-1.on.aws/');
    expect(() => endpointFromStackOutputs(outputs, 'churn', 'mlops')).toThrow(
      'stack mlops has no output ChurnEndpointUrl for model "churn"; its endpoint outputs are ChurnEuEndpointUrl',
    );
  });
});
