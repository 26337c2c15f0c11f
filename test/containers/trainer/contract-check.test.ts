import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ContractCase,
  checkTrainerContract,
  contractEnvironment,
  dockerCommand,
} from '../../../containers/trainer/contract-check';
import { buildTrainerImage, TRAINER_BUNDLE_FILE } from '../../../lib/bundles';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

// The trainer image's bundle, built as `npm run build` and the CDK synth build it, run in a plain
// Node process against the local S3: what CI runs against the built image and a MinIO container.
let s3: LocalS3Harness;
let imageFolder: string;
let cases: ContractCase[];
const log: string[] = [];

beforeAll(async () => {
  imageFolder = buildTrainerImage(mkdtempSync(join(tmpdir(), 'mlops-trainer-image-')));
  s3 = await startLocalS3Harness([]);
  cases = await checkTrainerContract({
    endpoint: s3.server.endpoint,
    command: [
      process.execPath,
      '--require',
      join(__dirname, 'fixtures/report-workers.js'),
      join(imageFolder, TRAINER_BUNDLE_FILE),
    ],
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    log: (line) => log.push(line),
  });
}, 300_000);

afterAll(async () => {
  await s3?.stop();
});

const caseNamed = (prefix: string) => cases.find((c) => c.name.startsWith(prefix));

test('the trainer image folder holds the Dockerfile and the bundle, nothing else', () => {
  expect(readdirSync(imageFolder).sort()).toEqual(['Dockerfile', 'index.js', 'index.js.map']);
});

test('the bundle trains on 16,384 training rows with two threads, exits 0 and writes model, metrics and profile', () => {
  expect(caseNamed('trains')).toEqual(expect.objectContaining({ exitCode: 0, problems: [] }));
  expect(log).toContainEqual(expect.stringContaining('report-workers: worker thread started'));
});

test('the bundle exits 2 on bad input and writes error.json instead of a model', () => {
  expect(caseNamed('bad input')).toEqual(expect.objectContaining({ exitCode: 2, problems: [] }));
});

test('the bundle exits 75 (retried by AWS Batch) when S3 does not answer', () => {
  expect(caseNamed('transient')).toEqual(expect.objectContaining({ exitCode: 75, problems: [] }));
});

test('the image runs on the host network with every variable the check sets', () => {
  const environment = contractEnvironment({
    endpoint: 'http://127.0.0.1:9000',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    bucket: 'bucket',
    inputKey: 'churn/x.csv',
    runId: 'r1',
  });
  const command = dockerCommand('mlops-trainer:ci');
  expect(command.slice(0, 5)).toEqual(['docker', 'run', '--rm', '--network', 'host']);
  for (const name of Object.keys(environment)) expect(command).toContain(name);
  expect(command.at(-1)).toBe('mlops-trainer:ci');
});
