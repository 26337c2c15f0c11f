import { randomUUID } from 'node:crypto';
import { ALIAS_MOVED, parseAliasMovedEntry, REGISTRY_EVENT_SOURCE } from '../core/registry/events';
import { type AliasRecord, PRODUCTION_ALIAS } from '../core/registry/records';
import type { ExecutionRecord } from './step-functions';

/**
 * The app's event wiring, locally: S3 uploads and Step Functions status changes as the
 * EventBridge events the cloud delivers (for the queue in front of the retrain trigger), and the
 * registry rule that sends a production move to the model's endpoint.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';

export function eventBridgeEnvelope<Detail>(detailType: string, source: string, resources: string[], detail: Detail) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region: LOCAL_REGION,
    resources,
    detail,
  };
}

/** What s3rver reports for a created object. */
export interface LocalObjectCreated {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly etag?: string;
  readonly eventName: string;
}

/** The EventBridge "Object Created" event S3 sends for an upload. */
export function objectCreatedEvent(event: LocalObjectCreated) {
  return eventBridgeEnvelope('Object Created', 'aws.s3', [`arn:aws:s3:::${event.bucket}`], {
    version: '0',
    bucket: { name: event.bucket },
    object: {
      key: event.key,
      size: event.size ?? 0,
      etag: (event.etag ?? '').replace(/"/g, ''),
      sequencer: Date.now().toString(16),
    },
    'request-id': randomUUID(),
    requester: LOCAL_ACCOUNT,
    'source-ip-address': '127.0.0.1',
    reason: event.eventName.endsWith('Post') ? 'CompleteMultipartUpload' : 'PutObject',
  });
}

/** The EventBridge "Step Functions Execution Status Change" event of an execution. */
export function executionStatusEvent(execution: ExecutionRecord) {
  return eventBridgeEnvelope('Step Functions Execution Status Change', 'aws.states', [execution.executionArn], {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate,
    stopDate: execution.stopDate ?? null,
    input: execution.input,
    output: execution.output ?? null,
  });
}

/** A model's endpoint, by model name (undefined when the model has none). */
export type EndpointOf = (model: string) => { invoke(event: unknown): Promise<unknown> } | undefined;

/** EventBridge rules of the app, locally: a production move reaches the model's endpoint at once. */
export function createEventRouter(endpointOf: EndpointOf, log: (line: string) => void) {
  return (entry: Record<string, unknown>): void => {
    let moved: AliasRecord | null;
    try {
      moved = parseAliasMovedEntry(entry);
    } catch (error) {
      log(`event not routed: ${(error as Error).message}`);
      return;
    }
    const endpoint = moved?.alias === PRODUCTION_ALIAS ? endpointOf(moved.model) : undefined;
    if (!moved || !endpoint) return;
    endpoint
      .invoke(eventBridgeEnvelope(ALIAS_MOVED, REGISTRY_EVENT_SOURCE, [], moved))
      .catch((error: Error) => log(`[${moved.model}] endpoint reload failed: ${error.message}`));
  };
}
