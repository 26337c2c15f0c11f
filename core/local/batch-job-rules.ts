import { renderTargetInput, type TargetInputSettings } from '../events/target-input';

/**
 * The app's EventBridge rules whose target is an AWS Batch job queue (batch scoring: one on a
 * schedule, one on uploads), read from the synthesized CloudFormation template with the job
 * definition each submits, and what one submission runs, as EventBridge and Batch compute it:
 * the target input (Input, InputPath or InputTransformer) becomes the job's parameters over the
 * definition's defaults, `Ref::<name>` arguments of the command take the parameters, an array job
 * has one child per index, and a failed attempt is retried as the definition's retry strategy says.
 */

/** A job definition as the template declares it, references resolved. */
export interface TemplateJobDefinition {
  readonly logicalId: string;
  /** The container's command (the image's entry point takes it as arguments). */
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** Default job parameters a submission may override. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The container image as synthesized (an asset URI ending in the asset hash). */
  readonly image: unknown;
  /** RetryStrategy.Attempts (1 when absent). */
  readonly attempts: number;
  readonly evaluateOnExit: readonly EvaluateOnExit[];
  /** Timeout.AttemptDurationSeconds, when set. */
  readonly attemptSeconds?: number;
}

export interface EvaluateOnExit {
  readonly Action: string;
  readonly OnExitCode?: string;
  readonly OnReason?: string;
  readonly OnStatusReason?: string;
}

export interface BatchJobRule {
  readonly logicalId: string;
  readonly description?: string;
  /** `rate(...)` or `cron(...)`, for a scheduled rule. */
  readonly schedule?: string;
  /** The event pattern, for a rule that matches events. */
  readonly eventPattern?: Record<string, unknown>;
  readonly target: {
    readonly jobQueue: string;
    readonly jobName: string;
    /** BatchParameters.ArrayProperties.Size: an array job of this many children. */
    readonly arraySize?: number;
    readonly input: TargetInputSettings;
  };
  readonly job: TemplateJobDefinition;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };
export type CfnTemplate = { Resources: Record<string, Resource> };
/** Resolves intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) to strings. */
export type ResolveIntrinsics = (value: unknown) => unknown;

/** Every enabled rule of the template with an AWS Batch target, one entry per such target. */
export function readBatchJobRules(template: CfnTemplate, resolve: ResolveIntrinsics): BatchJobRule[] {
  const rules: BatchJobRule[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const properties = resource.Properties ?? {};
    if (properties.State !== undefined && properties.State !== 'ENABLED') continue;
    const targets = (properties.Targets ?? []) as Array<Record<string, unknown>>;
    for (const target of targets) {
      const batch = target.BatchParameters as
        | { JobDefinition: unknown; JobName: string; ArrayProperties?: { Size?: number } }
        | undefined;
      if (!batch) continue;
      rules.push({
        logicalId,
        ...(typeof properties.Description === 'string' ? { description: properties.Description } : {}),
        ...(properties.ScheduleExpression ? { schedule: String(properties.ScheduleExpression) } : {}),
        ...(properties.EventPattern
          ? { eventPattern: resolve(properties.EventPattern) as Record<string, unknown> }
          : {}),
        target: {
          jobQueue: String(resolve(target.Arn)),
          jobName: batch.JobName,
          ...(batch.ArrayProperties?.Size ? { arraySize: batch.ArrayProperties.Size } : {}),
          input: resolve({
            ...(target.Input !== undefined ? { Input: target.Input } : {}),
            ...(target.InputPath !== undefined ? { InputPath: target.InputPath } : {}),
            ...(target.InputTransformer !== undefined ? { InputTransformer: target.InputTransformer } : {}),
          }) as TargetInputSettings,
        },
        job: readJobDefinition(template, referencedLogicalId(batch.JobDefinition, logicalId), resolve),
      });
    }
  }
  return rules;
}

function referencedLogicalId(reference: unknown, ruleId: string): string {
  const ref = (reference as { Ref?: unknown } | null)?.Ref;
  if (typeof ref !== 'string') {
    throw new Error(
      `rule ${ruleId}: its Batch target names a job definition outside the template (${JSON.stringify(reference)})`,
    );
  }
  return ref;
}

/** One job definition of the template, references resolved (what a submission of it runs). */
export function readJobDefinition(
  template: CfnTemplate,
  logicalId: string,
  resolve: ResolveIntrinsics,
): TemplateJobDefinition {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::Batch::JobDefinition')
    throw new Error(`${logicalId} is not an AWS::Batch::JobDefinition`);
  const properties = resource.Properties ?? {};
  const container = (properties.ContainerProperties ?? {}) as {
    Command?: string[];
    Environment?: Array<{ Name: string; Value: unknown }>;
    Image?: unknown;
  };
  const retry = (properties.RetryStrategy ?? {}) as { Attempts?: number; EvaluateOnExit?: EvaluateOnExit[] };
  const timeout = (properties.Timeout ?? {}) as { AttemptDurationSeconds?: number };
  return {
    logicalId,
    command: [...(container.Command ?? [])],
    environment: Object.fromEntries(
      (container.Environment ?? []).map(({ Name, Value }) => [Name, String(resolve(Value))]),
    ),
    parameters: Object.fromEntries(
      Object.entries((properties.Parameters ?? {}) as Record<string, unknown>).map(([name, value]) => [
        name,
        String(resolve(value)),
      ]),
    ),
    image: resolve(container.Image),
    attempts: retry.Attempts ?? 1,
    evaluateOnExit: retry.EvaluateOnExit ?? [],
    ...(timeout.AttemptDurationSeconds ? { attemptSeconds: timeout.AttemptDurationSeconds } : {}),
  };
}

/** The model a job scores or trains: the argument after `--model` in its command. */
export function modelOfCommand(command: readonly string[]): string | undefined {
  const at = command.indexOf('--model');
  return at >= 0 ? command[at + 1] : undefined;
}

/** What one submission by a rule runs. */
export interface RuleSubmission {
  readonly jobName: string;
  readonly jobQueue: string;
  /** The target input as EventBridge rendered it. */
  readonly input: string;
  /** The job's parameters: the definition's defaults, then the input's. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The container command with `Ref::<parameter>` arguments replaced. */
  readonly command: readonly string[];
  /** Array children, or undefined for a plain job. */
  readonly arraySize?: number;
}

/**
 * The submission `rule` makes for `event`. EventBridge passes the target input to SubmitJob as its
 * parameters: the input's string-valued top-level fields (a scheduled rule without input sends the
 * whole Scheduled Event, whose fields name no job parameter, so the defaults stand).
 */
export function submissionFor(rule: BatchJobRule, event: Record<string, unknown>): RuleSubmission {
  const input = renderTargetInput(rule.target.input, event, {
    name: rule.logicalId,
    arn: `arn:aws:events:${String(event.region ?? 'us-east-1')}:${String(event.account ?? '123456789012')}:rule/${rule.logicalId}`,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    throw new Error(`rule ${rule.logicalId}: the target input is not JSON, so it cannot be job parameters: ${input}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(
      `rule ${rule.logicalId}: the target input is not a JSON object, so it cannot be job parameters: ${input}`,
    );
  }
  const given = Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
  const parameters = { ...rule.job.parameters, ...given };
  return {
    jobName: rule.target.jobName,
    jobQueue: rule.target.jobQueue,
    input,
    parameters,
    command: substituteParameters(rule.job.command, parameters),
    ...(rule.target.arraySize && rule.target.arraySize > 1 ? { arraySize: rule.target.arraySize } : {}),
  };
}

/** Batch replaces a command argument `Ref::name` with parameter `name`; one without a value stays as written. */
export function substituteParameters(
  command: readonly string[],
  parameters: Readonly<Record<string, string>>,
): string[] {
  return command.map((argument) => {
    const name = argument.startsWith('Ref::') ? argument.slice('Ref::'.length) : undefined;
    return name !== undefined && name in parameters ? parameters[name] : argument;
  });
}

/**
 * Whether Batch retries an attempt that ended so: the first EvaluateOnExit entry whose conditions
 * all match decides (`*` globs, exit code compared as text); no match retries, as Batch does.
 * Either way only while attempts remain.
 */
export function retriesAttempt(
  definition: Pick<TemplateJobDefinition, 'evaluateOnExit'>,
  ended: { exitCode: number; reason: string; statusReason: string },
): boolean {
  for (const rule of definition.evaluateOnExit) {
    const matches =
      (rule.OnExitCode === undefined || glob(rule.OnExitCode, String(ended.exitCode))) &&
      (rule.OnReason === undefined || glob(rule.OnReason, ended.reason)) &&
      (rule.OnStatusReason === undefined || glob(rule.OnStatusReason, ended.statusReason));
    if (matches) return rule.Action.toUpperCase() === 'RETRY';
  }
  return true;
}

/** Batch's patterns: literal text with an optional trailing `*`. */
function glob(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}
