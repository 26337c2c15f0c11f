import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { main } from '../../../cli/main';
import { candidateArtifactKey, importKey } from '../../../core/workflow/layout';
import { FIXTURES } from '../../core/import/parity-helpers';
import { StepFunctionsStandIn } from '../../lambdas/fixtures/sfn-stand-in';
import { churnData, memoryStepDeps, STRONG_FEATURES, validateAndTrain } from '../../lambdas/fixtures/workflow';
import { captureIo } from '../../support/cli-io';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

/** `mlops register` against a deployed-style target: the local S3 as the artifacts bucket, a Step Functions stand-in. */
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:churn-retraining';
let s3: LocalS3Harness;
let sfn: StepFunctionsStandIn;
let artifacts: S3ObjectStore;
let artifactDir: string;
let artifactText: string;
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await startLocalS3Harness(['artifacts']);
  artifacts = new S3ObjectStore(s3.client, 'artifacts');
  sfn = new StepFunctionsStandIn();
  await sfn.start();
  // an artifact as `mlops train --out` leaves it: <dir>/model.json
  const elsewhere = memoryStepDeps();
  const validation = await validateAndTrain(elsewhere, 'churn/a.csv', churnData(400, 5), STRONG_FEATURES);
  const object = await elsewhere.artifacts.get(candidateArtifactKey('churn', validation.runId));
  artifactText = new TextDecoder().decode(object!.body);
  artifactDir = mkdtempSync(join(tmpdir(), 'mlops-register-'));
  writeFileSync(join(artifactDir, 'model.json'), artifactText);
  Object.assign(process.env, {
    MLOPS_ARTIFACTS_BUCKET: 'artifacts',
    MLOPS_STATE_MACHINES: JSON.stringify({ churn: STATE_MACHINE }),
    AWS_ENDPOINT_URL_S3: s3.server.endpoint,
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
  });
});

afterAll(async () => {
  process.env = saved;
  await sfn.stop();
  await s3.stop();
});

describe('mlops register', () => {
  it('uploads the artifact under the model import prefix and starts the workflow with its key, printing the run id', async () => {
    // when
    const run = captureIo();
    const code = await main(['register', 'churn', '--artifact', artifactDir], run.io);
    // then
    expect(code).toBe(0);
    const runId = run.out.join('').trim();
    expect(runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const uploaded = await artifacts.get(importKey('churn', runId));
    expect(new TextDecoder().decode(uploaded!.body)).toBe(artifactText);
    const execution = [...sfn.executions.values()].find((candidate) => candidate.name === runId);
    expect(JSON.parse(execution!.input)).toEqual({
      model: 'churn',
      trigger: { kind: 'import', objects: [], reason: 'mlops register --artifact model.json' },
      candidateKey: importKey('churn', runId),
    });
    expect(run.err.join('')).toContain(
      `to s3://artifacts/${importKey('churn', runId)}; follow the run with: mlops runs churn`,
    );
  });

  it('prints a small JSON object with --json', async () => {
    const run = captureIo();
    const code = await main(['register', 'churn', '--artifact', join(artifactDir, 'model.json'), '--json'], run.io);
    expect(code).toBe(0);
    const printed = JSON.parse(run.out.join(''));
    expect(printed).toEqual({
      model: 'churn',
      runId: expect.any(String),
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${printed.runId}`,
      artifactUri: `s3://artifacts/${importKey('churn', printed.runId)}`,
      source: 'external artifact',
    });
  });

  it('takes the model an XGBoost import was made for (mlops import --name) and says it is an xgboost model', async () => {
    // given
    const dir = join(artifactDir, 'xgb');
    const imported = captureIo();
    const importArgs = ['--framework', 'xgboost', '--model', join(FIXTURES, 'xgb-binary.json'), '--out', dir];
    expect(await main(['import', ...importArgs, '--name', 'churn'], imported.io)).toBe(0);
    // when
    const run = captureIo();
    const code = await main(['register', '--artifact', dir, '--json'], run.io);
    // then
    expect(code).toBe(0);
    expect(JSON.parse(run.out.join(''))).toMatchObject({ model: 'churn', source: 'xgboost' });
    // and a model name other than the one it was imported for is refused before anything is uploaded
    const other = captureIo();
    expect(await main(['register', 'price', '--artifact', dir], other.io)).toBe(2);
    expect(other.err.join('')).toContain('was imported for model churn, not price');
  });

  it.each([
    ['a file that is not JSON', 'not-json.json', 'PK\u0003\u0004', /not-json\.json is not valid JSON/],
    [
      'another format version',
      'old.json',
      () => JSON.stringify({ ...JSON.parse(artifactText), formatVersion: 2 }),
      /old\.json has format version 2, but this code reads version 1/,
    ],
  ])('refuses %s with one line and exit code 2, uploading and starting nothing', async (_case, name, body, message) => {
    // given
    const file = join(artifactDir, name);
    writeFileSync(file, typeof body === 'function' ? body() : body);
    const before = { uploads: (await artifacts.list('imports/')).length, calls: sfn.calls.length };
    // when
    const run = captureIo();
    const code = await main(['register', 'churn', '--artifact', file], run.io);
    // then
    expect(code).toBe(2);
    expect(run.err.join('')).toMatch(message);
    expect(run.err.join('').trim().split('\n')).toHaveLength(1);
    expect((await artifacts.list('imports/')).length).toBe(before.uploads);
    expect(sfn.calls.length).toBe(before.calls);
  });

  it('names a model the deployment has no state machine for', async () => {
    const run = captureIo();
    const code = await main(['register', 'price', '--artifact', artifactDir], run.io);
    expect(code).toBe(2);
    expect(run.err.join('')).toContain('no state machine ARN for "price"');
  });
});
