import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { awsDoctorPorts, createDoctorClients, probeContainerBuilder } from '../../../adapters/doctor-ports';
import {
  checkBootstrap,
  checkContainerBuilder,
  checkCredentials,
  checkLambdaConcurrency,
  checkProjectStack,
  checkRegion,
  checkToolkitStack,
  type DeployNeeds,
  reservedConcurrencyOf,
} from '../../../cli/doctor/checks';
import { main } from '../../../cli/main';

const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
const cloudFormation = mockClient(CloudFormationClient);
const lambda = mockClient(LambdaClient);
const saved = { ...process.env };
const startDir = process.cwd();
const bin = mkdtempSync(join(tmpdir(), 'mlops-doctor-bin-'));
const needs: DeployNeeds = { stackName: 'mlops', reservedConcurrency: 10 };
const ports = () => awsDoctorPorts(createDoctorClients(), { PATH: bin });

/** A fake container engine on a PATH of its own: `<name> info` exits with `code`. */
function fakeEngine(name: string, code: number, stderr = ''): void {
  const script = join(bin, name);
  writeFileSync(script, `#!/bin/sh\n${stderr ? `echo '${stderr}' >&2\n` : ''}exit ${code}\n`);
  chmodSync(script, 0o755);
}

function stackMissing(name: string): Error {
  return Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });
}

/** An account that can deploy: bootstrapped, quota 1000, Docker answering. */
function healthyAccount(): void {
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/dev' });
  ssm.on(GetParameterCommand, { Name: '/cdk-bootstrap/hnb659fds/version' }).resolves({ Parameter: { Value: '27' } });
  cloudFormation.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves({
    Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }],
  });
  cloudFormation.on(DescribeStacksCommand, { StackName: 'mlops' }).rejects(stackMissing('mlops'));
  lambda.on(GetAccountSettingsCommand).resolves({
    AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 },
  });
  fakeEngine('docker', 0);
}

beforeEach(() => {
  sts.reset();
  ssm.reset();
  cloudFormation.reset();
  lambda.reset();
  process.env = { ...saved, AWS_REGION: 'eu-west-1', AWS_CONFIG_FILE: join(bin, 'none'), PATH: `${bin}:${saved.PATH}` };
  delete process.env.CDK_DOCKER;
  healthyAccount();
});

afterAll(() => {
  process.env = saved;
  process.chdir(startDir);
});

describe('doctor checks', () => {
  test('credentials: the account and ARN of the caller', async () => {
    expect(await checkCredentials(ports())).toEqual({
      id: 'credentials',
      status: 'ok',
      message: 'account 123456789012 as arn:aws:iam::123456789012:user/dev',
      fix: '',
    });
  });

  test('credentials: none usable is a failure with how to configure them', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );
    const result = await checkCredentials(ports());
    expect(result).toMatchObject({ status: 'fail', message: expect.stringContaining('Could not load credentials') });
    expect(result.fix).toContain('aws configure');
  });

  test('region: the one the SDK resolves', async () => {
    expect(await checkRegion(ports())).toMatchObject({ status: 'ok', message: 'region eu-west-1' });
  });

  test('region: none set is a failure naming AWS_REGION', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    expect(await checkRegion(ports())).toMatchObject({ status: 'fail', fix: expect.stringContaining('AWS_REGION') });
  });

  test('bootstrap: a version of 6 or newer under the default qualifier is ok', async () => {
    expect(await checkBootstrap(ports(), needs, 'eu-west-1')).toMatchObject({
      status: 'ok',
      message: 'bootstrap version 27 (qualifier hnb659fds)',
    });
  });

  test('bootstrap: a missing version parameter fails with the bootstrap command for the region', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    expect(await checkBootstrap(ports(), needs, 'eu-west-1')).toEqual({
      id: 'bootstrap',
      status: 'fail',
      message: 'this account and region are not bootstrapped (/cdk-bootstrap/hnb659fds/version not found)',
      fix: 'npx cdk bootstrap aws://<account>/eu-west-1',
    });
  });

  test('bootstrap: a version older than 6 fails', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '5' } });
    expect(await checkBootstrap(ports(), needs, 'eu-west-1')).toMatchObject({
      status: 'fail',
      message: 'bootstrap version 5 is older than the 6 this CDK app needs',
    });
  });

  test('bootstrap: a custom qualifier reads its own parameter', async () => {
    ssm.on(GetParameterCommand, { Name: '/cdk-bootstrap/team1/version' }).resolves({ Parameter: { Value: '21' } });
    expect(await checkBootstrap(ports(), { ...needs, qualifier: 'team1' })).toMatchObject({ status: 'ok' });
  });

  test.each([
    ['CREATE_COMPLETE', 'ok'],
    ['UPDATE_IN_PROGRESS', 'warn'],
    ['ROLLBACK_COMPLETE', 'fail'],
    ['UPDATE_ROLLBACK_FAILED', 'fail'],
  ])('toolkit stack: %s is %s', async (status, expected) => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves({
      Stacks: [{ StackName: 'CDKToolkit', StackStatus: status as never, CreationTime: new Date() }],
    });
    expect((await checkToolkitStack(ports())).status).toBe(expected);
  });

  test('toolkit stack: a missing one fails with the bootstrap command', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).rejects(stackMissing('CDKToolkit'));
    expect(await checkToolkitStack(ports(), 'eu-west-1')).toMatchObject({
      status: 'fail',
      fix: 'npx cdk bootstrap aws://<account>/eu-west-1',
    });
  });

  test('project stack: none yet is a first deploy', async () => {
    expect(await checkProjectStack(ports(), needs)).toMatchObject({ status: 'ok' });
  });

  test('project stack: one left in ROLLBACK_COMPLETE fails with the delete command', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'mlops' }).resolves({
      Stacks: [{ StackName: 'mlops', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }],
    });
    expect(await checkProjectStack(ports(), needs)).toMatchObject({
      status: 'fail',
      fix: 'aws cloudformation delete-stack --stack-name mlops, then deploy again',
    });
  });

  test('lambda concurrency: a reservation that leaves 100 unreserved is ok', async () => {
    expect(await checkLambdaConcurrency(ports(), needs)).toMatchObject({
      status: 'ok',
      message: 'quota 1000, 1000 unreserved; the config reserves 10, leaving 990',
    });
  });

  test('lambda concurrency: any reservation on a new account with a quota of 10 fails', async () => {
    lambda
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });
    const result = await checkLambdaConcurrency(ports(), needs);
    expect(result).toMatchObject({
      status: 'fail',
      message:
        'the config reserves 10 concurrent executions, but the account has 10 unreserved of 10 and Lambda keeps 100 unreserved',
    });
    expect(result.fix).toMatch(/^remove endpoint.reservedConcurrency from the config, or request a higher/);
  });

  test('lambda concurrency: too large a reservation names what can be reserved', async () => {
    lambda
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 150 } });
    expect((await checkLambdaConcurrency(ports(), { ...needs, reservedConcurrency: 80 })).fix).toMatch(
      /^lower endpoint.reservedConcurrency to a total of 50 or less/,
    );
  });

  test('lambda concurrency: a low quota with no reservation is a warning', async () => {
    lambda
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 50, UnreservedConcurrentExecutions: 50 } });
    expect(await checkLambdaConcurrency(ports(), { ...needs, reservedConcurrency: 0 })).toMatchObject({
      status: 'warn',
    });
  });

  test('the reserved concurrency of a config is read defensively', () => {
    expect(
      reservedConcurrencyOf([
        { endpoint: { reservedConcurrency: 10 } },
        { endpoint: {} },
        {},
        null,
        { endpoint: { reservedConcurrency: 'x' } },
      ]),
    ).toBe(10);
  });
});

describe('container builder (a fake engine on PATH)', () => {
  test('docker answering is ok', async () => {
    expect(await checkContainerBuilder(ports())).toMatchObject({ status: 'ok', message: 'docker answers' });
  });

  test('docker installed without a running engine fails with its error', async () => {
    fakeEngine('docker', 1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock');
    const result = await checkContainerBuilder(ports());
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      'docker is installed but its engine does not answer (Cannot connect to the Docker daemon at unix:///var/run/docker.sock)',
    );
  });

  test('no docker on PATH fails, suggesting CDK_DOCKER for Finch or Podman', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mlops-doctor-empty-'));
    const result = await checkContainerBuilder({
      ...ports(),
      containerBuilder: () => probeContainerBuilder({ PATH: empty }),
    });
    expect(result).toMatchObject({ status: 'fail', message: expect.stringMatching(/^docker is not on PATH/) });
    expect(result.fix).toContain('CDK_DOCKER=finch');
  });

  test('CDK_DOCKER=finch is probed instead of docker', async () => {
    fakeEngine('docker', 1, 'should not be run');
    fakeEngine('finch', 0);
    const probe = await probeContainerBuilder({ PATH: bin, CDK_DOCKER: 'finch' });
    expect(probe).toEqual({ command: 'finch', found: true, answers: true });
  });
});

describe('mlops doctor', () => {
  const project = mkdtempSync(join(tmpdir(), 'mlops-doctor-project-'));
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'mlops.config.json'),
    JSON.stringify({ models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes' }] }),
  );

  async function doctor(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    process.chdir(project);
    const code = await main(['doctor', ...args], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      interactive: false,
    });
    process.chdir(startDir);
    return { code, out: out.join(''), err: err.join('') };
  }

  test('prints one line per check and exits 0 when nothing fails', async () => {
    const run = await doctor();
    expect(run.code).toBe(0);
    const lines = run.out.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'ok config',
      'ok region',
      'ok credentials',
      'ok bootstrap',
      'ok toolkit-stack',
      'ok project-stack',
      'ok container-builder',
      'ok lambda-concurrency',
      'ready to',
    ]);
  });

  test('deploys with the default config on a new account whose quota is 10 (nothing reserved), with a warning', async () => {
    lambda
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });
    const run = await doctor();
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^warn\s+lambda-concurrency/m);
  });

  test('exits 1 and prints each failure with its fix', async () => {
    lambda
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });
    const config = join(project, 'mlops.config.json');
    const defaults = readFileSync(config, 'utf8');
    writeFileSync(
      config,
      JSON.stringify({
        models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', endpoint: { reservedConcurrency: 10 } }],
      }),
    );
    const run = await doctor().finally(() => writeFileSync(config, defaults));
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /^FAIL {2}lambda-concurrency {2}the config reserves 10 .*; fix: remove endpoint\.reservedConcurrency/m,
    );
    expect(run.out).toContain('1 check(s) failed: fix them before cdk deploy');
  });

  test('--json prints one small array of {id, status, message, fix}', async () => {
    fakeEngine('docker', 1, 'Cannot connect to the Docker daemon');
    const run = await doctor('--json');
    expect(run.code).toBe(1);
    const checks = JSON.parse(run.out) as Array<Record<string, string>>;
    expect(checks.map((check) => Object.keys(check))).toEqual(checks.map(() => ['id', 'status', 'message', 'fix']));
    expect(checks.find((check) => check.id === 'container-builder')?.status).toBe('fail');
    expect(Buffer.byteLength(run.out)).toBeLessThan(4096);
  });

  test('without credentials the account checks are reported as not checked, not as errors', async () => {
    sts.on(GetCallerIdentityCommand).rejects(new Error('expired token'));
    const run = await doctor('--json');
    const checks = JSON.parse(run.out) as Array<Record<string, string>>;
    expect(checks.find((check) => check.id === 'bootstrap')).toMatchObject({
      status: 'skip',
      message: 'not checked: needs a region and credentials',
    });
    expect(ssm.calls()).toHaveLength(0);
  });

  test('a usage error exits 2', async () => {
    expect((await doctor('--nope')).code).toBe(2);
  });

  test('has --help', async () => {
    const run = await doctor('--help');
    expect(run.code).toBe(0);
    expect(run.out).toContain('usage: mlops doctor');
  });
});
