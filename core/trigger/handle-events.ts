import type { ExecutionInput } from '../workflow/contract';
import type { TriggerManifestStore } from './manifests';
import type { PendingMarkerStore } from './pending-markers';
import {
  type ClassifiedEvents,
  classifyEvents,
  type IgnoredEvent,
  type ModelView,
  type PendingMarker,
  type PlannedStart,
  planRetrains,
  type TriggerConfig,
} from './retrain-plan';

/** The trigger's side effects; the Lambda binds them to Step Functions and S3, the local platform to its own hosts. */
export interface RetrainTriggerPorts {
  /** ARNs of the model's executions whose status is RUNNING. */
  listRunningExecutions(model: string): Promise<string[]>;
  /**
   * Starts the model's state machine. Must treat "an execution with this name and input already
   * exists" as success (a redelivered batch), returning that execution's ARN.
   */
  startExecution(model: string, name: string, input: ExecutionInput): Promise<{ executionArn: string }>;
  readonly markers: PendingMarkerStore;
  readonly manifests: TriggerManifestStore;
}

export interface TriggerOutcome {
  readonly started: readonly (PlannedStart & { executionArn: string })[];
  readonly markersWritten: readonly PendingMarker[];
  readonly ignored: readonly IgnoredEvent[];
}

/**
 * Handles one batch: classify, look up running executions and pending markers for the models
 * involved, plan, then act. After writing a marker it checks once more whether the run is still
 * going, so an upload that lands just as the run finishes is not stranded until the next event.
 * Call it holding the model's lease (model-lease.ts): two concurrent batches for one model could
 * otherwise both see "not running" and start two runs.
 */
export async function handleRetrainEvents(
  events: readonly unknown[],
  config: TriggerConfig,
  ports: RetrainTriggerPorts,
  now: () => Date = () => new Date(),
): Promise<TriggerOutcome> {
  const classified = classifyEvents(events, config);
  const plan = planRetrains(classified, await viewsFor(classified, ports), now());
  const started: (PlannedStart & { executionArn: string })[] = [];
  for (const start of plan.starts) started.push(await startAndConsume(start, ports));

  for (const marker of plan.markers) {
    await ports.markers.write(marker);
    if ((await ports.listRunningExecutions(marker.model)).length > 0) continue;
    // The run finished between our look-up and the marker write: start the follow-up now.
    const retry = planRetrains(
      { uploads: new Map(), finished: new Map([[marker.model, []]]), ignored: [] },
      new Map([[marker.model, { running: [], pending: await ports.markers.list(marker.model) }]]),
      now(),
    );
    for (const start of retry.starts) started.push(await startAndConsume(start, ports));
  }
  return { started, markersWritten: plan.markers, ignored: classified.ignored };
}

async function viewsFor(classified: ClassifiedEvents, ports: RetrainTriggerPorts): Promise<Map<string, ModelView>> {
  const models = new Set([...classified.uploads.keys(), ...classified.finished.keys()]);
  const views = new Map<string, ModelView>();
  await Promise.all(
    [...models].map(async (model) => {
      const [running, pending] = await Promise.all([ports.listRunningExecutions(model), ports.markers.list(model)]);
      views.set(model, { running, pending });
    }),
  );
  return views;
}

async function startAndConsume(
  start: PlannedStart,
  ports: RetrainTriggerPorts,
): Promise<PlannedStart & { executionArn: string }> {
  // Before the start, so the manifest the input names exists by the time any step reads it.
  if (start.manifest) await ports.manifests.write(start.manifest);
  const { executionArn } = await ports.startExecution(start.model, start.executionName, start.input);
  // Only after a successful start: a failed start leaves the markers for the next attempt.
  if (start.consumesMarkers.length > 0) await ports.markers.delete(start.model, start.consumesMarkers);
  return { ...start, executionArn };
}
