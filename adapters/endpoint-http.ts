import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One HTTP request to a model endpoint and its whole answer; the status is the caller's to judge. */

export interface EndpointAnswer {
  readonly status: number;
  readonly text: string;
}

/** The request never got an HTTP answer: refused, reset, timed out, a bad certificate. */
export class EndpointNetworkError extends Error {
  override readonly name = 'EndpointNetworkError';
}

export function sendRequest(
  method: string,
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string,
  timeoutMs: number,
): Promise<EndpointAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', (error) => reject(new EndpointNetworkError(`${url.origin}: ${error.message}`)));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on('error', (error) => reject(new EndpointNetworkError(`${url.origin}: ${error.message}`)));
    request.end(body);
  });
}
