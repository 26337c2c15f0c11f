/**
 * The IAM facts of a synthesized CloudFormation template the local platform enforces: each role's
 * identity policies (its inline policies and every AWS::IAM::Policy attached to it), each bucket's
 * policy, and which role each Lambda function and Batch job definition runs as. Intrinsics are
 * resolved by the caller's resolver, so ARNs read as the local platform names things.
 */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: ReadonlyArray<Record<string, unknown>>;
}

export interface TemplateRole {
  readonly logicalId: string;
  /** The ARN the evaluator uses as the principal, e.g. arn:aws:iam::123456789012:role/<logical id>. */
  readonly arn: string;
  readonly policies: ReadonlyArray<{ readonly name: string; readonly document: PolicyDocument }>;
  /** AWS managed policies attached by ARN; their text is not in the template, so they grant nothing locally. */
  readonly managedPolicyArns: readonly string[];
}

export interface TemplateIam {
  readonly account: string;
  readonly roles: ReadonlyMap<string, TemplateRole>;
  /** Bucket name (resolved) -> its bucket policy. */
  readonly bucketPolicies: ReadonlyMap<string, PolicyDocument>;
  /** Lambda function logical id -> its role's logical id. */
  readonly functionRoles: ReadonlyMap<string, string>;
  /** Batch job definition logical id -> its job role's logical id (what the container's code runs as). */
  readonly jobRoles: ReadonlyMap<string, string>;
  /** State machine logical id -> its role's logical id (what its Task states call services as). */
  readonly stateMachineRoles: ReadonlyMap<string, string>;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };
export type IamTemplate = { Resources: Record<string, Resource> };
export type Resolve = (value: unknown) => unknown;

/** The access key id a process running as `roleLogicalId` signs with locally. */
export function localRoleAccessKeyId(roleLogicalId: string): string {
  return `${LOCAL_ROLE_KEY_PREFIX}${roleLogicalId}`;
}
export const LOCAL_ROLE_KEY_PREFIX = 'local-role-';

export function roleArn(account: string, roleLogicalId: string): string {
  return `arn:aws:iam::${account}:role/${roleLogicalId}`;
}

/** `{ Fn::GetAtt: [id, 'Arn'] }` or `{ Ref: id }` -> id. */
function referencedLogicalId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (typeof node.Ref === 'string') return node.Ref;
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
    if (typeof getAtt === 'string') return getAtt.split('.')[0];
  }
  return undefined;
}

export function readTemplateIam(template: IamTemplate, resolve: Resolve, account: string): TemplateIam {
  const resources = Object.entries(template.Resources);
  const policiesOf = new Map<string, Array<{ name: string; document: PolicyDocument }>>();
  const attach = (roleId: string, name: string, document: unknown) => {
    const list = policiesOf.get(roleId) ?? [];
    list.push({ name, document: resolve(document) as PolicyDocument });
    policiesOf.set(roleId, list);
  };
  for (const [logicalId, resource] of resources) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy') {
      for (const role of (properties.Roles ?? []) as unknown[]) {
        const roleId = referencedLogicalId(role);
        if (roleId) attach(roleId, logicalId, properties.PolicyDocument);
      }
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of (properties.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>) {
        attach(logicalId, inline.PolicyName, inline.PolicyDocument);
      }
    }
  }
  const roles = new Map<string, TemplateRole>();
  const bucketPolicies = new Map<string, PolicyDocument>();
  const functionRoles = new Map<string, string>();
  const jobRoles = new Map<string, string>();
  const stateMachineRoles = new Map<string, string>();
  for (const [logicalId, resource] of resources) {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Role':
        roles.set(logicalId, {
          logicalId,
          arn: roleArn(account, logicalId),
          policies: policiesOf.get(logicalId) ?? [],
          managedPolicyArns: ((properties.ManagedPolicyArns ?? []) as unknown[]).map((arn) => String(resolve(arn))),
        });
        break;
      case 'AWS::S3::BucketPolicy':
        bucketPolicies.set(String(resolve(properties.Bucket)), resolve(properties.PolicyDocument) as PolicyDocument);
        break;
      case 'AWS::Lambda::Function': {
        const roleId = referencedLogicalId(properties.Role);
        if (roleId) functionRoles.set(logicalId, roleId);
        break;
      }
      case 'AWS::Batch::JobDefinition': {
        const container = (properties.ContainerProperties ?? {}) as Record<string, unknown>;
        const roleId = referencedLogicalId(container.JobRoleArn);
        if (roleId) jobRoles.set(logicalId, roleId);
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const roleId = referencedLogicalId(properties.RoleArn);
        if (roleId) stateMachineRoles.set(logicalId, roleId);
        break;
      }
    }
  }
  return { account, roles, bucketPolicies, functionRoles, jobRoles, stateMachineRoles };
}

/** A copy of `iam` whose role `roleLogicalId` lacks `action` on statements naming it (for mutation tests). */
export function withoutAction(iam: TemplateIam, roleLogicalId: string, action: string): TemplateIam {
  const role = iam.roles.get(roleLogicalId);
  if (!role) throw new Error(`no role ${roleLogicalId}; roles: ${[...iam.roles.keys()].join(', ')}`);
  const strip = (document: PolicyDocument): PolicyDocument => ({
    ...document,
    Statement: document.Statement.flatMap((statement) => {
      const actions = [statement.Action].flat().filter((name) => name !== action);
      if (actions.length === [statement.Action].flat().length) return [statement];
      return actions.length === 0 ? [] : [{ ...statement, Action: actions }];
    }),
  });
  const roles = new Map(iam.roles);
  roles.set(roleLogicalId, {
    ...role,
    policies: role.policies.map((policy) => ({ ...policy, document: strip(policy.document) })),
  });
  return { ...iam, roles };
}
