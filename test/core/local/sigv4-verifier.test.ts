import { verifySigV4 } from '../../../core/local/sigv4-verifier';

/**
 * The verifier itself against AWS's published example (the IAM ListUsers request of the
 * Signature Version 4 documentation), so a test that trusts it trusts the algorithm, not itself.
 */
const example = {
  method: 'GET',
  target: '/?Action=ListUsers&Version=2010-05-08',
  headers: {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: 'iam.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  },
  body: Buffer.alloc(0),
};
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'iam',
};

describe('the SigV4 verifier of the tests', () => {
  it("accepts AWS's published example signature", () => {
    expect(verifySigV4(example, credentials)).toEqual({ ok: true });
  });

  it('refuses the example with another secret', () => {
    expect(verifySigV4(example, { ...credentials, secretAccessKey: 'another' })).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it('refuses the example when a signed header was changed on the way', () => {
    const changed = { ...example, headers: { ...example.headers, host: 'iam.amazonaws.com.evil' } };
    expect(verifySigV4(changed, credentials)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses a signature for another service', () => {
    expect(verifySigV4(example, { ...credentials, service: 'lambda' })).toEqual({
      ok: false,
      reason: 'signed for service iam, not lambda',
    });
  });
});
