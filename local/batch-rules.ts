import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchesEventPattern } from '../core/events/pattern';
import {
  type BatchJobRule,
  modelOfCommand,
  type RuleSubmission,
  readBatchJobRules,
  readJobDefinition,
  retriesAttempt,
  submissionFor,
  substituteParameters,
  type TemplateJobDefinition,
} from '../core/local/batch-job-rules';
import type { Zone } from '../core/workflow/layout';
import { TRAINER_ENTRY } from '../lib/bundles';
import { REPO_ROOT } from '../lib/lambda-entries';
import { fakeReference, resolveIntrinsics, type SynthesizedPlatform, stagedTrainerBundle } from '../lib/synthesize';
import {
  eventBridgeEnvelope,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalObjectCreated,
  objectCreatedEvent,
} from './event-routing';
import { truncate } from './log-text';
import { inheritedEnvironment } from './loopback';
import { rateToMs } from './monitor-timers';
import { runContainer } from './task-handlers';

/**
 * The template's EventBridge rules that submit AWS Batch jobs (batch scoring on a schedule and on
 * uploads under `<model>/score/input/`), run locally: a timer per `rate(...)` schedule, the local
 * S3's upload events matched against each event pattern, the target input rendered as EventBridge
 * renders it, and each job (each array child) run as a child process of the bundle the image runs,
 * with the job definition's environment and retry strategy. The rules, patterns, inputs, commands
 * and environments all come from the synthesized template, not from the config.
 */

export interface LocalBatchRulesOptions {
  readonly synth: Pick<SynthesizedPlatform, 'template' | 'bucketLogicalIds'>;
  /** Local bucket name of each zone (the template's bucket references resolve to these). */
  readonly buckets: Readonly<Record<Zone, string>>;
  /** The cdk.out folder the image asset (and its bundle) was staged in. */
  readonly outdir: string;
  /** Run the image's bundle (as deployed) or the TypeScript entry. */
  readonly code: 'bundles' | 'sources';
  /** Local AWS settings (endpoints, dummy credentials) on top of the job definition's environment. */
  readonly awsEnvironment: Readonly<Record<string, string>>;
  /** Credentials of a job definition's job role, over `awsEnvironment`. @default - awsEnvironment's */
  readonly jobCredentials?: (jobDefinitionLogicalId: string) => Readonly<Record<string, string>>;
  /** Each job's output goes to `<logDir>/<job name>.log`. */
  readonly logDir: string;
  readonly log: (line: string) => void;
  /** The local S3's events: each `object-created` is matched against the rules' event patterns. */
  readonly s3Events: EventEmitter;
  /** Fires scheduled rules every this many milliseconds instead of their rate (tests; cron schedules too). */
  readonly scheduleEveryMs?: number;
}

/** One child of a finished job (the only one of a plain job). */
export interface LocalJobChild {
  readonly arrayIndex?: number;
  readonly exitCode: number;
  readonly attempts: number;
}

export interface LocalJobResult {
  readonly jobId: string;
  readonly jobName: string;
  readonly rule: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly children: readonly LocalJobChild[];
}

export interface LocalBatchRules {
  readonly rules: readonly BatchJobRule[];
  /** Fires the model's scheduled rule now, as its schedule would; resolves when the job ends. */
  runScheduled(model: string): Promise<LocalJobResult>;
  /**
   * Submits a job definition of the template directly, as SubmitJob does (the feature backfill:
   * no rule submits it); resolves when the job ends.
   */
  submitJob(jobDefinitionLogicalId: string, submission: DirectSubmission): Promise<LocalJobResult>;
  /** Resolves when no job is running. */
  idle(): Promise<void>;
  /** Stops the schedules and the upload matching, then waits for running jobs to end. */
  close(): Promise<void>;
}

/** A SubmitJob of a job definition: its parameters over the definition's defaults, and an array size. */
export interface DirectSubmission {
  readonly jobName: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** Children of an array job (more than 1); absent: a plain job. */
  readonly arraySize?: number;
}

export function startLocalBatchRules(options: LocalBatchRulesOptions): LocalBatchRules {
  const { synth, log } = options;
  const zoneOfBucket = new Map(Object.entries(synth.bucketLogicalIds).map(([zone, id]) => [id, zone as Zone]));
  const resolve = (value: unknown) =>
    resolveIntrinsics(value, synth.template as never, (reference) => {
      const zone = zoneOfBucket.get(reference.logicalId);
      if (!zone) return fakeReference(reference);
      return reference.attribute === 'Arn' ? `arn:aws:s3:::${options.buckets[zone]}` : options.buckets[zone];
    });
  const rules = readBatchJobRules(synth.template as never, resolve);
  const running = new Set<Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];
  const label = (rule: BatchJobRule) => modelOfCommand(rule.job.command) ?? rule.logicalId;

  /** What runs: the job definition, and the name its log lines carry (the model, or the job's own). */
  interface Runnable {
    readonly job: TemplateJobDefinition;
    readonly label: string;
    /** The rule that submitted it, or 'SubmitJob'. */
    readonly submittedBy: string;
  }
  type Submitted = Pick<RuleSubmission, 'jobName' | 'jobQueue' | 'parameters' | 'command' | 'arraySize'>;

  const containerCommand = (job: TemplateJobDefinition, command: readonly string[]): string[] =>
    options.code === 'bundles'
      ? [process.execPath, stagedTrainerBundle(options.outdir, job.image), ...command]
      : [process.execPath, join(REPO_ROOT, 'bin', 'run-ts.js'), TRAINER_ENTRY, ...command];

  /** One child of the job: attempts until one succeeds or the retry strategy says stop. */
  const runChild = async (
    rule: Runnable,
    submission: Submitted,
    jobId: string,
    arrayIndex: number | undefined,
  ): Promise<LocalJobChild> => {
    const logFile = join(options.logDir, `${submission.jobName}.log`);
    const prefix = arrayIndex === undefined ? '' : `[${arrayIndex}] `;
    const onLog = (line: string) => {
      appendFileSync(logFile, `${prefix}${line}\n`);
      if (/ -> s3:|not scored|manifest:|materialized|error/.test(line)) {
        log(`  [${rule.label}] ${submission.jobName} ${prefix}${line.replace(/^\S+Z /, '')}`);
      }
    };
    let exitCode = 1;
    let attempt = 1;
    for (; attempt <= rule.job.attempts; attempt++) {
      const environment: Record<string, string> = {
        ...inheritedEnvironment(),
        ...rule.job.environment,
        ...options.awsEnvironment,
        ...options.jobCredentials?.(rule.job.logicalId),
        AWS_BATCH_JOB_ID: arrayIndex === undefined ? jobId : `${jobId}:${arrayIndex}`,
        AWS_BATCH_JQ_NAME: submission.jobQueue.split('/').pop() ?? submission.jobQueue,
        AWS_BATCH_JOB_ATTEMPT: String(attempt),
        ...(arrayIndex === undefined ? {} : { AWS_BATCH_JOB_ARRAY_INDEX: String(arrayIndex) }),
      };
      const timeoutMs = rule.job.attemptSeconds === undefined ? undefined : rule.job.attemptSeconds * 1000;
      const command = containerCommand(rule.job, submission.command);
      onLog(`attempt ${attempt}: ${command.join(' ')}`);
      exitCode = await runContainer(command, environment, onLog, timeoutMs);
      if (exitCode === 0) break;
      const timedOut = timeoutMs !== undefined && exitCode === 137;
      const retry =
        !timedOut &&
        retriesAttempt(rule.job, { exitCode, reason: '', statusReason: 'Essential container in task exited' });
      onLog(
        `attempt ${attempt} exited ${exitCode}${timedOut ? ' (timed out)' : ''}; ` +
          (retry && attempt < rule.job.attempts ? 'retrying' : 'not retried'),
      );
      if (!retry) break;
    }
    return {
      ...(arrayIndex === undefined ? {} : { arrayIndex }),
      exitCode,
      attempts: Math.min(attempt, rule.job.attempts),
    };
  };

  const submit = (rule: BatchJobRule, event: Record<string, unknown>, why: string): Promise<LocalJobResult> => {
    let submission: RuleSubmission;
    try {
      submission = submissionFor(rule, event);
    } catch (error) {
      // As EventBridge: a target input that cannot become job parameters submits nothing.
      return Promise.reject(error);
    }
    return run({ job: rule.job, label: label(rule), submittedBy: rule.logicalId }, submission, why);
  };

  const run = (rule: Runnable, submission: Submitted, why: string): Promise<LocalJobResult> => {
    const jobId = randomUUID();
    const indexes =
      submission.arraySize === undefined ? [undefined] : Array.from({ length: submission.arraySize }, (_, i) => i);
    log(
      `[${rule.label}] ${submission.jobName} submitted by ${rule.submittedBy} (${why}): ` +
        `${truncate(JSON.stringify(submission.parameters), 200)}` +
        (submission.arraySize === undefined ? '' : `, array of ${submission.arraySize}`),
    );
    const job = Promise.all(indexes.map((index) => runChild(rule, submission, jobId, index))).then((children) => {
      const status = children.every((child) => child.exitCode === 0) ? 'SUCCEEDED' : 'FAILED';
      log(`[${rule.label}] ${submission.jobName} ${status} (job ${jobId}; log ${submission.jobName}.log)`);
      return {
        jobId,
        jobName: submission.jobName,
        rule: rule.submittedBy,
        parameters: submission.parameters,
        status,
        children,
      } as const;
    });
    running.add(job);
    void job.finally(() => running.delete(job)).catch(() => undefined);
    return job;
  };

  const idle = async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };

  const scheduleEvent = (rule: BatchJobRule) =>
    eventBridgeEnvelope(
      'Scheduled Event',
      'aws.events',
      [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${rule.logicalId}`],
      {},
    );

  for (const rule of rules) {
    if (!rule.schedule) continue;
    const every = options.scheduleEveryMs ?? rateToMs(rule.schedule);
    if (every === undefined) {
      log(
        `[${label(rule)}] ${rule.target.jobName} schedule "${rule.schedule}" runs on AWS only; run 'mlops score run ${label(rule)}' locally`,
      );
      continue;
    }
    const timer = setInterval(() => {
      submit(rule, scheduleEvent(rule), `schedule ${rule.schedule}`).catch((error: Error) =>
        log(`[${label(rule)}] scheduled ${rule.target.jobName} failed to start: ${error.message}`),
      );
    }, every);
    timer.unref();
    timers.push(timer);
  }

  const onObjectCreated = (created: LocalObjectCreated) => {
    const event = objectCreatedEvent(created);
    for (const rule of rules) {
      if (!rule.eventPattern) continue;
      let matched: boolean;
      try {
        matched = matchesEventPattern(rule.eventPattern, event);
      } catch (error) {
        log(`[${label(rule)}] rule ${rule.logicalId} not emulated: ${(error as Error).message}`);
        continue;
      }
      if (!matched) continue;
      submit(rule, event, `upload s3://${created.bucket}/${created.key}`).catch((error: Error) =>
        log(`[${label(rule)}] ${rule.target.jobName} failed to start: ${error.message}`),
      );
    }
  };
  options.s3Events.on('object-created', onObjectCreated);

  return {
    rules,
    runScheduled(model) {
      const rule = rules.find((candidate) => candidate.schedule && modelOfCommand(candidate.job.command) === model);
      if (!rule) {
        return Promise.reject(
          new Error(`model "${model}" has no batch-scoring schedule (batchScoring.schedule in the config)`),
        );
      }
      return submit(rule, scheduleEvent(rule), 'by hand');
    },
    submitJob(jobDefinitionLogicalId, submission) {
      let job: TemplateJobDefinition;
      try {
        job = readJobDefinition(synth.template as never, jobDefinitionLogicalId, resolve);
      } catch (error) {
        return Promise.reject(error);
      }
      const parameters = { ...job.parameters, ...submission.parameters };
      return run(
        { job, label: submission.jobName, submittedBy: 'SubmitJob' },
        {
          jobName: submission.jobName,
          jobQueue: 'local',
          parameters,
          command: substituteParameters(job.command, parameters),
          ...(submission.arraySize && submission.arraySize > 1 ? { arraySize: submission.arraySize } : {}),
        },
        'by hand',
      );
    },
    idle,
    async close() {
      options.s3Events.off('object-created', onObjectCreated);
      for (const timer of timers) clearInterval(timer);
      await idle();
    },
  };
}
