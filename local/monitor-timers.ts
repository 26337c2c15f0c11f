import type { ModelConfig } from '../core/config/schema';
import { eventBridgeEnvelope } from './event-routing';
import { truncate } from './log-text';

/**
 * Each model's monitor schedules, locally (drift and quality): a timer per `rate(...)` expression,
 * sending the Scheduled Event EventBridge would.
 */

/** `rate(5 minutes)` in milliseconds; cron expressions return undefined (scheduled only on AWS). */
export function rateToMs(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2].startsWith('minute') ? 60_000 : match[2].startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(match[1]) * unit;
}

/** One scheduled monitor of the platform: its name in the logs and the command that runs it by hand. */
export interface ScheduledMonitor {
  /** `drift` or `quality`: names the log lines and the `mlops <name> run` hint. */
  readonly name: string;
  readonly schedule: (model: ModelConfig) => string;
  readonly function: (model: string) => { invoke(event: unknown): Promise<unknown> };
}

/** Starts the timers of every monitor of every model; returns the function that stops them. */
export function startMonitorTimers(
  models: readonly ModelConfig[],
  monitors: readonly ScheduledMonitor[],
  log: (line: string) => void,
): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const model of models) {
    for (const monitor of monitors) {
      const schedule = monitor.schedule(model);
      const every = rateToMs(schedule);
      if (every === undefined) {
        log(
          `[${model.name}] ${monitor.name} schedule "${schedule}" runs on AWS only; run 'mlops ${monitor.name} run ${model.name}' locally`,
        );
        continue;
      }
      const timer = setInterval(() => {
        monitor
          .function(model.name)
          .invoke(eventBridgeEnvelope('Scheduled Event', 'aws.events', [], {}))
          .then((result) =>
            log(`[${model.name}] scheduled ${monitor.name} check: ${truncate(JSON.stringify(result), 200)}`),
          )
          .catch((error: Error) => log(`[${model.name}] scheduled ${monitor.name} check failed: ${error.message}`));
      }, every);
      timer.unref();
      timers.push(timer);
    }
  }
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
