import * as z from 'zod';
import type { ModelConfig } from '../../core/config/schema';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import {
  type RunOutcome,
  type RunRecord,
  readRunRecord,
  updateRunRecord,
  writeRunRecord,
} from '../../core/runs/run-record';
import { readJson } from '../../core/storage/json';
import type { ObjectStore } from '../../core/storage/object-store';
import {
  evaluationResultSchema,
  failureInputSchema,
  registrationResultSchema,
  TRAINER_EXIT,
  TRAINER_OUTPUTS,
  triggerSchema,
} from '../../core/workflow/contract';
import { newRunId, RUN_ID_PATTERN, trainerOutputKey } from '../../core/workflow/run-ids';
import { assertSameModel } from '../shared/step-errors';

/**
 * The catch path's input: the whole state when a step failed, with Step Functions' `{ Error, Cause }`
 * at `$.error`. What else is present tells which step failed (the state machine stores each
 * step's result under its own key only when the step succeeded).
 */
export const recordFailureInputSchema = failureInputSchema.extend({
  // The failure path must record any failure, whatever shape the failed state had: a part that
  // does not parse is dropped (and the run recorded from what is left), never a reason to fail.
  validation: failureInputSchema.shape.validation.catch(undefined),
  error: failureInputSchema.shape.error.catch({ Error: 'Unknown', Cause: 'the failed state held no readable error' }),
  runId: z.string().regex(RUN_ID_PATTERN).optional().catch(undefined),
  trigger: triggerSchema.optional().catch(undefined),
  dataKey: z.string().optional().catch(undefined),
  /** Present in a run that registers an imported artifact: its second step is Adopt, not Train. */
  candidateKey: z.string().optional().catch(undefined),
  training: z.object({ jobId: z.string(), status: z.string() }).partial().optional().catch(undefined),
  evaluation: evaluationResultSchema.partial().optional().catch(undefined),
  registration: registrationResultSchema.partial().optional().catch(undefined),
});
export type RecordFailureInput = z.infer<typeof recordFailureInputSchema>;

/** What the trainer writes as error.json (TRAINER_OUTPUTS.error) when it fails. */
export const trainerErrorSchema = z.object({
  error: z.string(),
  retryable: z.boolean().optional(),
  exitCode: z.number().int().optional(),
});
export type TrainerErrorReport = z.infer<typeof trainerErrorSchema>;

export type FailedStep = 'validate' | 'train' | 'adopt' | 'evaluate' | 'register' | 'notify';

/** The result: a small summary for the notify step. */
export interface FailureSummary {
  readonly model: string;
  readonly runId: string;
  readonly failedStep: FailedStep;
  readonly reason: string;
  readonly outcome: RunOutcome;
  /** Production after the run, as read from the registry (null also when it could not be read). */
  readonly productionVersion: number | null;
  /** Whether this run moved production (its promotion is in the alias history); 'unknown': the registry could not be read. */
  readonly productionChanged: boolean | 'unknown';
}

export interface RecordFailureDeps {
  readonly model: ModelConfig;
  /** Run records (write) and the registry (read only: a failure never moves production). */
  readonly artifacts: ObjectStore;
  /** @default - the system clock */
  readonly clock?: () => Date;
  /** @default newRunId */
  readonly newRunId?: (now: Date) => string;
}

/** Longest reason kept in the run record and the notification. */
export const MAX_REASON_LENGTH = 500;

/**
 * Leaves the failed run's record behind: outcome failed, the step and a one-line reason (the
 * Lambda's error message, or the Batch job's status reason, exit code and the trainer's own
 * error.json). Never writes to the registry. A run that failed in validation has no record yet
 * (validate writes it only once the data passed), so one is written here.
 *
 * Before writing anything it reads what production is and whether this run moved it (a register
 * step can fail after its promotion), so the record and the notification say what really serves.
 * Reading the registry, the trainer's error or an existing record may fail (a corrupt object):
 * that is written into the reason, naming the object, and the record is still written.
 */
export async function recordFailureStep(input: RecordFailureInput, deps: RecordFailureDeps): Promise<FailureSummary> {
  const clock = deps.clock ?? (() => new Date());
  const now = clock();
  const { model } = deps;
  assertSameModel(input.model, model.name, 'record-failure');
  const step = failedStep(input);
  const knownRunId = input.validation?.runId ?? input.runId;
  const trainerError =
    step === 'train' && knownRunId ? await readTrainerError(deps.artifacts, model.name, knownRunId) : undefined;
  const runId = knownRunId ?? (deps.newRunId ?? newRunId)(now);
  const production = await productionAfterRun(deps.artifacts, model.name, runId, input.registration?.version);
  const notes = [
    ...(production.promotedVersion === undefined
      ? []
      : [`this run had already made version ${production.promotedVersion} production`]),
    ...(production.problem ? [`production could not be read: ${production.problem}`] : []),
  ];
  let existing: RunRecord | null = null;
  try {
    existing = await readRunRecord(deps.artifacts, model.name, runId);
  } catch (error) {
    notes.push(`the run record was unreadable and is rewritten: ${(error as Error).message}`);
  }
  const reason = oneLine([describeFailure(input.error, trainerError), ...notes].join('; '));

  // A failure after registration (the notification) leaves the registry outcome as it was.
  const outcome: RunOutcome = step === 'notify' && existing ? existing.outcome : 'failed';
  const failure = { step, reason };
  const registration = {
    ...(production.registeredVersion === undefined ? {} : { registeredVersion: production.registeredVersion }),
    ...(production.promotedVersion === undefined ? {} : { promoted: true }),
  };
  if (existing) {
    await updateRunRecord(deps.artifacts, model.name, runId, {
      outcome,
      failure,
      endedAt: now.toISOString(),
      ...registration,
    });
  } else {
    const dataKey = input.validation?.dataKey ?? input.dataKey;
    await writeRunRecord(deps.artifacts, {
      runId,
      model: model.name,
      trigger: input.trigger ?? { kind: 'manual', objects: [], reason: 'the failed state held no trigger' },
      startedAt: input.validation?.startedAt ?? now.toISOString(),
      endedAt: now.toISOString(),
      ...(dataKey ? { inputs: { dataKey } } : {}),
      outcome,
      failure,
      ...registration,
    });
  }
  return {
    model: model.name,
    runId,
    failedStep: step,
    reason,
    outcome,
    productionVersion: production.version,
    productionChanged: production.problem ? 'unknown' : production.promotedVersion !== undefined,
  };
}

interface ProductionAfterRun {
  readonly version: number | null;
  /** The version this run registered, from the state or (when the step died first) the registry. */
  readonly registeredVersion?: number;
  /** Set when the alias history holds this run's promotion. */
  readonly promotedVersion?: number;
  readonly problem?: string;
}

async function productionAfterRun(
  artifacts: ObjectStore,
  model: string,
  runId: string,
  registeredInState: number | undefined,
): Promise<ProductionAfterRun> {
  const registry = new ModelRegistry({ store: artifacts });
  try {
    // The history ends at the alias object itself (aliasHistory reads it), so it also says what serves.
    const history = await registry.aliasHistory(model, PRODUCTION_ALIAS);
    const promotion = history.findLast((entry) => entry.kind === 'promote' && entry.runId === runId);
    const registeredVersion =
      registeredInState ??
      promotion?.version ??
      (await registry.listVersions(model)).find((version) => version.lineage.runId === runId)?.version;
    return { version: history.at(-1)?.version ?? null, registeredVersion, promotedVersion: promotion?.version };
  } catch (error) {
    return { version: null, registeredVersion: registeredInState, problem: (error as Error).message };
  }
}

/** The step that failed, from which results the state already holds. */
export function failedStep(input: RecordFailureInput): FailedStep {
  if (input.error.Error === 'Mlops.UnknownGateDecision') return 'evaluate';
  if (!input.validation?.runId) return 'validate';
  if (!input.training) return input.candidateKey ? 'adopt' : 'train';
  if (!input.evaluation) return 'evaluate';
  if (!input.registration) return 'register';
  return 'notify';
}

const lambdaErrorSchema = z.object({ errorMessage: z.string(), errorType: z.string().optional() });

/** The parts of a Batch job description (DescribeJobs, as a failed `.sync` task's Cause) the reason uses. */
const containerSchema = z.looseObject({
  exitCode: z.number().optional(),
  ExitCode: z.number().optional(),
  reason: z.string().optional(),
  Reason: z.string().optional(),
});
const batchJobSchema = z.looseObject({
  jobName: z.string().optional(),
  JobName: z.string().optional(),
  jobId: z.string().optional(),
  JobId: z.string().optional(),
  status: z.string().optional(),
  Status: z.string().optional(),
  statusReason: z.string().optional(),
  StatusReason: z.string().optional(),
  container: containerSchema.optional(),
  Container: containerSchema.optional(),
  attempts: z.array(z.looseObject({ container: containerSchema.optional() })).optional(),
  Attempts: z.array(z.looseObject({ Container: containerSchema.optional() })).optional(),
});

/** One line a person can act on, from Step Functions' Error and Cause (and the trainer's error.json). */
export function describeFailure(error: { Error: string; Cause?: string }, trainerError?: TrainerErrorReport): string {
  const cause = parseJson(error.Cause);
  const lambda = lambdaErrorSchema.safeParse(cause);
  if (lambda.success) {
    return oneLine(`${lambda.data.errorType ?? error.Error}: ${lambda.data.errorMessage}`);
  }
  const job = batchJobSchema.safeParse(cause);
  if (job.success && (job.data.Status ?? job.data.status) !== undefined) {
    return oneLine(describeBatchJob(job.data, trainerError));
  }
  if (trainerError) return oneLine(`training failed: ${trainerError.error}`);
  return oneLine(error.Cause ? `${error.Error}: ${error.Cause}` : error.Error);
}

function describeBatchJob(job: z.infer<typeof batchJobSchema>, trainerError?: TrainerErrorReport): string {
  const name = job.JobName ?? job.jobName ?? job.JobId ?? job.jobId ?? 'training job';
  const status = job.Status ?? job.status;
  const statusReason = job.StatusReason ?? job.statusReason;
  const lastAttempt = job.Attempts?.at(-1)?.Container ?? job.attempts?.at(-1)?.container;
  const container = job.Container ?? job.container ?? lastAttempt;
  const exitCode = container?.ExitCode ?? container?.exitCode ?? lastAttempt?.ExitCode ?? lastAttempt?.exitCode;
  const containerReason = container?.Reason ?? container?.reason;
  const parts = [`training job ${name} ${status}${statusReason ? `: ${statusReason}` : ''}`];
  if (exitCode !== undefined) parts.push(`exit code ${exitCode} (${exitCodeMeaning(exitCode)})`);
  const detail = trainerError?.error ?? containerReason;
  return `${parts.join(', ')}${detail ? `: ${detail}` : ''}`;
}

export function exitCodeMeaning(code: number): string {
  switch (code) {
    case TRAINER_EXIT.ok:
      return 'finished';
    case TRAINER_EXIT.badInput:
      return 'bad input, not retried';
    case TRAINER_EXIT.retryable:
      return 'transient, retried until the attempts ran out';
    case TRAINER_EXIT.internal:
      return 'trainer error';
    case 137:
      return 'killed, often out of memory: raise training.memoryMiB';
    default:
      return 'not a trainer-contract code';
  }
}

async function readTrainerError(
  artifacts: ObjectStore,
  model: string,
  runId: string,
): Promise<TrainerErrorReport | undefined> {
  try {
    const key = trainerOutputKey(model, runId, TRAINER_OUTPUTS.error);
    return (await readJson(artifacts, key, trainerErrorSchema))?.value;
  } catch {
    // A malformed error.json from a third-party image must not hide the Batch reason.
    return undefined;
  }
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}
