import { spawn } from 'node:child_process';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ContainerBuilderProbe, DoctorPorts } from '../cli/doctor/checks';

export interface DoctorClients {
  readonly sts: STSClient;
  readonly ssm: SSMClient;
  readonly cloudFormation: CloudFormationClient;
  readonly lambda: LambdaClient;
}

export function createDoctorClients(): DoctorClients {
  return {
    sts: new STSClient({}),
    ssm: new SSMClient({}),
    cloudFormation: new CloudFormationClient({}),
    lambda: new LambdaClient({}),
  };
}

/** The doctor's ports over the AWS SDK and the local container engine. */
export function awsDoctorPorts(clients: DoctorClients, env: NodeJS.ProcessEnv = process.env): DoctorPorts {
  return {
    async region() {
      return (await clients.sts.config.region()) || undefined;
    },
    async callerIdentity() {
      const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
      return { account: identity.Account ?? '', arn: identity.Arn ?? '' };
    },
    async ssmParameter(name) {
      try {
        return (await clients.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
      } catch (error) {
        if ((error as Error).name === 'ParameterNotFound') return undefined;
        throw error;
      }
    },
    async stackStatus(name) {
      try {
        const response = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
        return response.Stacks?.[0]?.StackStatus;
      } catch (error) {
        // DescribeStacks answers a missing stack with a ValidationError "Stack with id X does not exist".
        if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message))
          return undefined;
        throw error;
      }
    },
    async lambdaConcurrency() {
      const limit = (await clients.lambda.send(new GetAccountSettingsCommand({}))).AccountLimit;
      return { limit: limit?.ConcurrentExecutions ?? 0, unreserved: limit?.UnreservedConcurrentExecutions ?? 0 };
    },
    containerBuilder: () => probeContainerBuilder(env),
  };
}

/** Runs `<CDK_DOCKER or docker> info`, as CDK would find the command (on PATH). */
export function probeContainerBuilder(env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<ContainerBuilderProbe> {
  const command = env.CDK_DOCKER || 'docker';
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(command, ['info'], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === 'ENOENT'
          ? { command, found: false, answers: false }
          : { command, found: true, answers: false, detail: error.message },
      );
    });
    child.on('close', (code) => {
      if (code === 0) return resolve({ command, found: true, answers: true });
      const detail = stderr
        .split('\n')
        .find((line) => line.trim() !== '')
        ?.trim();
      resolve({ command, found: true, answers: false, detail: detail ?? `exit code ${code}` });
    });
  });
}
