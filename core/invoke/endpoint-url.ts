import { endpointUrlOutputKey } from '../config/stack-outputs';

/** Where `mlops invoke` sends its requests, and what it can tell from the address alone. */

/** Raised when no endpoint address can be found or the one given is not usable. */
export class EndpointLookupError extends Error {
  override readonly name = 'EndpointLookupError';
}

/**
 * The predict URL of an endpoint given by its Function URL root (`https://x.lambda-url.eu-west-1.on.aws/`,
 * `http://127.0.0.1:3000/churn/`) or by its predict URL itself; `explain` adds `?explain=true`.
 */
export function predictUrl(endpoint: string, options: { explain?: boolean } = {}): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointLookupError(`"${endpoint}" is not a URL; expected e.g. https://<id>.lambda-url.<region>.on.aws/`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new EndpointLookupError(`"${endpoint}" is not an http(s) URL`);
  }
  if (!/\/predict\/?$/.test(url.pathname)) {
    url.pathname = `${url.pathname.replace(/\/?$/, '/')}predict`;
  }
  url.search = '';
  url.hash = '';
  if (options.explain) url.searchParams.set('explain', 'true');
  return url;
}

/** A Lambda Function URL's region: `<url-id>.lambda-url.<region>.on.aws`; undefined for any other host. */
export function regionOfFunctionUrl(url: URL): string | undefined {
  return /^[^.]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1];
}

/** SigV4 for AWS (https), none for the local platform's plain http on loopback, unless told. */
export type AuthChoice = 'auto' | 'iam' | 'none';

export function signsRequests(url: URL, auth: AuthChoice): boolean {
  return auth === 'auto' ? url.protocol === 'https:' : auth === 'iam';
}

/** A model's endpoint from the deployed stack's outputs (`<Model>EndpointUrl`). */
export function endpointFromStackOutputs(
  outputs: ReadonlyArray<{ readonly OutputKey?: string; readonly OutputValue?: string }>,
  model: string,
  stackName: string,
): string {
  const key = endpointUrlOutputKey(model);
  const found = outputs.find((output) => output.OutputKey === key)?.OutputValue;
  if (found) return found;
  const endpointKeys = outputs
    .map((output) => output.OutputKey ?? '')
    .filter((outputKey) => outputKey.endsWith('EndpointUrl'));
  throw new EndpointLookupError(
    `stack ${stackName} has no output ${key} for model "${model}"` +
      (endpointKeys.length > 0 ? `; its endpoint outputs are ${endpointKeys.join(', ')}` : '; is it an mlops stack?'),
  );
}
