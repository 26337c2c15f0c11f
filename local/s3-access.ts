import S3Error = require('s3rver/lib/models/error');

/** The Koa context fields these middlewares use. */
interface AccessContext {
  method: string;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  get(header: string): string;
  is(...types: string[]): string | false | null;
}

type Next = () => Promise<void>;

/** Headers only browsers send: Origin on cross-site and non-GET requests, fetch metadata on every request. */
const BROWSER_HEADERS = ['origin', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user'];
const FORM_TYPES = ['multipart/form-data', 'application/x-www-form-urlencoded'];
const SIGNATURE_V4 = /^AWS4-HMAC-SHA256\s+Credential=[^/\s,]+\//;

/**
 * Only the platform's own clients may talk to the local S3: requests without AWS Signature V4
 * credentials (an Authorization header or a presigned URL's X-Amz-Credential) and anything a
 * browser sends (a page on any site can reach loopback) are refused with 403 AccessDenied, as S3
 * answers. s3rver itself lets unsigned requests through and serves browser form POST uploads.
 * Signatures are not verified: the credentials are dummies; what matters is that a browser cannot
 * produce the request.
 */
export async function refuseBrowsersAndUnsignedRequests(ctx: AccessContext, next: Next): Promise<void> {
  const browserHeader = BROWSER_HEADERS.find((name) => ctx.get(name) !== '');
  if (browserHeader) {
    throw new S3Error(
      'AccessDenied',
      `Access Denied: the local S3 does not serve browsers (received a ${browserHeader} header: ${JSON.stringify(ctx.get(browserHeader))}); use an AWS SDK or the AWS CLI (Node's fetch also sends sec-fetch-mode: use node:http or curl for a presigned URL)`,
    );
  }
  if (ctx.is(...FORM_TYPES)) {
    throw new S3Error(
      'AccessDenied',
      `Access Denied: the local S3 does not accept HTML form uploads (received content-type ${JSON.stringify(ctx.get('content-type'))}); use PutObject from an AWS SDK or the AWS CLI`,
    );
  }
  if (!hasSignatureV4Credentials(ctx)) {
    throw new S3Error(
      'AccessDenied',
      `Access Denied: the request carries no AWS Signature V4 credentials (authorization header: ${JSON.stringify(ctx.get('authorization'))}, no X-Amz-Credential query parameter); sign it with any credentials, e.g. AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
    );
  }
  return next();
}

function hasSignatureV4Credentials(ctx: AccessContext): boolean {
  if (SIGNATURE_V4.test(ctx.get('authorization'))) return true;
  const credential = ctx.query['X-Amz-Credential'];
  return ctx.query['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256' && typeof credential === 'string' && credential !== '';
}

/**
 * CopyObject names its source in `x-amz-copy-source` as `bucket/key`, URL-encoded. s3rver decodes
 * it with decodeURI, which leaves `%2B`, `%3D`, `%3F`, `%23`... encoded (so a key with `+` is not
 * found) and throws on a literal `%`. Decoded here once, re-encoded so decodeURI gives it back.
 */
export async function normaliseCopySource(ctx: AccessContext, next: Next): Promise<void> {
  const source = ctx.headers['x-amz-copy-source'];
  if (typeof source !== 'string' || source === '') return next();
  // A version id follows a literal '?'; in an encoded key it is %3F.
  const path = source.split('?')[0]!.replace(/^\//, '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new S3Error(
      'InvalidArgument',
      `Invalid copy source encoding: ${JSON.stringify(source)}; URL-encode the key (encodeURIComponent per segment)`,
      { ArgumentName: 'x-amz-copy-source', ArgumentValue: source },
    );
  }
  ctx.headers['x-amz-copy-source'] = encodeURI(decoded);
  return next();
}
