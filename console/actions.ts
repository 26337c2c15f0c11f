import type { SFNClient } from '@aws-sdk/client-sfn';
import { promoteCommand, retrainCommand, rollbackCommand } from '../cli/commands/registry';
import type { ModelRegistry } from '../core/registry/registry';

/**
 * The console's write actions: the code paths of `mlops promote`, `mlops rollback` and `mlops
 * retrain` (cli/commands/registry.ts) and the registry's own approval change for a rejection, so
 * every move goes through the registry's compare-and-swap, lands in the alias history with its
 * reason and actor, and emits the registry's usual events.
 */
export interface ConsoleActions {
  promote(model: string, version: number, reason: string): Promise<unknown>;
  rollback(model: string, to: number | undefined, reason: string): Promise<unknown>;
  reject(model: string, version: number, reason: string): Promise<unknown>;
  retrain(model: string, reason: string): Promise<unknown>;
}

export interface ConsoleActionDeps {
  readonly registry: ModelRegistry;
  readonly stepFunctions: SFNClient;
  /** Model name -> its retraining state machine's ARN. */
  readonly stateMachines: Readonly<Record<string, string>>;
  /** Recorded as the actor of every move. @default 'console' */
  readonly actor?: string;
}

export function createConsoleActions(deps: ConsoleActionDeps): ConsoleActions {
  const actor = deps.actor ?? 'console';
  return {
    promote: async (model, version, reason) =>
      (await promoteCommand(deps.registry, { model, version, reason, actor })).json,
    rollback: async (model, to, reason) => (await rollbackCommand(deps.registry, { model, to, reason, actor })).json,
    reject: (model, version, reason) => deps.registry.setApproval(model, version, 'rejected', { reason, actor }),
    retrain: async (model, reason) => {
      const arn = deps.stateMachines[model];
      if (!arn) throw new Error(`no retraining state machine known for model "${model}"`);
      return (await retrainCommand(deps.stepFunctions, arn, { model, reason: `${reason} (by ${actor})` })).json;
    },
  };
}
