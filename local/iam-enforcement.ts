// @cloud-copilot/iam-simulate is AGPL-3.0: a devDependency used only here, by the local platform.
// No Lambda bundle or trainer image imports this file (test/local/iam-enforcement.test.ts checks).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { type AuthorizedAction, type S3RestRequest, s3RequestActions } from '../core/local/s3-request-action';
import { verifySigV4 } from '../core/local/sigv4-verifier';
import {
  type IamTemplate,
  LOCAL_ROLE_KEY_PREFIX,
  localRoleAccessKeyId,
  readTemplateIam,
  type TemplateIam,
} from '../core/local/template-iam';
import { fakeReference, type ReferenceResolver, resolveIntrinsics } from '../lib/synthesize';
import type { RouteGuard } from './function-url-server';
import type { TaskHandler } from './state-machine-runner';

/** Who signed a request: the user (any key but a role's), a role of the template, or a role key the template lacks. */
export type LocalCaller =
  | { readonly kind: 'administrator'; readonly accessKeyId: string }
  | { readonly kind: 'role'; readonly accessKeyId: string; readonly roleLogicalId: string }
  | { readonly kind: 'unknown-role'; readonly accessKeyId: string };

export interface Denial {
  /** AWS's error code: AccessDenied, or InvalidAccessKeyId for a role key the template lacks. */
  readonly code: 'AccessDenied' | 'InvalidAccessKeyId';
  /** Names the role, the action and the resource (and the deciding policy, when a Deny decided). */
  readonly message: string;
}

export const ACCOUNT = fakeReference({ logicalId: 'AWS::AccountId' });
export const REGION = fakeReference({ logicalId: 'AWS::Region' });

/**
 * IAM enforced on the local platform. Every process the platform starts signs with an access key
 * naming its role (`local-role-<logical id>`); each call they make is evaluated against that
 * role's identity policies and, for S3, the bucket's policy, both read from the synthesized
 * template, by @cloud-copilot/iam-simulate. Any other access key (the user's `local`) acts as an
 * administrator, as the person running the platform does on their own account.
 *
 * `aws:SecureTransport` is evaluated as `true`: the local endpoints stand in for AWS's HTTPS
 * endpoints, which the SDK and the CLI always use there; the buckets' TLS-only Deny therefore
 * never applies locally (test/local/iam-enforcement.test.ts shows it would deny a plain-HTTP call).
 */
export class LocalIam {
  private iam?: TemplateIam;

  constructor(
    private readonly log: (line: string) => void = () => undefined,
    /** The value of aws:SecureTransport; false shows what the buckets' TLS-only policy does to plain HTTP. */
    private readonly secureTransport = true,
  ) {}

  /** Reads the roles and bucket policies of a synthesized template, resolving references with `resolve`. */
  load(template: unknown, resolve: ReferenceResolver, adjust: (iam: TemplateIam) => TemplateIam = (iam) => iam): void {
    const typed = template as IamTemplate;
    this.iam = adjust(readTemplateIam(typed, (value) => resolveIntrinsics(value, typed as never, resolve), ACCOUNT));
    this.log(
      `IAM: enforcing ${this.iam.roles.size} roles and ${this.iam.bucketPolicies.size} bucket policies of the template (any key but local-role-* acts as an administrator)`,
    );
  }

  get template(): TemplateIam {
    if (!this.iam) throw new Error('LocalIam: no template loaded');
    return this.iam;
  }

  /** The environment a process running as the function `functionLogicalId` signs with. */
  functionCredentials(functionLogicalId: string): Record<string, string> {
    const role = this.template.functionRoles.get(functionLogicalId);
    if (!role) throw new Error(`no role for the function ${functionLogicalId} in the template`);
    return credentials(role);
  }

  /** The environment a Batch job of `jobDefinitionLogicalId` signs with (its job role). */
  jobCredentials(jobDefinitionLogicalId: string): Record<string, string> {
    const role = this.template.jobRoles.get(jobDefinitionLogicalId);
    if (!role) throw new Error(`no job role for the job definition ${jobDefinitionLogicalId} in the template`);
    return credentials(role);
  }

  caller(accessKeyId: string): LocalCaller {
    if (!accessKeyId.startsWith(LOCAL_ROLE_KEY_PREFIX)) return { kind: 'administrator', accessKeyId };
    const roleLogicalId = accessKeyId.slice(LOCAL_ROLE_KEY_PREFIX.length);
    return this.iam?.roles.has(roleLogicalId)
      ? { kind: 'role', accessKeyId, roleLogicalId }
      : { kind: 'unknown-role', accessKeyId };
  }

  /** Authorizes an S3 request; null when allowed. */
  async authorizeS3(accessKeyId: string, request: S3RestRequest): Promise<Denial | null> {
    const caller = this.caller(accessKeyId);
    if (caller.kind === 'administrator') return null;
    let actions: AuthorizedAction[];
    try {
      actions = s3RequestActions(request);
    } catch (error) {
      return this.deny(caller, `${(error as Error).message}; refused for roles`);
    }
    return this.authorize(caller, actions, request.bucket);
  }

  /** Authorizes a call (e.g. states:StartExecution on a state machine); null when allowed. */
  async authorizeCall(accessKeyId: string, actions: readonly AuthorizedAction[]): Promise<Denial | null> {
    const caller = this.caller(accessKeyId);
    if (caller.kind === 'administrator') return null;
    return this.authorize(caller, actions);
  }

  private async authorize(
    caller: Exclude<LocalCaller, { kind: 'administrator' }>,
    actions: readonly AuthorizedAction[],
    bucket?: string,
  ): Promise<Denial | null> {
    if (caller.kind === 'unknown-role') {
      const denial: Denial = {
        code: 'InvalidAccessKeyId',
        message: `The AWS Access Key Id you provided does not exist in our records: ${caller.accessKeyId} names no role of the synthesized template`,
      };
      this.log(`IAM: refused ${caller.accessKeyId}: no such role in the template`);
      return denial;
    }
    const role = this.template.roles.get(caller.roleLogicalId)!;
    const resourcePolicy = bucket === undefined ? undefined : this.template.bucketPolicies.get(bucket);
    for (const { action, resource, context } of actions) {
      const result = await runSimulation(
        {
          identityPolicies: role.policies.map(({ name, document }) => ({ name, policy: document as never })),
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          ...(resourcePolicy ? { resourcePolicy: resourcePolicy as never } : {}),
          request: {
            action,
            principal: role.arn,
            resource: { accountId: ACCOUNT, resource },
            contextVariables: {
              'aws:SecureTransport': String(this.secureTransport),
              'aws:PrincipalArn': role.arn,
              'aws:PrincipalAccount': ACCOUNT,
              ...context,
            },
          },
        },
        {},
      );
      if (result.resultType === 'error') {
        return this.deny(
          caller,
          `${action} on ${resource} could not be evaluated: ${JSON.stringify(result.errors).slice(0, 400)}`,
        );
      }
      if (result.overallResult !== 'Allowed') {
        const how =
          result.overallResult === 'ExplicitlyDenied'
            ? `explicitly denied${explicitDenier(result)}`
            : 'no identity-based policy allows it';
        const conditions = Object.keys(context).length > 0 ? ` (with ${JSON.stringify(context)})` : '';
        return this.deny(
          caller,
          `User: ${role.arn} is not authorized to perform: ${action} on resource: "${resource}"${conditions} because ${how}`,
        );
      }
    }
    return null;
  }

  private deny(caller: Exclude<LocalCaller, { kind: 'administrator' }>, message: string): Denial {
    const roleId = caller.kind === 'role' ? caller.roleLogicalId : caller.accessKeyId;
    this.log(`IAM: AccessDenied for role ${roleId}: ${message}`);
    return { code: 'AccessDenied', message };
  }
}

/** The service a Task state integrates with, and the error Step Functions reports when its role may not call it. */
const TASK_SERVICES = {
  lambda: {
    error: 'Lambda.AWSLambdaException',
    actions: (input: Record<string, unknown>) => [
      { action: 'lambda:InvokeFunction', resource: String(input.FunctionName), context: {} },
    ],
  },
  batch: {
    error: 'Batch.AWSBatchException',
    actions: (input: Record<string, unknown>) => [
      { action: 'batch:SubmitJob', resource: String(input.JobQueue), context: {} },
      { action: 'batch:SubmitJob', resource: String(input.JobDefinition), context: {} },
    ],
  },
  sns: {
    error: 'SNS.AuthorizationErrorException',
    actions: (input: Record<string, unknown>) => [
      { action: 'sns:Publish', resource: String(input.TopicArn), context: {} },
    ],
  },
} as const;

/**
 * A Task state's local handler behind the state machine role's check: Step Functions calls the
 * service as that role, so a missing grant fails the state (its Catch sees the error) before the
 * function, job or publish runs.
 */
export function guardedTask(
  iam: LocalIam,
  stateMachineLogicalId: string,
  service: keyof typeof TASK_SERVICES,
  handler: TaskHandler,
): TaskHandler {
  const roleId = iam.template.stateMachineRoles.get(stateMachineLogicalId);
  if (!roleId) throw new Error(`no role for the state machine ${stateMachineLogicalId} in the template`);
  const accessKeyId = localRoleAccessKeyId(roleId);
  const { error, actions } = TASK_SERVICES[service];
  return async (input) => {
    const denial = await iam.authorizeCall(accessKeyId, actions((input ?? {}) as Record<string, unknown>));
    if (denial) {
      const failure = new Error(denial.message);
      failure.name = error;
      throw failure;
    }
    return handler(input);
  };
}

/**
 * Puts every handler of a workflow behind its state machine role's check, by the service its
 * Task state's Resource names (`arn:aws:states:::lambda:invoke`, `batch:submitJob.sync`, `sns:publish`).
 */
export function guardWorkflowTasks(
  iam: LocalIam,
  workflow: { readonly stateMachineLogicalId: string; readonly definition: Record<string, unknown> },
  handlers: Record<string, TaskHandler>,
): void {
  const resources = new Map<string, string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const states = (node as { States?: Record<string, { Resource?: string }> }).States;
      for (const [name, state] of Object.entries(states ?? {})) {
        if (typeof state.Resource === 'string') resources.set(name, state.Resource);
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(workflow.definition);
  for (const [state, handler] of Object.entries(handlers)) {
    const service = /^arn:aws:states:::(lambda|batch|sns):/.exec(resources.get(state) ?? '')?.[1];
    if (!service)
      throw new Error(`no Task state ${state} calling Lambda, Batch or SNS in the state machine definition`);
    handlers[state] = guardedTask(iam, workflow.stateMachineLogicalId, service as keyof typeof TASK_SERVICES, handler);
  }
}

/**
 * The check in front of a local Function URL. With AWS_IAM, a signed request must carry a valid
 * SigV4 signature for service `lambda` made with local credentials (secret = access key id:
 * `local`/`local`, or a role's key) and its caller must be allowed lambda:InvokeFunctionUrl; an
 * unsigned request is still served for the walk-through, and the log says AWS would refuse it
 * (once per route). With NONE, as on AWS, nothing is checked.
 */
export function functionUrlGuard(options: {
  readonly iam: LocalIam;
  readonly name: string;
  readonly authType: 'AWS_IAM' | 'NONE';
  readonly functionArn: string;
  readonly region: string;
  readonly log: (line: string) => void;
}): RouteGuard {
  let warned = false;
  return async (request) => {
    if (options.authType === 'NONE') return null;
    const authorization = request.headers.authorization;
    if (authorization === undefined || authorization === '') {
      if (!warned) {
        warned = true;
        options.log(
          `${options.name}: unsigned request served locally; on AWS its Function URL (AWS_IAM) refuses unsigned requests with 403 (sign with SigV4, service lambda: mlops invoke --auth iam)`,
        );
      }
      return null;
    }
    const accessKeyId = signedAccessKeyId(String(authorization)) ?? '';
    const verdict = verifySigV4(request, {
      accessKeyId,
      secretAccessKey: accessKeyId,
      region: options.region,
      service: 'lambda',
    });
    if (!verdict.ok) {
      const reason = `${options.name}: SigV4 signature refused (${verdict.reason}); local credentials use the access key id as the secret (e.g. local/local)`;
      options.log(reason);
      return reason;
    }
    const denial = await options.iam.authorizeCall(accessKeyId, [
      {
        action: 'lambda:InvokeFunctionUrl',
        resource: options.functionArn,
        context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
      },
    ]);
    return denial?.message ?? null;
  };
}

function credentials(roleLogicalId: string): Record<string, string> {
  const key = localRoleAccessKeyId(roleLogicalId);
  return { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: key };
}

/** " by the bucket policy" or " by an identity-based policy", from the simulator's analysis. */
function explicitDenier(result: unknown): string {
  const analysis = (result as { result?: { analysis?: Record<string, { result?: string } | undefined> } }).result
    ?.analysis;
  if (!analysis) return '';
  if (analysis.resourceAnalysis?.result === 'ExplicitlyDenied') return ' by the bucket policy';
  if (analysis.identityAnalysis?.result === 'ExplicitlyDenied') return ' by an identity-based policy';
  return '';
}

/** Reads the access key id of a SigV4-signed request (Authorization header or presigned query). */
export function signedAccessKeyId(authorization: string, queryCredential?: string): string | undefined {
  const fromHeader = /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
  if (fromHeader) return fromHeader;
  const fromQuery = queryCredential?.split('/')[0];
  return fromQuery || undefined;
}
