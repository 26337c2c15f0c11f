import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * SigV4 signing of one HTTP request with @smithy/signature-v4 (what the AWS SDK signs with), for
 * callers that talk to an AWS endpoint without an SDK client: `mlops invoke` and Lambda Function
 * URLs with AWS_IAM auth (service `lambda`).
 */

type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  /** Headers to send; `host` is added from the URL. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SigV4SignerOptions {
  readonly region: string;
  /** The signing name: `lambda` for Function URLs. */
  readonly service: string;
  /** Fixed credentials or a provider such as the default chain's. */
  readonly credentials: Credentials;
}

/** What the signer hashes: text or bytes. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the signer takes (no extra package). */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(this.secret));
  }
}

/** Returns a function giving the headers to send: the request's own plus host, x-amz-date, the content hash and Authorization. */
export function sigV4Signer(options: SigV4SignerOptions) {
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
  });
  return async (request: RequestToSign, signingDate?: Date): Promise<Record<string, string>> => {
    const { url } = request;
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const previous = query[key];
      query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    }
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      signingDate ? { signingDate } : {},
    );
    return signed.headers as Record<string, string>;
  };
}
