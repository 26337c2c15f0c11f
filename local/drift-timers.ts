import type { ModelConfig } from '../core/config/schema';
import { eventBridgeEnvelope } from './event-routing';
import { truncate } from './log-text';

/** Each model's drift schedule, locally: a timer per `rate(...)` expression, sending the Scheduled Event EventBridge would. */

/** `rate(5 minutes)` in milliseconds; cron expressions return undefined (scheduled only on AWS). */
export function rateToMs(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2].startsWith('minute') ? 60_000 : match[2].startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(match[1]) * unit;
}

/** Starts the timers; returns the function that stops them. */
export function startDriftTimers(
  models: readonly ModelConfig[],
  driftMonitor: (model: string) => { invoke(event: unknown): Promise<unknown> },
  log: (line: string) => void,
): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const model of models) {
    const every = rateToMs(model.drift.schedule);
    if (every === undefined) {
      log(
        `[${model.name}] drift schedule "${model.drift.schedule}" runs on AWS only; run 'mlops drift run ${model.name}' locally`,
      );
      continue;
    }
    const timer = setInterval(() => {
      driftMonitor(model.name)
        .invoke(eventBridgeEnvelope('Scheduled Event', 'aws.events', [], {}))
        .then((result) => log(`[${model.name}] scheduled drift check: ${truncate(JSON.stringify(result), 200)}`))
        .catch((error: Error) => log(`[${model.name}] scheduled drift check failed: ${error.message}`));
    }, every);
    timer.unref();
    timers.push(timer);
  }
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
