import { type MonitorRequest, parseMonitorEvent } from '../shared/monitor-event';

/** The drift monitor's input: a scheduled event or an on-demand request (lambdas/shared/monitor-event.ts). */

export { MonitorInputError as DriftMonitorInputError, onDemandEventSchema } from '../shared/monitor-event';

export type DriftCheckRequest = MonitorRequest;

export const parseDriftCheckEvent = (event: unknown): DriftCheckRequest => parseMonitorEvent(event, 'drift-monitor');
