import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { HttpError } from '../shared/http';
import type { SageMakerInvoke } from './sagemaker';

/** Errors SageMaker raises while the endpoint is busy or starting: the client may retry (503). */
const RETRYABLE = new Set(['ThrottlingException', 'ServiceUnavailable', 'ModelNotReadyException', 'InternalFailure']);

/**
 * InvokeEndpoint with the SDK. A failure is the endpoint's, never the caller's: 503 when
 * retrying may help, 502 otherwise, with SageMaker's own message (it names what went wrong).
 */
export function sageMakerInvoker(client: SageMakerRuntimeClient, endpointName: string): SageMakerInvoke {
  return async ({ body, contentType, accept }) => {
    try {
      const response = await client.send(
        new InvokeEndpointCommand({ EndpointName: endpointName, Body: body, ContentType: contentType, Accept: accept }),
      );
      return { body: response.Body ?? new Uint8Array(), contentType: response.ContentType };
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      const message = `SageMaker endpoint ${endpointName} failed (${name}): ${(error as Error).message}`;
      throw new HttpError(
        RETRYABLE.has(name) ? 503 : 502,
        message,
        undefined,
        RETRYABLE.has(name) ? { 'retry-after': '1' } : {},
      );
    }
  };
}

/** The invoker of the function's own endpoint, with a client configured from the environment (handler.ts loads it lazily). */
export function sageMakerInvokerFor(endpointName: string): SageMakerInvoke {
  return sageMakerInvoker(new SageMakerRuntimeClient({}), endpointName);
}
