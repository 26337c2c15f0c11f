/**
 * The deploy preflight (`mlops doctor`): what makes a first `cdk deploy` fail, checked before it
 * runs. Pure logic over small ports; the AWS-backed ports are in adapters/doctor-ports.ts.
 */

/** skip: not checked, because a check it depends on failed. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the report; `fix` is empty when there is nothing to do. */
export interface CheckResult {
  readonly id: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly fix: string;
}

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

export interface LambdaConcurrency {
  /** AccountLimit.ConcurrentExecutions: the account's quota in the region. */
  readonly limit: number;
  /** AccountLimit.UnreservedConcurrentExecutions: what no function has reserved. */
  readonly unreserved: number;
}

export interface ContainerBuilderProbe {
  /** The command CDK builds images with: CDK_DOCKER, else docker. */
  readonly command: string;
  readonly found: boolean;
  /** `<command> info` succeeded: the engine answers. */
  readonly answers: boolean;
  /** The first line of its error output, when it does not. */
  readonly detail?: string;
}

export interface DoctorPorts {
  /** The region the SDK resolves (AWS_REGION, AWS_DEFAULT_REGION, the profile); undefined if none. */
  region(): Promise<string | undefined>;
  callerIdentity(): Promise<CallerIdentity>;
  /** The SSM parameter's value; undefined when it does not exist. */
  ssmParameter(name: string): Promise<string | undefined>;
  /** A CloudFormation stack's status; undefined when it does not exist. */
  stackStatus(name: string): Promise<string | undefined>;
  lambdaConcurrency(): Promise<LambdaConcurrency>;
  containerBuilder(): Promise<ContainerBuilderProbe>;
}

/** What the deployment needs, read from the config (defensively: fields may be absent). */
export interface DeployNeeds {
  /** The stack name (the config's project). */
  readonly stackName: string;
  /** Sum of the reserved concurrency the config asks for. */
  readonly reservedConcurrency: number;
  /** `@aws-cdk/core:bootstrapQualifier` from cdk.json. @default hnb659fds */
  readonly qualifier?: string;
}

export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';
/** aws-cdk-lib's DefaultStackSynthesizer adds a CheckBootstrapVersion rule requiring 6 or newer. */
export const MIN_BOOTSTRAP_VERSION = 6;
/** Lambda refuses reservations that leave fewer unreserved executions than this. */
export const LAMBDA_MIN_UNRESERVED = 100;
const TOOLKIT_STACK = 'CDKToolkit';

const ok = (id: string, message: string): CheckResult => ({ id, status: 'ok', message, fix: '' });
const warn = (id: string, message: string, fix: string): CheckResult => ({ id, status: 'warn', message, fix });
const fail = (id: string, message: string, fix: string): CheckResult => ({ id, status: 'fail', message, fix });

function reason(error: unknown): string {
  const { name, message } = error as Error;
  return name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

export async function checkRegion(ports: DoctorPorts): Promise<CheckResult> {
  const region = await ports.region().catch(() => undefined);
  return region
    ? ok('region', `region ${region}`)
    : fail('region', 'no AWS region is set', 'export AWS_REGION=<region> (or set region in your AWS profile)');
}

export async function checkCredentials(ports: DoctorPorts): Promise<CheckResult> {
  try {
    const identity = await ports.callerIdentity();
    return ok('credentials', `account ${identity.account} as ${identity.arn}`);
  } catch (error) {
    return fail(
      'credentials',
      `no usable AWS credentials (${reason(error)})`,
      "configure credentials: 'aws configure', 'aws sso login' or AWS_PROFILE=<profile>",
    );
  }
}

export async function checkBootstrap(ports: DoctorPorts, needs: DeployNeeds, region?: string): Promise<CheckResult> {
  const qualifier = needs.qualifier ?? DEFAULT_BOOTSTRAP_QUALIFIER;
  const parameter = `/cdk-bootstrap/${qualifier}/version`;
  const bootstrap = `npx cdk bootstrap aws://<account>/${region ?? '<region>'}`;
  let value: string | undefined;
  try {
    value = await ports.ssmParameter(parameter);
  } catch (error) {
    return fail(
      'bootstrap',
      `cannot read ${parameter} (${reason(error)})`,
      'allow ssm:GetParameter on it, or check credentials',
    );
  }
  if (value === undefined) {
    return fail('bootstrap', `this account and region are not bootstrapped (${parameter} not found)`, bootstrap);
  }
  const version = Number(value);
  if (!Number.isInteger(version) || version < MIN_BOOTSTRAP_VERSION) {
    return fail(
      'bootstrap',
      `bootstrap version ${value} is older than the ${MIN_BOOTSTRAP_VERSION} this CDK app needs`,
      `${bootstrap} (upgrades the CDKToolkit stack in place)`,
    );
  }
  return ok('bootstrap', `bootstrap version ${version} (qualifier ${qualifier})`);
}

export async function checkToolkitStack(ports: DoctorPorts, region?: string): Promise<CheckResult> {
  let status: string | undefined;
  try {
    status = await ports.stackStatus(TOOLKIT_STACK);
  } catch (error) {
    return fail(
      'toolkit-stack',
      `cannot describe the ${TOOLKIT_STACK} stack (${reason(error)})`,
      'allow cloudformation:DescribeStacks',
    );
  }
  const bootstrap = `npx cdk bootstrap aws://<account>/${region ?? '<region>'}`;
  if (status === undefined) return fail('toolkit-stack', `no ${TOOLKIT_STACK} stack`, bootstrap);
  if (status.endsWith('_IN_PROGRESS')) {
    return warn('toolkit-stack', `${TOOLKIT_STACK} is ${status}`, 'wait for it to finish, then run doctor again');
  }
  if (status.includes('FAILED') || status.includes('ROLLBACK')) {
    return fail(
      'toolkit-stack',
      `${TOOLKIT_STACK} is ${status}`,
      `see its events in the CloudFormation console; delete it if it never completed, then ${bootstrap}`,
    );
  }
  return ok('toolkit-stack', `${TOOLKIT_STACK} is ${status}`);
}

/** A stack left in ROLLBACK_COMPLETE by a failed first deploy cannot be updated, only deleted. */
export async function checkProjectStack(ports: DoctorPorts, needs: DeployNeeds): Promise<CheckResult> {
  let status: string | undefined;
  try {
    status = await ports.stackStatus(needs.stackName);
  } catch (error) {
    return warn(
      'project-stack',
      `cannot describe the ${needs.stackName} stack (${reason(error)})`,
      'allow cloudformation:DescribeStacks',
    );
  }
  if (status === undefined) return ok('project-stack', `stack ${needs.stackName} does not exist yet: a first deploy`);
  if (status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED' || status === 'DELETE_FAILED') {
    return fail(
      'project-stack',
      `stack ${needs.stackName} is ${status}: a failed first deploy, which cannot be updated`,
      `aws cloudformation delete-stack --stack-name ${needs.stackName}, then deploy again`,
    );
  }
  if (status.endsWith('_IN_PROGRESS')) {
    return warn('project-stack', `stack ${needs.stackName} is ${status}`, 'wait for it to finish before deploying');
  }
  return ok('project-stack', `stack ${needs.stackName} is ${status}: cdk deploy updates it`);
}

export async function checkContainerBuilder(ports: DoctorPorts): Promise<CheckResult> {
  const probe = await ports.containerBuilder();
  if (!probe.found) {
    return fail(
      'container-builder',
      `${probe.command} is not on PATH; cdk deploy builds the trainer image with it`,
      'install Docker, or point CDK_DOCKER at finch or podman (CDK_DOCKER=finch)',
    );
  }
  if (!probe.answers) {
    return fail(
      'container-builder',
      `${probe.command} is installed but its engine does not answer${probe.detail ? ` (${probe.detail})` : ''}`,
      `start the engine (Docker Desktop, 'sudo systemctl start docker', 'finch vm start' or 'podman machine start'), then '${probe.command} info'`,
    );
  }
  return ok('container-builder', `${probe.command} answers`);
}

export async function checkLambdaConcurrency(ports: DoctorPorts, needs: DeployNeeds): Promise<CheckResult> {
  let account: LambdaConcurrency;
  try {
    account = await ports.lambdaConcurrency();
  } catch (error) {
    return warn(
      'lambda-concurrency',
      `cannot read the Lambda quota (${reason(error)})`,
      'allow lambda:GetAccountSettings',
    );
  }
  const { limit, unreserved } = account;
  const reserved = needs.reservedConcurrency;
  const increase = 'request a higher "Concurrent executions" quota (Service Quotas, Lambda, L-B99A9384)';
  if (reserved === 0) {
    return limit < 2 * LAMBDA_MIN_UNRESERVED
      ? warn(
          'lambda-concurrency',
          `the account's concurrency quota is ${limit}: functions will throttle under load`,
          increase,
        )
      : ok('lambda-concurrency', `quota ${limit}, ${unreserved} unreserved; the config reserves none`);
  }
  const left = unreserved - reserved;
  if (left >= LAMBDA_MIN_UNRESERVED) {
    return ok(
      'lambda-concurrency',
      `quota ${limit}, ${unreserved} unreserved; the config reserves ${reserved}, leaving ${left}`,
    );
  }
  const canReserve = Math.max(0, unreserved - LAMBDA_MIN_UNRESERVED);
  return fail(
    'lambda-concurrency',
    `the config reserves ${reserved} concurrent executions, but the account has ${unreserved} unreserved of ${limit} ` +
      `and Lambda keeps ${LAMBDA_MIN_UNRESERVED} unreserved`,
    canReserve > 0
      ? `lower endpoint.reservedConcurrency to a total of ${canReserve} or less, or ${increase}`
      : `remove endpoint.reservedConcurrency from the config, or ${increase}`,
  );
}

/** Every check, in the order a person fixes them; AWS checks are skipped when credentials fail. */
export async function runDoctor(ports: DoctorPorts, needs: DeployNeeds): Promise<CheckResult[]> {
  const region = await checkRegion(ports);
  const credentials = await checkCredentials(ports);
  const builder = await checkContainerBuilder(ports);
  if (region.status === 'fail' || credentials.status === 'fail') {
    const skipped = (id: string): CheckResult => ({
      id,
      status: 'skip',
      message: 'not checked: needs a region and credentials',
      fix: 'fix the lines above, then run doctor again',
    });
    return [
      region,
      credentials,
      skipped('bootstrap'),
      skipped('toolkit-stack'),
      skipped('project-stack'),
      builder,
      skipped('lambda-concurrency'),
    ];
  }
  const regionName = region.message.replace(/^region /, '');
  return [
    region,
    credentials,
    await checkBootstrap(ports, needs, regionName),
    await checkToolkitStack(ports, regionName),
    await checkProjectStack(ports, needs),
    builder,
    await checkLambdaConcurrency(ports, needs),
  ];
}

/** Sum of endpoint.reservedConcurrency over the models; absent or non-numeric values reserve nothing. */
export function reservedConcurrencyOf(models: ReadonlyArray<unknown>): number {
  let total = 0;
  for (const model of models) {
    const endpoint = (model as { endpoint?: { reservedConcurrency?: unknown } } | null)?.endpoint;
    const value = endpoint?.reservedConcurrency;
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) total += value;
  }
  return total;
}
