import { parseConfig } from '../../../core/config/parse';
import { matchesEventPattern } from '../../../core/events/pattern';
import {
  type BatchJobRule,
  modelOfCommand,
  readBatchJobRules,
  retriesAttempt,
  submissionFor,
  substituteParameters,
} from '../../../core/local/batch-job-rules';
import type { Zone } from '../../../core/workflow/layout';
import { fakeReference, resolveIntrinsics, synthesizeTemplates } from '../../../lib/synthesize';
import { eventBridgeEnvelope, objectCreatedEvent } from '../../../local/event-routing';

const BUCKETS: Record<Zone, string> = {
  raw: 'local-raw',
  curated: 'local-curated',
  artifacts: 'local-artifacts',
  monitoring: 'local-monitoring',
};

/** The rules of the app synthesized for `batchScoring`, references resolved to the local bucket names. */
function rulesFor(batchScoring: Record<string, unknown>): BatchJobRule[] {
  const config = parseConfig(
    { project: 'rules', models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', batchScoring }] },
    'test: batch-scoring rules',
  );
  const synth = synthesizeTemplates(config, { bucketNames: BUCKETS });
  const zoneOf = new Map(Object.entries(synth.bucketLogicalIds).map(([zone, id]) => [id, zone as Zone]));
  return readBatchJobRules(synth.template as never, (value) =>
    resolveIntrinsics(value, synth.template as never, (reference) => {
      const zone = zoneOf.get(reference.logicalId);
      return zone ? BUCKETS[zone] : fakeReference(reference);
    }),
  );
}

let both: BatchJobRule[];
beforeAll(() => {
  both = rulesFor({ schedule: 'rate(1 day)', shards: 3 });
}, 120_000);

const scheduled = () => both.find((rule) => rule.schedule)!;
const onUpload = () => both.find((rule) => rule.eventPattern)!;

describe('readBatchJobRules, on the synthesized template', () => {
  it('finds the schedule and the upload rule of batch scoring, both submitting the scoring job to one queue', () => {
    expect(both).toHaveLength(2);
    expect(scheduled().schedule).toBe('rate(1 day)');
    expect(scheduled().target.arraySize).toBe(3);
    expect(onUpload().target.arraySize).toBeUndefined();
    expect(scheduled().job.logicalId).toBe(onUpload().job.logicalId);
    expect(scheduled().target.jobQueue).toMatch(/^arn:aws:batch:us-east-1:123456789012:job-queue\//);
    expect(modelOfCommand(scheduled().job.command)).toBe('churn');
  });

  it('reads the job definition: the score command, the environment with local bucket names, defaults, retry strategy and timeout', () => {
    const job = scheduled().job;
    expect(job.command.slice(0, 3)).toEqual(['score', '--model', 'churn']);
    expect(job.environment.MLOPS_CURATED_BUCKET).toBe('local-curated');
    expect(job.environment.MLOPS_MONITORING_BUCKET).toBe('local-monitoring');
    expect(job.parameters).toEqual({
      input: 's3://local-curated/churn/score/input/',
      out: 's3://local-curated/churn/score/output/',
      shards: '3',
    });
    expect(job.attempts).toBe(3);
    expect(job.attemptSeconds).toBe(3600);
    expect(JSON.stringify(job.image)).toMatch(/:[0-9a-f]{64}"$/);
  });

  it('reads the upload pattern with the curated bucket and the model’s score/input/ prefix', () => {
    const pattern = onUpload().eventPattern!;
    const created = (bucket: string, key: string) =>
      objectCreatedEvent({ bucket, key, eventName: 'ObjectCreated:Put' }) as unknown as Record<string, unknown>;
    expect(matchesEventPattern(pattern, created('local-curated', 'churn/score/input/rows.csv'))).toBe(true);
    expect(matchesEventPattern(pattern, created('local-curated', 'churn/score/output/rows.scored.csv'))).toBe(false);
    expect(matchesEventPattern(pattern, created('local-raw', 'churn/score/input/rows.csv'))).toBe(false);
  });

  it('has no upload rule with onUpload false and no schedule rule without a schedule', () => {
    const noUpload = rulesFor({ schedule: 'rate(1 day)', onUpload: false });
    expect(noUpload.map((rule) => Boolean(rule.schedule))).toEqual([true]);
    const uploadOnly = rulesFor({});
    expect(uploadOnly.map((rule) => Boolean(rule.eventPattern))).toEqual([true]);
  }, 120_000);
});

describe('submissionFor', () => {
  it('an upload: the input transformer names the object, one shard, the rest from the job definition', () => {
    const event = objectCreatedEvent({
      bucket: 'local-curated',
      key: 'churn/score/input/rows.csv',
      eventName: 'ObjectCreated:Put',
    }) as unknown as Record<string, unknown>;
    const submission = submissionFor(onUpload(), event);
    expect(JSON.parse(submission.input)).toEqual({
      input: 's3://local-curated/churn/score/input/rows.csv',
      shards: '1',
    });
    expect(submission.arraySize).toBeUndefined();
    expect(submission.command).toEqual([
      'score',
      '--model',
      'churn',
      '--input',
      's3://local-curated/churn/score/input/rows.csv',
      '--out',
      's3://local-curated/churn/score/output/',
      '--shards',
      '1',
      '--force',
    ]);
  });

  it('the schedule: the Scheduled Event names no job parameter, so the defaults stand, as an array of the configured shards', () => {
    const submission = submissionFor(scheduled(), eventBridgeEnvelope('Scheduled Event', 'aws.events', [], {}));
    expect(submission.arraySize).toBe(3);
    expect(submission.parameters).toMatchObject({
      input: 's3://local-curated/churn/score/input/',
      out: 's3://local-curated/churn/score/output/',
      shards: '3',
    });
    expect(submission.command.slice(3)).toEqual([
      '--input',
      's3://local-curated/churn/score/input/',
      '--out',
      's3://local-curated/churn/score/output/',
      '--shards',
      '3',
      '--force',
    ]);
  });

  it('refuses a target input that is not a JSON object', () => {
    const rule = { ...scheduled(), target: { ...scheduled().target, input: { Input: '"text"' } } };
    expect(() => submissionFor(rule, {})).toThrow(/not a JSON object/);
  });
});

describe('substituteParameters and retriesAttempt', () => {
  it('replaces Ref:: arguments that have a parameter and leaves the others as written', () => {
    expect(substituteParameters(['a', 'Ref::x', 'Ref::y'], { x: '1' })).toEqual(['a', '1', 'Ref::y']);
  });

  it('follows the synthesized retry strategy: exit 75 retried, any other exit not', () => {
    const job = scheduled().job;
    const ended = (exitCode: number) => ({ exitCode, reason: '', statusReason: 'Essential container in task exited' });
    expect(retriesAttempt(job, ended(75))).toBe(true);
    expect(retriesAttempt(job, ended(1))).toBe(false);
    expect(retriesAttempt(job, ended(2))).toBe(false);
  });

  it('retries when no entry matches, as Batch does', () => {
    expect(
      retriesAttempt(
        { evaluateOnExit: [{ Action: 'EXIT', OnExitCode: '1' }] },
        { exitCode: 3, reason: '', statusReason: '' },
      ),
    ).toBe(true);
    expect(
      retriesAttempt(
        { evaluateOnExit: [{ Action: 'RETRY', OnExitCode: '7*' }] },
        { exitCode: 75, reason: '', statusReason: '' },
      ),
    ).toBe(true);
  });
});
