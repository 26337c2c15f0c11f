import * as z from 'zod';

/**
 * A scheduled monitor's input (drift, quality): an EventBridge schedule's event or an on-demand
 * request, parsed into one shape.
 */

export const MAX_WINDOW_HOURS = 24 * 90;

/** `mlops drift run <model>`, `mlops quality run <model>` (and any on-demand invoke) send this; every field is optional. */
export const onDemandEventSchema = z.strictObject({
  windowHours: z.number().int().min(1).max(MAX_WINDOW_HOURS).optional(),
  /** Start a retrain even inside the cooldown (the policy must still call for one). */
  force: z.boolean().optional(),
});

/** What an EventBridge schedule delivers; its `time` is the end of the window, so a retried event checks the same window. */
const scheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  id: z.string().optional(),
  time: z.iso.datetime(),
});

export interface MonitorRequest {
  readonly trigger: 'schedule' | 'on-demand';
  /** End of the window; absent: now. */
  readonly at?: Date;
  readonly windowHours?: number;
  readonly force: boolean;
}

export class MonitorInputError extends Error {
  override readonly name = 'MonitorInputError';
}

/** `monitor` names the function in the error, e.g. `drift-monitor`. */
export function parseMonitorEvent(event: unknown, monitor: string): MonitorRequest {
  const scheduled = scheduledEventSchema.safeParse(event);
  if (scheduled.success) return { trigger: 'schedule', at: new Date(scheduled.data.time), force: false };
  const onDemand = onDemandEventSchema.safeParse(event ?? {});
  if (onDemand.success) {
    return { trigger: 'on-demand', windowHours: onDemand.data.windowHours, force: onDemand.data.force ?? false };
  }
  const problems = onDemand.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new MonitorInputError(
    `${monitor} expects an EventBridge "Scheduled Event" or {"windowHours"?: 1..${MAX_WINDOW_HOURS}, "force"?: boolean}; ` +
      `received ${JSON.stringify(event)?.slice(0, 200)} (${problems})`,
  );
}

/** A sortable folder name for one check: its window end to the second, e.g. 20261129T100000Z. */
export function reportIdFor(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
