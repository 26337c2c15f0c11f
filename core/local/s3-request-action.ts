/**
 * What IAM authorizes for one S3 REST request (path-style, as the local S3 receives it): the
 * actions, each on its resource ARN with the request's S3 condition keys, as AWS maps the call
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
 * A request may need several: CopyObject needs GetObject on the source and PutObject on the target.
 */
export interface S3RestRequest {
  readonly method: string;
  /** Absent for the service (ListBuckets). */
  readonly bucket?: string;
  /** Absent for bucket-level requests. */
  readonly key?: string;
  readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Lower-case header names. */
  readonly header: (name: string) => string;
}

export interface AuthorizedAction {
  readonly action: string;
  readonly resource: string;
  /** Condition keys the request carries (S3-specific ones; global keys are added by the evaluator). */
  readonly context: Readonly<Record<string, string>>;
}

/** Bucket sub-resources (`?cors`, `?policy`...) and the actions their GET / PUT / DELETE need. */
const BUCKET_SUBRESOURCES: Readonly<Record<string, { GET?: string; PUT?: string; DELETE?: string }>> = {
  location: { GET: 's3:GetBucketLocation' },
  versioning: { GET: 's3:GetBucketVersioning', PUT: 's3:PutBucketVersioning' },
  policy: { GET: 's3:GetBucketPolicy', PUT: 's3:PutBucketPolicy', DELETE: 's3:DeleteBucketPolicy' },
  cors: { GET: 's3:GetBucketCORS', PUT: 's3:PutBucketCORS', DELETE: 's3:PutBucketCORS' },
  acl: { GET: 's3:GetBucketAcl', PUT: 's3:PutBucketAcl' },
  tagging: { GET: 's3:GetBucketTagging', PUT: 's3:PutBucketTagging', DELETE: 's3:PutBucketTagging' },
  website: { GET: 's3:GetBucketWebsite', PUT: 's3:PutBucketWebsite', DELETE: 's3:DeleteBucketWebsite' },
  lifecycle: {
    GET: 's3:GetLifecycleConfiguration',
    PUT: 's3:PutLifecycleConfiguration',
    DELETE: 's3:PutLifecycleConfiguration',
  },
  notification: { GET: 's3:GetBucketNotification', PUT: 's3:PutBucketNotification' },
  encryption: { GET: 's3:GetEncryptionConfiguration', PUT: 's3:PutEncryptionConfiguration' },
  versions: { GET: 's3:ListBucketVersions' },
  uploads: { GET: 's3:ListBucketMultipartUploads' },
};

const OBJECT_SUBRESOURCES: Readonly<Record<string, { GET?: string; PUT?: string; DELETE?: string }>> = {
  tagging: { GET: 's3:GetObjectTagging', PUT: 's3:PutObjectTagging', DELETE: 's3:DeleteObjectTagging' },
  acl: { GET: 's3:GetObjectAcl', PUT: 's3:PutObjectAcl' },
  attributes: { GET: 's3:GetObjectAttributes' },
};

export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

export function objectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/**
 * The actions an S3 request needs. Throws for a request it cannot map (an unknown sub-resource),
 * so a new call is refused loudly rather than allowed unchecked.
 */
export function s3RequestActions(request: S3RestRequest): AuthorizedAction[] {
  const method = request.method.toUpperCase() as 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  const { bucket, key, query } = request;
  if (!bucket) {
    if (method === 'GET') return [{ action: 's3:ListAllMyBuckets', resource: '*', context: {} }];
    throw new Error(`no IAM action for S3 ${method} /`);
  }
  const has = (name: string) => name in query;
  if (key === undefined || key === '') {
    const resource = bucketArn(bucket);
    const subresource = Object.keys(BUCKET_SUBRESOURCES).find(has);
    if (subresource) {
      const action = BUCKET_SUBRESOURCES[subresource]![method as 'GET'];
      if (!action) throw new Error(`no IAM action for S3 ${method} ?${subresource}`);
      return [{ action, resource, context: {} }];
    }
    if (method === 'GET' || method === 'HEAD') {
      // ListObjects(V2) and HeadBucket both need ListBucket; s3:prefix is '' when none is given.
      const context: Record<string, string> = { 's3:prefix': single(query.prefix) ?? '' };
      const delimiter = single(query.delimiter);
      if (delimiter !== undefined) context['s3:delimiter'] = delimiter;
      const maxKeys = single(query['max-keys']);
      if (maxKeys !== undefined) context['s3:max-keys'] = maxKeys;
      return [{ action: 's3:ListBucket', resource, context }];
    }
    if (method === 'PUT') return [{ action: 's3:CreateBucket', resource, context: {} }];
    if (method === 'DELETE') return [{ action: 's3:DeleteBucket', resource, context: {} }];
    throw new Error(
      `no IAM action for S3 ${method} on a bucket${method === 'POST' && has('delete') ? ' (DeleteObjects is not served by the local S3)' : ''}`,
    );
  }

  const resource = objectArn(bucket, key);
  const versionId = single(query.versionId);
  const subresource = Object.keys(OBJECT_SUBRESOURCES).find(has);
  if (subresource) {
    const action = OBJECT_SUBRESOURCES[subresource]![method as 'GET'];
    if (!action) throw new Error(`no IAM action for S3 ${method} ?${subresource} on an object`);
    return [{ action, resource, context: {} }];
  }
  switch (method) {
    case 'GET':
      if (has('uploadId')) return [{ action: 's3:ListMultipartUploadParts', resource, context: {} }];
      return [{ action: versionId ? 's3:GetObjectVersion' : 's3:GetObject', resource, context: {} }];
    case 'HEAD':
      return [{ action: versionId ? 's3:GetObjectVersion' : 's3:GetObject', resource, context: {} }];
    case 'PUT':
    case 'POST': {
      // PutObject, UploadPart, CreateMultipartUpload (POST ?uploads) and CompleteMultipartUpload
      // (POST ?uploadId) are all s3:PutObject; CopyObject and UploadPartCopy also read their source.
      const context: Record<string, string> = {};
      const ifNoneMatch = request.header('if-none-match');
      if (ifNoneMatch) context['s3:if-none-match'] = ifNoneMatch;
      const ifMatch = request.header('if-match');
      if (ifMatch) context['s3:if-match'] = ifMatch;
      const actions: AuthorizedAction[] = [{ action: 's3:PutObject', resource, context }];
      const copySource = request.header('x-amz-copy-source');
      if (method === 'PUT' && copySource) actions.push(copySourceAction(copySource));
      return actions;
    }
    case 'DELETE':
      if (has('uploadId')) return [{ action: 's3:AbortMultipartUpload', resource, context: {} }];
      return [{ action: versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource, context: {} }];
    default:
      throw new Error(`no IAM action for S3 ${request.method} on an object`);
  }
}

/** `x-amz-copy-source: bucket/key[?versionId=...]`, URL-encoded. */
function copySourceAction(copySource: string): AuthorizedAction {
  const [path = '', search = ''] = copySource.replace(/^\//, '').split('?');
  const decoded = decodeURIComponent(path);
  const slash = decoded.indexOf('/');
  const versioned = new URLSearchParams(search).has('versionId');
  return {
    action: versioned ? 's3:GetObjectVersion' : 's3:GetObject',
    resource: objectArn(decoded.slice(0, slash), decoded.slice(slash + 1)),
    context: {},
  };
}
