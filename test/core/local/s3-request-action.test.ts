import { type S3RestRequest, s3RequestActions } from '../../../core/local/s3-request-action';

function request(method: string, path: string, headers: Record<string, string> = {}): S3RestRequest {
  const url = new URL(path, 'http://s3.local');
  const [, bucket, ...key] = url.pathname.split('/');
  return {
    method,
    bucket: bucket || undefined,
    key: key.length > 0 ? decodeURIComponent(key.join('/')) : undefined,
    query: Object.fromEntries(url.searchParams),
    header: (name) => headers[name] ?? '',
  };
}

describe('s3RequestActions', () => {
  it('maps GetObject and HeadObject to s3:GetObject on the object ARN', () => {
    for (const method of ['GET', 'HEAD']) {
      expect(s3RequestActions(request(method, '/b/registry/churn/aliases/production.json'))).toEqual([
        { action: 's3:GetObject', resource: 'arn:aws:s3:::b/registry/churn/aliases/production.json', context: {} },
      ]);
    }
  });

  it('maps ListObjectsV2 to s3:ListBucket on the bucket with s3:prefix, s3:delimiter and s3:max-keys', () => {
    expect(
      s3RequestActions(request('GET', '/b?list-type=2&prefix=capture%2Fchurn%2F&delimiter=%2F&max-keys=10')),
    ).toEqual([
      {
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::b',
        context: { 's3:prefix': 'capture/churn/', 's3:delimiter': '/', 's3:max-keys': '10' },
      },
    ]);
  });

  it('gives a listing without a prefix the empty s3:prefix, as S3 does', () => {
    expect(s3RequestActions(request('GET', '/b?list-type=2'))[0]?.context).toEqual({ 's3:prefix': '' });
  });

  it('carries If-None-Match of a PutObject as s3:if-none-match', () => {
    expect(s3RequestActions(request('PUT', '/b/k', { 'if-none-match': '*' }))).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k', context: { 's3:if-none-match': '*' } },
    ]);
  });

  it('needs GetObject on the source and PutObject on the target for CopyObject', () => {
    const actions = s3RequestActions(request('PUT', '/b/to', { 'x-amz-copy-source': 'src/a%2Bb/c.csv' }));
    expect(actions.map(({ action, resource }) => [action, resource])).toEqual([
      ['s3:PutObject', 'arn:aws:s3:::b/to'],
      ['s3:GetObject', 'arn:aws:s3:::src/a+b/c.csv'],
    ]);
  });

  it('maps the multipart calls: create and complete are PutObject, abort and list parts their own actions', () => {
    expect(s3RequestActions(request('POST', '/b/k?uploads'))[0]?.action).toBe('s3:PutObject');
    expect(s3RequestActions(request('PUT', '/b/k?partNumber=1&uploadId=u'))[0]?.action).toBe('s3:PutObject');
    expect(s3RequestActions(request('POST', '/b/k?uploadId=u'))[0]?.action).toBe('s3:PutObject');
    expect(s3RequestActions(request('DELETE', '/b/k?uploadId=u'))[0]?.action).toBe('s3:AbortMultipartUpload');
    expect(s3RequestActions(request('GET', '/b/k?uploadId=u'))[0]?.action).toBe('s3:ListMultipartUploadParts');
  });

  it('maps DeleteObject, versioned reads and deletes, and tagging', () => {
    expect(s3RequestActions(request('DELETE', '/b/k'))[0]?.action).toBe('s3:DeleteObject');
    expect(s3RequestActions(request('GET', '/b/k?versionId=v1'))[0]?.action).toBe('s3:GetObjectVersion');
    expect(s3RequestActions(request('DELETE', '/b/k?versionId=v1'))[0]?.action).toBe('s3:DeleteObjectVersion');
    expect(s3RequestActions(request('PUT', '/b/k?tagging'))[0]?.action).toBe('s3:PutObjectTagging');
  });

  it('maps bucket calls: ListBuckets, CreateBucket, GetBucketLocation, HeadBucket', () => {
    expect(s3RequestActions(request('GET', '/'))[0]).toEqual({
      action: 's3:ListAllMyBuckets',
      resource: '*',
      context: {},
    });
    expect(s3RequestActions(request('PUT', '/b'))[0]?.action).toBe('s3:CreateBucket');
    expect(s3RequestActions(request('GET', '/b?location'))[0]?.action).toBe('s3:GetBucketLocation');
    expect(s3RequestActions(request('HEAD', '/b'))[0]?.action).toBe('s3:ListBucket');
  });

  it('refuses to map a call it does not know, naming it', () => {
    expect(() => s3RequestActions(request('POST', '/b?delete'))).toThrow(/DeleteObjects/);
    expect(() => s3RequestActions(request('PUT', '/b/k?attributes'))).toThrow(/PUT \?attributes/);
  });
});
