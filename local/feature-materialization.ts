import type { EventEmitter } from 'node:events';
import { matchesEventPattern } from '../core/events/pattern';
import { type LocalObjectCreated, objectCreatedEvent } from './event-routing';
import type { LocalFunction } from './lambda-host';
import { truncate } from './log-text';

/**
 * The materializer's upload rule on the local platform: each object created in the local S3 is
 * matched against the rule's event pattern from the template (curated zone, `features/<view>/`
 * of views with materialize.onUpload) and, on a match, the materializer function is invoked with
 * the EventBridge event, as the rule's Lambda target would on AWS.
 */
export interface LocalFeatureMaterialization {
  /** Resolves when no materialization is running. */
  idle(): Promise<void>;
  close(): void;
}

export function startFeatureMaterialization(options: {
  readonly pattern: Record<string, unknown>;
  readonly materializer: Pick<LocalFunction, 'invoke'>;
  readonly s3Events: EventEmitter;
  readonly log: (line: string) => void;
}): LocalFeatureMaterialization {
  const running = new Set<Promise<unknown>>();
  const onCreated = (created: LocalObjectCreated) => {
    const event = objectCreatedEvent(created);
    if (!matchesEventPattern(options.pattern as never, event as never)) return;
    options.log(`feature upload: s3://${created.bucket}/${created.key}`);
    const run = options.materializer
      .invoke<{ status?: string; summary?: { written?: number; skipped?: number; entities?: number } }>(event)
      .then(
        (outcome) => {
          const summary = outcome?.summary;
          options.log(
            summary
              ? `  materialized ${created.key}: ${summary.entities} entities, ${summary.written} written, ${summary.skipped} unchanged`
              : `  ${created.key}: ${outcome?.status ?? 'done'}`,
          );
        },
        (error: Error) => options.log(`  materialization of ${created.key} failed: ${truncate(error.message, 300)}`),
      )
      .finally(() => running.delete(run));
    running.add(run);
  };
  options.s3Events.on('object-created', onCreated);
  return {
    idle: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
    close: () => {
      options.s3Events.off('object-created', onCreated);
    },
  };
}
