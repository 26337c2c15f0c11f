import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks a received request's SigV4 signature the way AWS does, written from the published
 * algorithm (not with the signer under test): canonical request, string to sign, derived key,
 * HMAC. Test servers and the local Function URLs (AWS_IAM) refuse what this refuses.
 */

export interface ReceivedRequest {
  readonly method: string;
  /** The request target as received: path and query, still percent-encoded. */
  readonly target: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface Expected {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 unreserved characters stay; everything else is %XX in upper case. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(search: string): string {
  if (search === '') return '';
  const pairs = search.split('&').map((part) => {
    const [key = '', value = ''] = part.split('=');
    return [uriEncode(decodeURIComponent(key)), uriEncode(decodeURIComponent(value))] as const;
  });
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

/** Services other than S3 sign the path URI-encoded once more (each segment of the path as received). */
function canonicalPath(path: string): string {
  return path
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
}

function headerValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

export function verifySigV4(request: ReceivedRequest, expected: Expected): Verdict {
  const authorization = headerValue(request.headers.authorization);
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return { ok: false, reason: `no SigV4 Authorization header (got "${authorization}")` };
  const [, accessKeyId, day, region, service, signedHeaderList, signature] = match as unknown as string[];
  if (accessKeyId !== expected.accessKeyId) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (region !== expected.region) return { ok: false, reason: `signed for region ${region}, not ${expected.region}` };
  if (service !== expected.service)
    return { ok: false, reason: `signed for service ${service}, not ${expected.service}` };
  const amzDate = headerValue(request.headers['x-amz-date']);
  if (!amzDate.startsWith(day!)) return { ok: false, reason: `x-amz-date ${amzDate} is not the scope's day ${day}` };
  const signedHeaders = signedHeaderList!.split(';');
  const token = request.headers['x-amz-security-token'] === undefined ? [] : ['x-amz-security-token'];
  for (const required of ['host', 'x-amz-date', ...token]) {
    if (!signedHeaders.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }
  const payloadHash = sha256Hex(request.body);
  const claimed = request.headers['x-amz-content-sha256'];
  if (claimed !== undefined && headerValue(claimed) !== payloadHash) {
    return { ok: false, reason: 'x-amz-content-sha256 does not match the body' };
  }
  const [path = '/', search = ''] = request.target.split('?');
  const canonicalRequest = [
    request.method,
    canonicalPath(path),
    canonicalQuery(search),
    signedHeaders.map((name) => `${name}:${headerValue(request.headers[name])}\n`).join(''),
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${expected.secretAccessKey}`, day!), region!), service!), 'aws4_request');
  const computed = createHmac('sha256', key).update(stringToSign).digest();
  if (!timingSafeEqual(computed, Buffer.from(signature!, 'hex'))) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true };
}
